"""The forms of Peterpan (Pegawai Terbaik Jadi Panutan), the quarterly best-employee vote."""

from __future__ import annotations

from bapas_sop.forms.registry import register
from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind

SUARA = FormSpec(
    name="peterpan_suara",
    title="Survei Pegawai Terbaik Jadi Panutan (Peterpan)",
    intro=(
        "Pilih satu rekan kerja yang menurut Anda paling layak menjadi teladan pada triwulan ini: "
        "disiplin, berintegritas, membantu rekan dan melayani masyarakat dengan baik. Setiap pegawai "
        "memiliki satu suara dan tidak dapat memilih dirinya sendiri. Pilihan Anda bersifat rahasia; "
        "yang diumumkan hanya jumlah suara."
    ),
    fields=(
        Field("pilihan", "Pegawai yang Anda pilih", Kind.CHOICE, choices_from="kandidat"),
        Field("alasan", "Alasan Anda memilihnya", Kind.LONG_TEXT, required=False, max_length=1000,
              help="Boleh dikosongkan. Alasan tanpa nama pemilih dapat dikutip dalam pengumuman."),
    ),
    submit_label="Kirim suara",
    # A vote is personal: it is never handed to a stand-in.
    allow_handover=False,
)

PUTUSAN_SERI = FormSpec(
    name="peterpan_putusan_seri",
    title="Putusan Kepala Bapas: perolehan suara Peterpan sama",
    intro=(
        "Beberapa pegawai memperoleh suara terbanyak yang sama. Sesuai SOP Peterpan, Kepala Bapas "
        "menetapkan satu pegawai terbaik dari mereka."
    ),
    fields=(
        Field("pemenang", "Pegawai terbaik yang ditetapkan", Kind.CHOICE, choices_from="kandidat_seri"),
        Field("alasan", "Pertimbangan", Kind.LONG_TEXT, max_length=2000,
              help="Dicatat dalam berita acara dan dapat disebutkan dalam pengumuman."),
    ),
    submit_label="Tetapkan pegawai terbaik",
)

PERSETUJUAN_SERTIFIKAT = FormSpec(
    name="peterpan_persetujuan_sertifikat",
    title="Persetujuan sertifikat Pegawai Terbaik (Peterpan)",
    intro=(
        "Draf sertifikat terlampir pada email terpisah. Periksa kutipan penghargaan; ubah bila perlu, "
        "lalu setujui. Setelah disetujui, sertifikat dikirim ke Staf Tata Usaha untuk dicetak."
    ),
    fields=(
        Field(
            "keputusan", "Keputusan", Kind.CHOICE,
            choices=(Choice("setuju", "Setujui dan terbitkan sertifikat"), Choice("tolak", "Jangan terbitkan")),
        ),
        Field("kutipan", "Kutipan penghargaan pada sertifikat", Kind.LONG_TEXT, max_length=600,
              required_if=("keputusan", "setuju")),
        Field("catatan", "Catatan", Kind.LONG_TEXT, max_length=2000, required_if=("keputusan", "tolak"),
              help="Wajib diisi bila sertifikat tidak diterbitkan."),
    ),
    submit_label="Kirim keputusan",
)

FOTO = FormSpec(
    name="peterpan_foto",
    title="Foto Pegawai Terbaik untuk dipajang",
    intro=(
        "Selamat! Foto Anda akan dipajang di depan pintu masuk kantor dan diunggah ke media sosial "
        "kantor. Unggah foto resmi (berseragam, latar polos) ke Google Drive atau penyimpanan lain, "
        "lalu tempelkan tautannya di sini."
    ),
    fields=(
        Field("tautan_foto", "Tautan foto", Kind.FILE_LINK, help="Pastikan tautan dapat dibuka oleh Tim Humas."),
        Field("catatan", "Pesan untuk Tim Humas", Kind.LONG_TEXT, required=False, max_length=1000),
    ),
    submit_label="Kirim foto",
    allow_handover=False,
)

BINGKISAN = FormSpec(
    name="peterpan_bingkisan",
    title="Penyerahan sertifikat dan bingkisan Pegawai Terbaik",
    intro=(
        "Sertifikat yang sudah disetujui Kepala Bapas terlampir pada email terpisah. Cetak sertifikat, "
        "siapkan bingkisan, lalu catat penyerahannya di sini."
    ),
    fields=(
        Field("sertifikat_dicetak", "Sertifikat sudah dicetak dan ditandatangani?", Kind.YES_NO),
        Field("bingkisan", "Bingkisan yang diberikan", max_length=300, placeholder="mis. parsel dan plakat"),
        Field("tanggal_penyerahan", "Tanggal penyerahan", Kind.DATE),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=2000),
    ),
    submit_label="Catat penyerahan",
)

register(SUARA, PUTUSAN_SERI, PERSETUJUAN_SERTIFIKAT, FOTO, BINGKISAN)
