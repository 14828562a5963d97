"""Email templates and the HTML -> text conversion."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from bapas_sop.mail import render
from bapas_sop.mail.render import html_to_text, render_email
from bapas_sop.settings import get_settings

TAG = re.compile(r"<[a-zA-Z/!][^>]*>")


def test_generic_notice() -> None:
    url = "http://localhost:8080/bapas/f/abc?sig=1&v=2"
    email = render_email(
        "generic",
        {
            "subject": "Pengingat: laporan Litmas & SPPD",
            "greeting": "Yth. Ibu Siti,",
            "paragraphs": ["Batas waktu tinggal <b>1 hari</b>.", "Terima kasih."],
            "facts": [("Klien", "Andi (anak)"), ("Batas waktu", "Senin, 7 Desember 2026")],
            "button_url": url,
            "button_label": "Buka formulir",
        },
    )

    assert email.subject == "Pengingat: laporan Litmas & SPPD"
    assert "&lt;b&gt;1 hari&lt;/b&gt;" in email.html  # autoescaped
    assert 'href="http://localhost:8080/bapas/f/abc?sig=1&amp;v=2"' in email.html
    office = get_settings().office["name"]
    assert office in email.html
    assert f"dikirim secara otomatis oleh sistem SOP {office}" in email.text

    assert not TAG.search(email.text.replace("<b>", "").replace("</b>", ""))
    assert "Yth. Ibu Siti,\n\nBatas waktu tinggal <b>1 hari</b>.\n\nTerima kasih." in email.text
    assert "Klien: Andi (anak)\nBatas waktu: Senin, 7 Desember 2026" in email.text
    assert f"Buka formulir ({url})" in email.text
    assert "Pengingat: laporan Litmas & SPPD" in email.text  # the heading, unescaped


def test_generic_minimal() -> None:
    email = render_email("generic", {"subject": "Informasi", "paragraphs": ["Halo."]})
    assert email.subject == "Informasi"
    assert "Halo." in email.text
    assert "http" not in email.text


def test_missing_value_is_an_error_not_a_hole() -> None:
    with pytest.raises(UndefinedError):
        render_email("generic", {"paragraphs": ["tanpa subjek"]})


def test_own_template_extends_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(render.EMAIL_TEMPLATES_DIR / "base.html", tmp_path / "base.html")
    (tmp_path / "undangan.html").write_text(
        '{% extends "base.html" %}\n'
        "{% block subject %}\n  Undangan   {{ acara }}\n{% endblock %}\n"
        "{% block content %}<p>Hadir di {{ acara }}.</p>{% endblock %}\n"
    )
    (tmp_path / "tanpa_subjek.html").write_text('{% extends "base.html" %}')
    monkeypatch.setattr(render, "EMAIL_TEMPLATES_DIR", tmp_path)

    email = render_email("undangan", {"acara": "Tamu Ngopi"})
    assert email.subject == "Undangan Tamu Ngopi"  # one line, no stray whitespace
    assert email.text.startswith(get_settings().office["name"] + "\n\nHadir di Tamu Ngopi.")
    with pytest.raises(ValueError):
        render_email("tanpa_subjek", {})


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Satu</p><p>Dua</p>", "Satu\n\nDua\n"),
        ("<p>baris\n   satu<br>baris dua</p>", "baris satu\nbaris dua\n"),
        ("<ul><li>apel</li><li>jeruk</li></ul>", "- apel\n- jeruk\n"),
        ("<ol><li>pertama</li><li>kedua</li></ol>", "1. pertama\n2. kedua\n"),
        ('<p>Lihat <a href="https://x.example/a?b=1&amp;c=2">di sini</a>.</p>',
         "Lihat di sini (https://x.example/a?b=1&c=2).\n"),
        ('<a href="https://x.example/">https://x.example/</a>', "https://x.example/\n"),
        ('<a href="mailto:ulp@bapas.example">ulp@bapas.example</a>', "ulp@bapas.example\n"),
        ('<a href="#atas">ke atas</a>', "ke atas\n"),
        ("<head><title>t</title><style>p{color:red}</style></head><p>isi</p>", "isi\n"),
        ("<p>A &amp; B &lt;tidak&gt; &#8212; &quot;C&quot;</p>", 'A & B <tidak> — "C"\n'),
        ("<pre>a  b\n  c</pre>", "a  b\n  c\n"),
        ("<table><tr><th>Nama</th><td>Ani</td></tr><tr><td>x</td><td>y</td></tr></table>",
         "Nama: Ani\nx | y\n"),
        ('<p><img src="logo.png" alt="Logo Bapas"> Jambi</p>', "Logo Bapas Jambi\n"),
        ("<div><div><p>dalam</p></div></div>\n\n\n<p>luar</p>", "dalam\n\nluar\n"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text
