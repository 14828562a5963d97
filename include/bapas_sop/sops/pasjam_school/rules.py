"""Pasjam School (Bapas Jambi Goes To School): the term's legal outreach to a school, as plain rules.

No Airflow and no database here: the register of schools (``sekolah.csv``, validated), the
term a run plans, the **risk score** that ranks the schools, and the before/after quiz.
:mod:`bapas_sop.sops.pasjam_school.flow` applies them to the run.

**Risk score** (:func:`risk_scores`), 0 to 100 with the default weights: the sum of four
contributions, each a factor between 0 and 1 times its weight from ``[pasjam_school.bobot]``
in ``bapas.toml``, so that the Kasubsi sees exactly how much each factor added:

* ``insiden``: incidents the PK/APK observed at the school, ``min(n, insiden_maks) / insiden_maks``;
* ``kasus_anak``: juvenile (anak) Litmas cases of the school's district in SP2LO's records over
  the last ``kasus_bulan`` months, relative to the district with the most cases;
* ``jenjang``: the level's factor (``[pasjam_school.faktor_jenjang]``, SMP and SMK highest:
  the ages most juvenile cases concern);
* ``kunjungan``: months since the last visit, ``min(m, kunjungan_maks_bulan) / kunjungan_maks_bulan``;
  a school never visited counts as the full span.

Ties (same score) go to the school not visited for longest, then the most incidents, then
the NPSN, so that the order never depends on the file's row order.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import pandas as pd

from bapas_sop.tables import Column, LoadResult, RowError, load_table

REGISTER_FILE = "sekolah.csv"
REGISTER_LABEL = "daftar sekolah"
LEVELS = ("SD", "SMP", "SMA", "SMK")

REGISTER_COLUMNS: tuple[Column, ...] = (
    Column("npsn", required=True, unique=True),
    Column("nama", required=True, unique=True),
    Column("jenjang", required=True, kind="choice", choices=LEVELS),
    Column("alamat", required=True),
    Column("kecamatan"),
    Column("kabupaten", required=True),
    Column("kontak_nama", required=True),
    Column("kontak_email", required=True, kind="email"),
    Column("aktif", kind="bool", default=True),
    Column("kunjungan_terakhir", kind="date"),
)

#: The factors of the risk score, in the order the ranking shows them, with their labels.
FACTORS = ("insiden", "kasus_anak", "jenjang", "kunjungan")
FACTOR_LABELS = {
    "insiden": "insiden teramati",
    "kasus_anak": "kasus anak di kabupaten",
    "jenjang": "jenjang",
    "kunjungan": "lama tidak dikunjungi",
}

#: The defaults of ``[pasjam_school]``; an office overrides any of them in ``bapas.toml``.
DEFAULT_CONFIG: dict[str, Any] = {
    "bulan_per_periode": 6,
    "kandidat": 4,
    "maks_sekolah_dihubungi": 4,
    "kasus_bulan": 12,
    "insiden_maks": 5,
    "kunjungan_maks_bulan": 24,
    "bobot": {"insiden": 40.0, "kasus_anak": 30.0, "jenjang": 10.0, "kunjungan": 20.0},
    "faktor_jenjang": {"SD": 0.4, "SMP": 1.0, "SMA": 0.8, "SMK": 1.0},
    "instansi_kabupaten": {},
    "nomor_surat": "W5.PAS.PAS.8-PK.01.05.03-{nomor}/{tahun}",
}


@dataclass(frozen=True)
class RiskConfig:
    """The weights and caps of the risk score (``[pasjam_school]``), checked once."""

    weights: Mapping[str, float]
    level_factors: Mapping[str, float]
    incident_cap: int = 5
    visit_cap_months: int = 24

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None = None) -> RiskConfig:
        merged = merged_config(section)
        weights = {name: float(merged["bobot"].get(name, 0.0)) for name in FACTORS}
        levels = {level: float(merged["faktor_jenjang"].get(level, 0.0)) for level in LEVELS}
        config = cls(weights=weights, level_factors=levels, incident_cap=int(merged["insiden_maks"]),
                     visit_cap_months=int(merged["kunjungan_maks_bulan"]))
        config.check()
        return config

    def check(self) -> None:
        if any(w < 0 or not math.isfinite(w) for w in self.weights.values()):
            raise ValueError("Bobot skor risiko [pasjam_school.bobot] tidak boleh negatif.")
        if sum(self.weights.values()) <= 0:
            raise ValueError("Bobot skor risiko [pasjam_school.bobot] semuanya nol: isi paling sedikit satu bobot.")
        if any(not 0 <= f <= 1 for f in self.level_factors.values()):
            raise ValueError("Faktor jenjang [pasjam_school.faktor_jenjang] harus antara 0 dan 1.")
        if self.incident_cap < 1 or self.visit_cap_months < 1:
            raise ValueError("insiden_maks dan kunjungan_maks_bulan [pasjam_school] paling sedikit 1.")


def merged_config(section: Mapping[str, Any] | None) -> dict[str, Any]:
    """``[pasjam_school]`` over the defaults (the nested tables merged key by key)."""
    section = dict(section or {})
    merged = {**DEFAULT_CONFIG, **section}
    for table in ("bobot", "faktor_jenjang", "instansi_kabupaten"):
        merged[table] = {**DEFAULT_CONFIG[table], **dict(section.get(table) or {})}
    return merged


# --------------------------------------------------------------------------- the register


def read_register(source: str | os.PathLike[str] | IO[str] | IO[bytes] | None = None, *,
                  data_dir: Path | None = None) -> LoadResult:
    """The register of schools, every bad row named (an 8-digit NPSN, a known level, an email)."""
    if source is None:
        source = Path(data_dir or ".") / REGISTER_FILE
    result = load_table(source, REGISTER_COLUMNS, table_label=REGISTER_LABEL)
    errors = [
        RowError(int(row), "npsn", f"NPSN '{npsn}' harus 8 angka.")
        for row, npsn in result.rows["npsn"].items()
        if not (str(npsn).isdigit() and len(str(npsn)) == 8)
    ] if not result.rows.empty else []
    result.add_errors(errors)
    return result


def register_frame(result: LoadResult) -> pd.DataFrame:
    """The valid rows by NPSN (index ``npsn``), active schools only."""
    frame = result.rows.reset_index(drop=True)
    if frame.empty:
        return pd.DataFrame(columns=[c.name for c in REGISTER_COLUMNS]).set_index("npsn")
    return frame[frame["aktif"]].set_index("npsn", drop=False).rename_axis(None)


# --------------------------------------------------------------------------- the term


def term_for(day: date, months: int = 6) -> str:
    """The period a day belongs to: ``2026-S2`` (Juli–Desember) for six-month terms, ``2026-Q4``
    for quarters, ``2026-11`` for months."""
    if months not in (1, 3, 6):
        raise ValueError("bulan_per_periode [pasjam_school] harus 1, 3 atau 6.")
    index = (day.month - 1) // months + 1
    if months == 6:
        return f"{day.year}-S{index}"
    if months == 3:
        return f"{day.year}-Q{index}"
    return f"{day.year}-{day.month:02d}"


_MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
              "November", "Desember")


def term_label(term: str) -> str:
    """``2026-S2`` -> ``Semester II 2026 (Juli–Desember)``; ``2026-Q4``, ``2026-11`` alike."""
    year, _, part = term.partition("-")
    if not year.isdigit() or not part:
        raise ValueError(f"Periode '{term}' tidak dikenali; tulis seperti 2026-S2, 2026-Q4 atau 2026-11.")
    if part.startswith("S") and part[1:] in ("1", "2"):
        first = 0 if part == "S1" else 6
        return f"Semester {'I' if part == 'S1' else 'II'} {year} ({_MONTHS_ID[first]}–{_MONTHS_ID[first + 5]})"
    if part.startswith("Q") and part[1:] in ("1", "2", "3", "4"):
        first = (int(part[1]) - 1) * 3
        return f"Triwulan {part[1]} {year} ({_MONTHS_ID[first]}–{_MONTHS_ID[first + 2]})"
    if part.isdigit() and 1 <= int(part) <= 12:
        return f"{_MONTHS_ID[int(part) - 1]} {year}"
    raise ValueError(f"Periode '{term}' tidak dikenali; tulis seperti 2026-S2, 2026-Q4 atau 2026-11.")


# --------------------------------------------------------------------------- the risk score


def months_between(earlier: date | None, today: date) -> float | None:
    """Whole and part months from ``earlier`` to ``today`` (30.44 days a month); None if never."""
    if earlier is None or (isinstance(earlier, float) and math.isnan(earlier)):
        return None
    if isinstance(earlier, datetime):
        earlier = earlier.date()
    return max((today - earlier).days, 0) / 30.4375


def last_visits(register: pd.DataFrame, visits: Iterable[Mapping[str, Any]]) -> dict[str, date | None]:
    """The latest visit per school: the register's ``kunjungan_terakhir`` or a later visit of the system."""
    latest: dict[str, date | None] = {
        str(npsn): (value if isinstance(value, date) else None)
        for npsn, value in register["kunjungan_terakhir"].items()
    }
    for visit in visits:
        npsn, day = str(visit["npsn"]), visit["tanggal"]
        if day is not None and (latest.get(npsn) is None or day > latest[npsn]):
            latest[npsn] = day
    return latest


def district_of(agency: str, mapping: Mapping[str, str]) -> str | None:
    """The district (kabupaten/kota) of a requesting agency, by the configured keyword found in its
    name (longest keyword first: "Muaro Jambi" before "Jambi"); None when no keyword matches."""
    text = " ".join(str(agency or "").lower().split())
    for keyword in sorted(mapping, key=len, reverse=True):
        if keyword.lower() in text:
            return str(mapping[keyword])
    return None


def risk_scores(
    register: pd.DataFrame,
    *,
    incidents: Mapping[str, int],
    district_cases: Mapping[str, int],
    last_visit: Mapping[str, date | None],
    today: date,
    config: RiskConfig,
) -> pd.DataFrame:
    """Every school of ``register`` ranked by risk, with each factor's value and contribution.

    Columns: ``npsn, nama, jenjang, kabupaten, insiden, kasus_anak, bulan_sejak_kunjungan,
    kontribusi_<factor>`` for each factor, ``skor`` and ``peringkat`` (1 = highest risk).
    """
    columns = ["npsn", "nama", "jenjang", "kabupaten", "insiden", "kasus_anak", "bulan_sejak_kunjungan",
               *(f"kontribusi_{f}" for f in FACTORS), "skor", "peringkat"]
    if register.empty:
        return pd.DataFrame(columns=columns)
    frame = register[["npsn", "nama", "jenjang", "kabupaten"]].copy().reset_index(drop=True)
    frame["npsn"] = frame["npsn"].astype(str)
    frame["insiden"] = [max(int(incidents.get(n, 0) or 0), 0) for n in frame["npsn"]]
    frame["kasus_anak"] = [int(district_cases.get(k, 0) or 0) for k in frame["kabupaten"]]
    months = [months_between(last_visit.get(n), today) for n in frame["npsn"]]
    frame["bulan_sejak_kunjungan"] = [None if m is None else round(m, 1) for m in months]
    most_cases = max(district_cases.values(), default=0)
    factors = {
        "insiden": frame["insiden"].clip(upper=config.incident_cap) / config.incident_cap,
        "kasus_anak": frame["kasus_anak"] / most_cases if most_cases > 0 else frame["kasus_anak"] * 0.0,
        "jenjang": frame["jenjang"].map(lambda level: config.level_factors.get(level, 0.0)).astype(float),
        "kunjungan": pd.Series([1.0 if m is None else min(m, config.visit_cap_months) / config.visit_cap_months
                                for m in months], dtype=float),
    }
    for name in FACTORS:
        frame[f"kontribusi_{name}"] = (factors[name] * config.weights[name]).round(1)
    frame["skor"] = frame[[f"kontribusi_{f}" for f in FACTORS]].sum(axis=1).round(1)
    # Ties: the longest without a visit (never visited first), the most incidents, then NPSN.
    frame["_bulan"] = [math.inf if m is None else m for m in months]
    frame = frame.sort_values(["skor", "_bulan", "insiden", "npsn"], ascending=[False, False, False, True],
                              kind="mergesort").drop(columns="_bulan").reset_index(drop=True)
    frame["peringkat"] = range(1, len(frame) + 1)
    return frame[columns]


def contributions_text(row: Mapping[str, Any]) -> str:
    """``insiden teramati 24,0 + kasus anak di kabupaten 30,0 + ...`` (Indonesian decimals)."""
    return " + ".join(f"{FACTOR_LABELS[f]} {number_id(row[f'kontribusi_{f}'])}" for f in FACTORS)


def number_id(value: float | None) -> str:
    """``12.5`` -> ``12,5`` (one decimal, Indonesian decimal comma)."""
    return "-" if value is None else f"{float(value):.1f}".replace(".", ",")


def preliminary_candidates(ranked: pd.DataFrame, count: int) -> list[str]:
    """The schools to observe this term: the top ``count`` of a ranking without observations."""
    return [str(n) for n in ranked["npsn"].head(max(int(count), 0))]


def contact_order(ranked: Sequence[str], picked: str | None) -> list[str]:
    """Whom to ask, in order: the Kasubsi's pick first, then the ranking."""
    order = [str(n) for n in ranked]
    if picked and picked in order:
        order.remove(picked)
        order.insert(0, picked)
    return order


def next_school(order: Sequence[str], asked: Iterable[str]) -> str | None:
    """The first school of ``order`` not asked yet in this run."""
    done = set(asked)
    return next((n for n in order if n not in done), None)


# --------------------------------------------------------------------------- the quiz


@dataclass(frozen=True)
class Question:
    """One question of the quiz: its field name, text, choices ``(value, label)`` and the right value."""

    name: str
    text: str
    choices: tuple[tuple[str, str], ...]
    correct: str


#: The short quiz students answer before and after the session (no names asked).
QUIZ: tuple[Question, ...] = (
    Question("s1", "Menurut UU Sistem Peradilan Pidana Anak, yang disebut anak yang berkonflik dengan hukum berumur…",
             (("a", "12 sampai belum 18 tahun"), ("b", "di bawah 21 tahun"), ("c", "berapa saja asal masih sekolah")), "a"),
    Question("s2", "Mengunggah foto teman untuk diejek di media sosial…",
             (("a", "hanya candaan, tidak ada akibat hukum"), ("b", "dapat dipidana (perundungan siber, UU ITE)"),
              ("c", "boleh bila akunnya pribadi")), "b"),
    Question("s3", "Diversi dalam perkara anak artinya…",
             (("a", "hukuman penjara yang lebih lama"), ("b", "penyelesaian perkara di luar peradilan pidana"),
              ("c", "pemindahan anak ke sekolah lain")), "b"),
    Question("s4", "Bila seorang teman menawarkan rokok elektrik berisi zat terlarang, sebaiknya…",
             (("a", "mencoba sedikit saja"), ("b", "menolak dan memberi tahu guru atau orang tua"),
              ("c", "menyimpannya untuk teman lain")), "b"),
    Question("s5", "Balai Pemasyarakatan (Bapas) membantu anak yang berhadapan dengan hukum melalui…",
             (("a", "penelitian kemasyarakatan dan pembimbingan"), ("b", "penangkapan pelaku"),
              ("c", "pengadilan anak")), "a"),
)

BEFORE, AFTER = "sebelum", "sesudah"
STAGES = {BEFORE: "Sebelum penyuluhan", AFTER: "Sesudah penyuluhan"}


def quiz_score(answers: Mapping[str, Any], quiz: Sequence[Question] = QUIZ) -> float:
    """The share of right answers, 0–100 (an unanswered question is wrong)."""
    right = sum(1 for q in quiz if answers.get(q.name) == q.correct)
    return round(100.0 * right / len(quiz), 1)


@dataclass(frozen=True)
class QuizSummary:
    """Before/after of one session: counts, mean scores, improvement, each question's share right."""

    before_count: int
    after_count: int
    before_mean: float | None
    after_mean: float | None
    improvement: float | None  # points (after mean - before mean)
    relative: float | None  # improvement / before mean, percent
    per_question: tuple[tuple[str, float | None, float | None], ...]  # name, % right before, after

    def as_dict(self) -> dict[str, Any]:
        return {
            "before_count": self.before_count, "after_count": self.after_count,
            "before_mean": self.before_mean, "after_mean": self.after_mean,
            "improvement": self.improvement, "relative": self.relative,
            "per_question": [list(q) for q in self.per_question],
        }


def summarise_quiz(answers: Iterable[Mapping[str, Any]], quiz: Sequence[Question] = QUIZ) -> QuizSummary:
    """``answers``: ``{"stage", "answers": {...}}`` per submission (anonymous)."""
    by_stage: dict[str, list[Mapping[str, Any]]] = {BEFORE: [], AFTER: []}
    for row in answers:
        if row.get("stage") in by_stage:
            by_stage[row["stage"]].append(dict(row.get("answers") or {}))

    def mean(rows: list[Mapping[str, Any]]) -> float | None:
        return sum(quiz_score(r, quiz) for r in rows) / len(rows) if rows else None

    def share(rows: list[Mapping[str, Any]], q: Question) -> float | None:
        return round(100.0 * sum(1 for r in rows if r.get(q.name) == q.correct) / len(rows), 1) if rows else None

    before, after = mean(by_stage[BEFORE]), mean(by_stage[AFTER])
    improvement = None if before is None or after is None else after - before
    relative = None if improvement is None or not before else 100.0 * improvement / before
    return QuizSummary(
        before_count=len(by_stage[BEFORE]), after_count=len(by_stage[AFTER]), before_mean=_rounded(before),
        after_mean=_rounded(after), improvement=_rounded(improvement), relative=_rounded(relative),
        per_question=tuple((q.name, share(by_stage[BEFORE], q), share(by_stage[AFTER], q)) for q in quiz),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def quiz_chart(summary: QuizSummary, title: str) -> bytes:
    """A PNG bar chart: share of right answers per question, before and after (Agg, no pyplot)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [f"Soal {i}" for i in range(1, len(summary.per_question) + 1)] + ["Rata-rata"]
    before = [b or 0.0 for _, b, _ in summary.per_question] + [summary.before_mean or 0.0]
    after = [a or 0.0 for _, _, a in summary.per_question] + [summary.after_mean or 0.0]
    fig = Figure(figsize=(8, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    width = 0.38
    positions = range(len(names))
    ax.bar([p - width / 2 for p in positions], before, width, label="Sebelum", color="#9ca3af")
    ax.bar([p + width / 2 for p in positions], after, width, label="Sesudah", color="#15803d")
    ax.set_xticks(list(positions), labels=names, fontsize=9)
    ax.set_ylim(0, 105)
    ax.set_ylabel("Jawaban benar (%)")
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=9, loc="lower right")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


__all__ = [
    "AFTER",
    "BEFORE",
    "DEFAULT_CONFIG",
    "FACTORS",
    "FACTOR_LABELS",
    "LEVELS",
    "QUIZ",
    "Question",
    "QuizSummary",
    "RiskConfig",
    "contact_order",
    "contributions_text",
    "district_of",
    "last_visits",
    "merged_config",
    "months_between",
    "next_school",
    "preliminary_candidates",
    "quiz_chart",
    "quiz_score",
    "read_register",
    "register_frame",
    "risk_scores",
    "summarise_quiz",
    "term_for",
    "term_label",
]
