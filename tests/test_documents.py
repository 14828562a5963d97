"""Printed documents: letterhead, A4, page numbers, embedded charts, and no network access."""

from __future__ import annotations

import http.server
import io
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from bapas_sop import documents
from bapas_sop.settings import DEFAULT_CONFIG, PROJECT_DIR

A4_POINTS = (595.3, 841.9)

CHILD = """{% extends "base.html" %}
{% block title %}Surat Uji {{ number }}{% endblock %}
{% block content %}
<h1 class="doc-title">Surat Uji</h1>
<p>Nomor {{ number }} untuk {{ name }}.</p>
{% if chart %}<div class="figure"><img src="{{ chart }}" alt="grafik"></div>{% endif %}
{% for i in range(paragraphs) %}<p>Paragraf {{ i + 1 }}: Pembimbing Kemasyarakatan melaksanakan penelitian kemasyarakatan.</p>{% endfor %}
{% for src in images %}<img src="{{ src }}" alt="">{% endfor %}
{% for href in stylesheets %}<link rel="stylesheet" href="{{ href }}">{% endfor %}
{% endblock %}
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private templates directory (the real base.html plus a test letter) and data dir."""
    templates = tmp_path / "documents"
    templates.mkdir()
    shutil.copy(PROJECT_DIR / "templates" / "documents" / "base.html", templates / "base.html")
    (templates / "surat_uji.html").write_text(CHILD, encoding="utf-8")
    monkeypatch.setattr(documents, "DOCUMENT_TEMPLATES_DIR", templates)
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("BAPAS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BAPAS_DATA_DIR", str(data))
    return data


def letter(**context: object) -> bytes:
    values = {"number": "W5.PAS.PAS13-1/2026", "name": "Kepala Bapas", "paragraphs": 3,
              "images": [], "stylesheets": [], **context}
    return documents.render_pdf("surat_uji", values)


def pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def small_png() -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1), dpi=50)
    FigureCanvasAgg(fig)
    fig.add_subplot(1, 1, 1).bar([1, 2], [3, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def test_a4_pdf_with_letterhead_title_and_page_numbers() -> None:
    pdf = letter(paragraphs=90)  # long enough for a second page

    reader, text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF-")
    assert len(reader.pages) >= 2
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width, 1), round(height, 1)) == A4_POINTS
    assert "BALAI PEMASYARAKATAN KELAS II JAMBI" in text  # office name from [office], upper-cased
    assert "KANTOR WILAYAH DIREKTORAT JENDERAL PEMASYARAKATAN JAMBI" in text
    assert "Jl. Jend. Basuki Rahmat" in text
    assert f"Halaman 1 dari {len(reader.pages)}" in text
    assert f"Halaman {len(reader.pages)} dari {len(reader.pages)}" in text
    assert "Nomor W5.PAS.PAS13-1/2026 untuk Kepala Bapas." in text
    assert reader.metadata.title == "Surat Uji W5.PAS.PAS13-1/2026"


def test_values_are_escaped_and_a_missing_one_fails_loudly() -> None:
    html = documents.render_html("surat_uji", {"number": "1", "name": "<b>Andi</b>", "paragraphs": 0,
                                               "images": [], "stylesheets": []})
    assert "&lt;b&gt;Andi&lt;/b&gt;" in html
    with pytest.raises(documents.DocumentError, match="surat_uji"):
        documents.render_html("surat_uji", {"paragraphs": 0, "images": [], "stylesheets": []})


def test_chart_is_embedded_as_a_data_uri() -> None:
    png = small_png()
    uri = documents.png_data_uri(png)
    assert uri.startswith("data:image/png;base64,iVBORw0KGgo")

    reader, _ = pdf_text(letter(chart=uri))
    assert len(reader.pages[0].images) == 1

    with pytest.raises(ValueError):
        documents.png_data_uri(b"GIF89a not a png")


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red; }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[str]:
    _CountingHandler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_rendering_never_reaches_the_network(web_server: str) -> None:
    pdf = letter(images=[f"{web_server}/logo.png"], stylesheets=[f"{web_server}/gaya.css", "https://example.com/x.css"])

    assert pdf.startswith(b"%PDF-")  # the document is still produced, without them
    assert _CountingHandler.hits == []


def test_fetcher_serves_data_and_allowed_files_only(isolated: Path, tmp_path: Path) -> None:
    fetcher = documents.offline_url_fetcher()
    assert fetcher.fetch("data:text/plain,halo").read() == b"halo"

    inside = isolated / "logo.png"
    inside.write_bytes(small_png())
    assert fetcher.fetch(inside.as_uri()).read().startswith(b"\x89PNG")

    outside = tmp_path / "rahasia.txt"
    outside.write_text("rahasia")
    with pytest.raises(ValueError, match="may not read"):
        fetcher.fetch(outside.as_uri())
    for url in ("http://127.0.0.1:9/x.png", "https://example.com/a.css", "ftp://example.com/a"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_office_logo_from_the_data_directory(isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (isolated / "logo.png").write_bytes(small_png())
    config = tmp_path / "bapas.toml"
    config.write_text(DEFAULT_CONFIG.read_text().replace("[office]\n", '[office]\nlogo = "logo.png"\n', 1))
    monkeypatch.setenv("BAPAS_CONFIG", str(config))

    reader, _ = pdf_text(letter())

    assert len(reader.pages[0].images) == 1


@pytest.mark.parametrize(
    ("rate", "text"),
    [(None, "-"), (0.0, "0%"), (2 / 3, "66,7%"), (0.5, "50%"), (1.0, "100%"), (0.8888, "88,9%")],
)
def test_percent_in_indonesian(rate: float | None, text: str) -> None:
    assert documents.percent_id(rate) == text


def test_numbers_in_indonesian() -> None:
    assert documents.number_id(1250) == "1.250"
    assert documents.number_id(3.5) == "3,5"
    assert documents.number_id(1234.25) == "1.234,25"
    assert documents.number_id(None) == "-"
