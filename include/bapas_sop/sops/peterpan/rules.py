"""Peterpan (Pegawai Terbaik Jadi Panutan): the quarterly best-employee vote, as plain rules.

No Airflow and no database here: the quarter arithmetic, who may vote and be voted for, the
checks on ballots and the tally (pandas, vectorised: 100,000 ballots in a few milliseconds),
and the results chart. :mod:`bapas_sop.sops.peterpan.flow` applies them to the run's answers.

Rules, and why:

* **Who votes**: every active employee who is not on leave when the survey opens. A vote is
  personal, so it is never handed to a stand-in (the form does not offer a hand-over).
* **Who can be chosen**: every active employee (those on leave too: a quarter's work counts
  even if someone is on leave when the survey opens), except the holders of
  :data:`EXCLUDED_CANDIDATE_ROLES` (the Kabapas decides ties and signs the certificate).
* **One ballot per voter, never for oneself**: the ballot lists everyone except the voter and
  the form refuses any other choice; the tally checks again and rejects, with the reason,
  a vote for oneself, a second vote by the same person (the first one counts), a vote by
  someone who is not a voter and a vote for someone who is not a candidate.
* **Not voting is abstaining**: a ballot unanswered at the deadline is an abstention; it
  lowers the participation rate and nothing else.
* **Ties** (two or more candidates with the most votes), and a quarter without a single
  vote (every candidate tied at zero), go to the Kabapas to decide.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from bapas_sop.directory import Directory, Person

#: Roles whose holders are not candidates (they run the election).
EXCLUDED_CANDIDATE_ROLES: tuple[str, ...] = ("kabapas",)

ROMAN = ("I", "II", "III", "IV")
MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)

WINNER, TIE, NO_VOTES = "winner", "tie", "no_votes"

#: Why a ballot did not count (code -> what the tally report says).
REJECTION_REASONS: dict[str, str] = {
    "bukan_pemilih": "pemberi suara tidak terdaftar sebagai pemilih triwulan ini",
    "memilih_diri_sendiri": "memilih diri sendiri tidak diperbolehkan",
    "suara_ganda": "suara kedua dari orang yang sama (hanya suara pertama yang dihitung)",
    "kandidat_tidak_sah": "pegawai yang dipilih bukan kandidat",
}


# --------------------------------------------------------------------------- quarters


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: ``2026-Q3`` is July to September 2026 (*Triwulan III 2026*)."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"triwulan harus 1 sampai 4, bukan {self.number}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``"2026-Q3"`` (also ``2026Q3``, ``2026-q3``); an Indonesian error otherwise."""
        match = re.fullmatch(r"\s*(\d{4})\s*-?\s*[Qq]\s*([1-4])\s*", str(text or ""))
        if not match:
            raise ValueError(f"Triwulan '{text}' tidak dikenali; tulis seperti 2026-Q3 (tahun, lalu Q1 sampai Q4).")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date | datetime) -> Quarter:
        if isinstance(day, datetime):
            from bapas_sop.calendar import wib_date

            day = wib_date(day)
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def roman(self) -> str:
        return ROMAN[self.number - 1]

    @property
    def label(self) -> str:
        return f"Triwulan {self.roman} {self.year}"

    @property
    def months_label(self) -> str:
        first = (self.number - 1) * 3
        return f"{MONTHS_ID[first]}–{MONTHS_ID[first + 2]} {self.year}"

    @property
    def first_day(self) -> date:
        return date(self.year, (self.number - 1) * 3 + 1, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def __str__(self) -> str:
        return self.key


def quarter_for_run(chosen: str | None, data_interval_start: datetime | None, logical_date: datetime | None) -> Quarter:
    """The quarter a run elects for: the admin's choice, else the run's data interval.

    The scheduled run on the first working day of a quarter has the quarter that just ended as
    its data interval (``FirstWorkingDayTimetable``, ``interval="previous"``), so its start is
    in that quarter. A manual run without a choice elects for the quarter before the run.
    """
    if chosen:
        return Quarter.parse(chosen)
    if data_interval_start is not None:
        return Quarter.of(data_interval_start)
    if logical_date is not None:
        return Quarter.of(logical_date).previous()
    raise ValueError("Triwulan tidak dapat ditentukan: isi parameter triwulan, mis. 2026-Q3.")


def certificate_number(quarter: Quarter) -> str:
    """The certificate's number, e.g. ``PETERPAN/III/2026``."""
    return f"PETERPAN/{quarter.roman}/{quarter.year}"


def default_citation(quarter: Quarter, office_name: str) -> str:
    return (
        f"Atas dedikasi, integritas dan keteladanannya dalam melaksanakan tugas sehingga terpilih oleh "
        f"rekan-rekan pegawai sebagai Pegawai Terbaik Jadi Panutan (PETERPAN) {quarter.label} "
        f"di lingkungan {office_name}."
    )


def closing_time(opened_at: datetime, working_days: int = 5, at: time = time(16, 0)) -> datetime:
    """When the survey closes: ``working_days`` working days after opening, at ``at`` WIB."""
    from bapas_sop.calendar import add_working_days, to_wib

    later = add_working_days(to_wib(opened_at), working_days)
    return later.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)


# --------------------------------------------------------------------------- who


def eligible_voters(directory: Directory) -> list[Person]:
    """Active employees not on leave, in file order."""
    return [p for p in directory.active_employees() if not p.on_leave]


def eligible_candidates(directory: Directory) -> list[Person]:
    """Active employees, on leave or not, except those holding an excluded role."""
    return [p for p in directory.active_employees() if not any(p.has_role(r) for r in EXCLUDED_CANDIDATE_ROLES)]


def ballot_choices(candidates: Sequence[Mapping[str, str]], voter_nip: str) -> list[dict[str, str]]:
    """What one voter's ballot lists: every candidate except the voter."""
    return [dict(c) for c in candidates if c["value"] != voter_nip]


def candidate_option(person: Person) -> dict[str, str]:
    label = person.name if not person.title else f"{person.name} — {person.title}"
    return {"value": person.nip, "label": label}


# --------------------------------------------------------------------------- ballots and tally


@dataclass
class BallotCheck:
    """Ballots that count (``accepted``: voter, candidate) and those that do not, with why."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    abstained: pd.DataFrame


def check_ballots(ballots: pd.DataFrame, voters: Iterable[str], candidates: Iterable[str]) -> BallotCheck:
    """Sort ballots into counted, rejected (with ``reason``) and abstentions.

    ``ballots`` has columns ``voter`` and ``candidate`` (missing/None = abstention), in the
    order they were cast (the first of two votes by one person counts). Vectorised over
    integer codes of the people (no Python loop over ballots).
    """
    frame = ballots.loc[:, ["voter", "candidate"]].reset_index(drop=True)
    sorted_ = _classify(frame, voters, candidates)
    accepted = frame.loc[sorted_.counted, ["voter", "candidate"]].reset_index(drop=True)
    abstained = frame.loc[sorted_.ok & sorted_.codes.abstain, ["voter"]].reset_index(drop=True)
    return BallotCheck(accepted=accepted, rejected=sorted_.rejected(frame), abstained=abstained)


@dataclass
class _Sorted:
    codes: _Codes
    reason: np.ndarray  # one code per ballot: 0 = fine, else an index into _REASONS
    counted: np.ndarray  # ballots that count as votes

    @property
    def ok(self) -> np.ndarray:
        return self.reason == 0

    def rejected(self, frame: pd.DataFrame) -> pd.DataFrame:
        bad = ~self.ok
        reasons = np.asarray(_REASONS, dtype=object)[self.reason[bad]]
        return frame.loc[bad, ["voter", "candidate"]].assign(reason=reasons).reset_index(drop=True)


_REASONS = ("", "bukan_pemilih", "memilih_diri_sendiri", "kandidat_tidak_sah", "suara_ganda")


def _classify(frame: pd.DataFrame, voters: Iterable[str], candidates: Iterable[str]) -> _Sorted:
    """The reason code of every ballot, in order of precedence (the first that applies)."""
    codes = _Codes(frame, voters, candidates)
    v, c = codes.voter, codes.candidate
    cast = ~codes.abstain
    reason = np.zeros(len(frame), dtype=np.int8)
    reason[~codes.is_voter[v]] = 1
    reason[(reason == 0) & cast & (v == c) & (v < codes.nobody)] = 2
    reason[(reason == 0) & cast & ~codes.is_candidate[c]] = 3
    # A second ballot of the same person, valid or not, never counts: the first one does.
    # An abstention (an expired ballot) next to a real vote is not a second vote.
    cast_positions = np.flatnonzero(cast & (v < codes.nobody))
    repeated = np.zeros(len(frame), dtype=bool)
    repeated[cast_positions] = pd.Series(v[cast_positions]).duplicated(keep="first").to_numpy()
    reason[(reason == 0) & repeated] = 4
    return _Sorted(codes=codes, reason=reason, counted=(reason == 0) & cast)


class _Codes:
    """Voters, candidates and ballots as integer codes of one factorisation (one hash pass).

    Code ``nobody`` (the number of distinct people) stands for a missing NIP (an abstention),
    so look-ups into the boolean arrays never need a special case.
    """

    def __init__(self, frame: pd.DataFrame, voters: Iterable[str], candidates: Iterable[str]) -> None:
        voters_arr = _texts(voters)
        candidates_arr = _texts(candidates)
        # The ballots' candidate column repeats a few hundred values: factorise it on its own
        # (a small hash table), then put only its distinct values into the people's codes.
        ballot_candidate_codes, ballot_candidate_values = pd.factorize(_texts(frame["candidate"]), use_na_sentinel=True)
        ballot_candidate_values = np.asarray(ballot_candidate_values, dtype=object)
        nv, nc, nu = len(voters_arr), len(candidates_arr), len(ballot_candidate_values)
        everything = np.concatenate([candidates_arr, ballot_candidate_values, voters_arr, _texts(frame["voter"])])
        codes, uniques = pd.factorize(everything, use_na_sentinel=True)
        nobody = len(uniques)
        codes = np.where(codes < 0, nobody, codes)
        candidate_codes = pd.unique(codes[:nc])
        value_codes = np.append(codes[nc:nc + nu], nobody)  # index -1 (an abstention) -> nobody
        voter_codes = codes[nc + nu:nc + nu + nv]
        self.nobody = nobody
        self.is_voter = np.zeros(nobody + 1, dtype=bool)
        self.is_voter[voter_codes] = True
        self.is_voter[nobody] = False
        self.is_candidate = np.zeros(nobody + 1, dtype=bool)
        self.is_candidate[candidate_codes] = True
        self.is_candidate[nobody] = False
        self.voter_count = int(np.count_nonzero(self.is_voter))
        self.candidate_codes = candidate_codes[candidate_codes < nobody]
        self.candidates = np.asarray(uniques, dtype=object)[self.candidate_codes]
        self.voter = codes[nc + nu + nv:]
        self.candidate = value_codes[ballot_candidate_codes]
        self.abstain = self.candidate == nobody


def _texts(values: Iterable[Any]) -> np.ndarray:
    """Values as an object array of text, missing values (None, NaN, NA) as None."""
    if isinstance(values, (pd.Series, pd.Index, np.ndarray)):
        series = pd.Series(np.asarray(values, dtype=object))
    else:
        series = pd.Series(list(values), dtype=object)
    missing = series.isna().to_numpy()
    if not missing.any() and (len(series) == 0 or isinstance(series.iloc[0], str)):
        return series.to_numpy(dtype=object)
    out = series.astype(str).to_numpy(dtype=object)
    out[missing] = None
    return out


@dataclass
class TallyResult:
    """The count of one quarter's survey."""

    counts: pd.Series  # votes per candidate NIP, every candidate (0 included), most first
    voters: int  # eligible voters
    voted: int  # voters whose vote counted
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["voter", "candidate", "reason"]))

    @property
    def participation(self) -> float:
        return self.voted / self.voters if self.voters else 0.0

    @property
    def total_votes(self) -> int:
        return int(self.counts.sum())

    @property
    def top(self) -> list[str]:
        """Candidates with the most votes (all candidates when nobody voted)."""
        if self.counts.empty:
            return []
        best = self.counts.max()
        return [str(nip) for nip in self.counts.index[self.counts == best]]

    @property
    def status(self) -> str:
        if self.counts.empty or self.total_votes == 0:
            return NO_VOTES
        return WINNER if len(self.top) == 1 else TIE

    @property
    def winner(self) -> str | None:
        return self.top[0] if self.status == WINNER else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, for XCom and the audit trail."""
        return {
            "status": self.status,
            "winner": self.winner,
            "top": self.top,
            "counts": [{"nip": str(nip), "votes": int(v)} for nip, v in self.counts.items()],
            "voters": self.voters,
            "voted": self.voted,
            "participation": round(self.participation, 6),
            "total_votes": self.total_votes,
            "rejected": [
                {"voter": _text(r.voter), "candidate": _text(r.candidate), "reason": str(r.reason)}
                for r in self.rejected.itertuples(index=False)
            ],
        }


def _text(value: Any) -> str | None:
    return None if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else str(value)


def tally(ballots: pd.DataFrame, voters: Iterable[str], candidates: Iterable[str]) -> TallyResult:
    """Count the valid votes per candidate; participation is valid voters / eligible voters.

    Candidates are ordered by votes (most first), ties kept in the candidates' own order.
    """
    frame = ballots.loc[:, ["voter", "candidate"]].reset_index(drop=True)
    sorted_ = _classify(frame, voters, candidates)
    codes = sorted_.codes
    per_person = np.bincount(codes.candidate[sorted_.counted], minlength=codes.nobody + 1)
    votes = per_person[codes.candidate_codes].astype("int64")
    order = np.lexsort((np.arange(len(votes)), -votes))
    counts = pd.Series(votes[order], index=pd.Index(codes.candidates[order], dtype=object), dtype="int64")
    voted = np.bincount(codes.voter[sorted_.counted], minlength=codes.nobody + 1)
    return TallyResult(
        counts=counts,
        voters=codes.voter_count,
        voted=int(np.count_nonzero(voted[: codes.nobody])),
        rejected=sorted_.rejected(frame),
    )


def ballots_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """``[{"voter": nip, "candidate": nip | None}, ...]`` -> the frame :func:`tally` reads."""
    frame = pd.DataFrame(list(rows), columns=["voter", "candidate"])
    return frame


# --------------------------------------------------------------------------- chart


def render_results_chart(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    participation: float,
    highlight: str | None = None,
    limit: int = 10,
) -> bytes:
    """A PNG bar chart of the votes (most first, at most ``limit`` bars), winner highlighted.

    ``rows``: ``{"nip", "name", "votes"}`` in display order. Uses the Agg canvas on a
    ``Figure`` (no pyplot state): safe in worker processes without a display.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = [r for r in rows if r["votes"] > 0][:limit] or list(rows)[:limit]
    fig = Figure(figsize=(8, 1.6 + 0.42 * max(len(shown), 2)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    positions = np.arange(len(shown))
    votes = [int(r["votes"]) for r in shown]
    colours = ["#b45309" if r["nip"] == highlight else "#15803d" for r in shown]
    ax.barh(positions, votes, color=colours)
    ax.set_yticks(positions, labels=[str(r["name"]) for r in shown], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("Jumlah suara")
    ax.xaxis.get_major_locator().set_params(integer=True)
    for y, v in zip(positions, votes, strict=True):
        ax.text(v, y, f"  {v}", va="center", fontsize=9)
    ax.set_xlim(0, max([*votes, 1]) * 1.15)
    percent = f"{participation * 100:.1f}".replace(".", ",").replace(",0", "")
    ax.set_title(f"{title}\nPartisipasi pemilih {percent}%", fontsize=11)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


__all__ = [
    "EXCLUDED_CANDIDATE_ROLES",
    "NO_VOTES",
    "REJECTION_REASONS",
    "TIE",
    "WINNER",
    "BallotCheck",
    "Quarter",
    "TallyResult",
    "ballot_choices",
    "ballots_frame",
    "candidate_option",
    "certificate_number",
    "check_ballots",
    "closing_time",
    "default_citation",
    "eligible_candidates",
    "eligible_voters",
    "quarter_for_run",
    "render_results_chart",
    "tally",
]
