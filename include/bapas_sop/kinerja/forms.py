"""The satisfaction survey's form (SKM): the nine elements of PermenPANRB 14/2017 and a comment."""

from __future__ import annotations

from bapas_sop.forms.registry import register
from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind
from bapas_sop.kinerja.skm import ELEMENTS

SKM_FORM = "skm"
COMMENT_MAX_LENGTH = 2000

register(
    FormSpec(
        name=SKM_FORM,
        title="Survei Kepuasan Masyarakat",
        intro=(
            "Terima kasih telah menggunakan layanan kami. Jawaban Anda membantu kami memperbaiki pelayanan. "
            "Survei ini anonim: hasilnya tidak mencantumkan nama atau alamat email Anda, dan tautan ini "
            "hanya dapat dipakai satu kali."
        ),
        submit_label="Kirim penilaian",
        allow_handover=False,
        fields=(
            *(
                Field(e.key, f"{i}. {e.title}", Kind.RATING, help=e.question,
                      choices=tuple(Choice(str(n), f"{n} — {words}") for n, words in enumerate(e.scale, start=1)))
                for i, e in enumerate(ELEMENTS, start=1)
            ),
            Field("komentar", "Saran atau komentar (tidak wajib)", Kind.LONG_TEXT, required=False,
                  max_length=COMMENT_MAX_LENGTH,
                  help="Jangan menuliskan data pribadi; komentar dibaca oleh pimpinan tanpa nama Anda."),
        ),
    )
)
