"""Benchmark of the Peterpan certificate PDF (Jinja2 HTML → WeasyPrint): target < 0.5 s.

Renders the certificate of ``templates/documents/peterpan_sertifikat.html`` for a demo
winner, the first time (imports and font loading, paid once per worker process) apart from
the median of the following runs, and checks that the result is one A4 landscape page.

    .venv/bin/python bench/peterpan_certificate.py [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time

TARGET_S = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("BAPAS_VAR_DIR", tempfile.mkdtemp(prefix="bapas-bench-"))

    from pypdf import PdfReader

    from bapas_sop.sops.peterpan import flow as peterpan_flow

    survey = {"quarter": "2026-Q3", "quarter_label": "Triwulan III 2026"}
    winner = {"nip": "198903052014031001", "name": "Dedi Kurniawan", "title": "Pembimbing Kemasyarakatan Ahli Pertama"}
    context = peterpan_flow.certificate_context(survey, winner, approved=True)

    started = time.perf_counter()
    pdf = peterpan_flow.render_certificate(context)
    first = time.perf_counter() - started
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        pdf = peterpan_flow.render_certificate(context)
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    page = PdfReader(io.BytesIO(pdf)).pages
    width, height = (float(v) for v in page[0].mediabox[2:])
    print(f"Peterpan certificate: {len(pdf) / 1024:.0f} KiB, {len(page)} page(s), {width:.0f}×{height:.0f} pt")
    print(f"  first render {first:.2f} s (imports, fonts); median {median:.3f} s, best {min(timings):.3f} s "
          f"over {args.runs} runs (target < {TARGET_S} s): {'OK' if median < TARGET_S else 'SLOW'}")


if __name__ == "__main__":
    main()
