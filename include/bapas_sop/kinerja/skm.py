"""Survei Kepuasan Masyarakat (SKM): the public's satisfaction, as PermenPANRB 14/2017 computes it.

Peraturan Menteri PANRB Nomor 14 Tahun 2017 tentang Pedoman Penyusunan Survei Kepuasan
Masyarakat Unit Penyelenggara Pelayanan Publik (Lampiran, bab "Metode pengolahan data"):

* nine elements (unsur) U1..U9, each answered on a scale of 1 to 4;
* the mean of each element over its respondents (NRR, *nilai rata-rata per unsur*);
* each mean weighted equally: weight = 1 / number of elements (the regulation's example
  rounds 1/9 to 0,11; we keep the exact 1/9 so that a unanimous 4 gives 100, as the
  regulation's interval table intends);
* the index IKM = sum of the weighted means, converted to 25–100 by multiplying by 25;
* the grade from the conversion table: 25,00–64,99 D (Tidak Baik), 65,00–76,60 C (Kurang
  Baik), 76,61–88,30 B (Baik), 88,31–100,00 A (Sangat Baik). The same table on the 1–4 scale
  (1,00–2,5996; 2,60–3,064; 3,0644–3,532; 3,5324–4,00) grades each element.

Pure Python/pandas, tested with hand-computed answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Element:
    key: str
    title: str
    question: str
    #: The answers 1..4 as the regulation's questionnaire words them for this element.
    scale: tuple[str, str, str, str]


_QUALITY = ("Tidak baik", "Kurang baik", "Baik", "Sangat baik")

#: The nine elements of PermenPANRB 14/2017, with the questionnaire's wording.
ELEMENTS: tuple[Element, ...] = (
    Element("u1", "Persyaratan", "Bagaimana kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
            ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    Element("u2", "Sistem, mekanisme, dan prosedur", "Bagaimana kemudahan prosedur pelayanan di unit ini?",
            ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah")),
    Element("u3", "Waktu penyelesaian", "Bagaimana kecepatan waktu dalam memberikan pelayanan?",
            ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat")),
    Element("u4", "Biaya/tarif", "Bagaimana kewajaran biaya/tarif dalam pelayanan? (Layanan Bapas tidak dipungut biaya.)",
            ("Sangat mahal", "Cukup mahal", "Murah", "Gratis")),
    Element("u5", "Produk spesifikasi jenis pelayanan",
            "Bagaimana kesesuaian produk pelayanan antara yang tercantum dalam standar pelayanan dengan hasil yang diberikan?",
            ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    Element("u6", "Kompetensi pelaksana", "Bagaimana kompetensi/kemampuan petugas dalam pelayanan?",
            ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten")),
    Element("u7", "Perilaku pelaksana", "Bagaimana perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?",
            ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah", "Sangat sopan dan ramah")),
    Element("u8", "Penanganan pengaduan, saran dan masukan", "Bagaimana kualitas penanganan pengaduan, saran dan masukan?",
            ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik")),
    Element("u9", "Sarana dan prasarana", "Bagaimana kualitas sarana dan prasarana?", _QUALITY),
)
ELEMENT_KEYS: tuple[str, ...] = tuple(e.key for e in ELEMENTS)

#: Lower bounds of the grades on the 25–100 scale (Lampiran PermenPANRB 14/2017), best first.
GRADES: tuple[tuple[float, str, str], ...] = (
    (88.31, "A", "Sangat Baik"),
    (76.61, "B", "Baik"),
    (65.00, "C", "Kurang Baik"),
    (25.00, "D", "Tidak Baik"),
)
#: Grades that call for follow-up (an element graded so is flagged on the page and in the report).
FOLLOW_UP_GRADES = frozenset({"C", "D"})


def grade(converted: float) -> tuple[str, str]:
    """The letter and the words of a value on the 25–100 scale (rounded to 2 decimals first,
    as the table is written with 2 decimals)."""
    value = round(float(converted), 2)
    for floor, letter, words in GRADES:
        if value >= floor:
            return letter, words
    raise ValueError(f"not on the 25-100 scale: {converted}")


@dataclass(frozen=True)
class ElementScore:
    key: str
    title: str
    respondents: int
    mean: float | None          # NRR, 1..4
    converted: float | None     # NRR x 25
    grade: str | None
    grade_words: str | None

    @property
    def needs_follow_up(self) -> bool:
        return self.grade in FOLLOW_UP_GRADES


@dataclass(frozen=True)
class SkmResult:
    respondents: int
    elements: tuple[ElementScore, ...]
    index: float | None          # IKM on 25..100
    grade: str | None
    grade_words: str | None

    @property
    def follow_up(self) -> list[ElementScore]:
        return [e for e in self.elements if e.needs_follow_up]


def skm_index(answers: pd.DataFrame | Sequence[Mapping[str, int]]) -> SkmResult:
    """The SKM of a set of answers: one row per respondent, columns ``u1``..``u9`` with 1..4.

    A blank element of one respondent is left out of that element's mean (the regulation
    divides by the respondents who answered it). Values outside 1..4 are refused.
    """
    frame = answers if isinstance(answers, pd.DataFrame) else pd.DataFrame(list(answers))
    frame = frame.reindex(columns=list(ELEMENT_KEYS))
    values = frame.apply(pd.to_numeric, errors="coerce")
    bad = values.notna() & ~values.isin([1, 2, 3, 4])
    if bad.any().any():
        raise ValueError("SKM answers are whole numbers from 1 to 4")
    scores = []
    for element in ELEMENTS:
        column = values[element.key].dropna()
        if column.empty:
            scores.append(ElementScore(element.key, element.title, 0, None, None, None, None))
            continue
        mean = float(column.mean())
        letter, words = grade(mean * 25)
        scores.append(ElementScore(element.key, element.title, int(column.size), mean, mean * 25, letter, words))
    complete = [s for s in scores if s.mean is not None]
    if len(complete) < len(ELEMENTS):
        index = None
    else:
        index = sum(s.mean / len(ELEMENTS) for s in complete) * 25
    letter, words = grade(index) if index is not None else (None, None)
    return SkmResult(respondents=int(len(frame)), elements=tuple(scores), index=index, grade=letter, grade_words=words)


__all__ = ["ELEMENTS", "ELEMENT_KEYS", "FOLLOW_UP_GRADES", "GRADES", "ElementScore", "SkmResult", "grade", "skm_index"]
