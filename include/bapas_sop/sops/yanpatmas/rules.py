"""Yanpatmas domain rules: the public complaints service (Layanan Pengaduan Masyarakat).

One complaint runs: received -> (incomplete -> supplemented | withdrawn) | out of scope ->
forwarded to the Kepala Bapas -> analysed -> examined -> reported -> result sent ->
sanction or rehabilitation -> closed.

What the DAG, the forms, the pages and the monitor must agree on, without Airflow or the store:

* the words: channels, categories, stages with the plain Indonesian the complainant reads,
  sanction levels;
* the deadline rule table of ``[yanpatmas]`` in ``bapas.toml`` (completeness check, first
  answer, resolution with and without an examination) and the deadlines it gives a complaint;
* the conflict-of-interest rule: the person complained about, or anyone they supervise
  (directly or further down), never examines the complaint;
* the monthly figures (by category, by channel, on-time rate) with pandas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import pandas as pd

from bapas_sop.calendar import add_working_days, end_of_day, to_wib
from bapas_sop.settings import get_settings

#: How a complaint reached the office. The public page records ``web``; ULP types the others in.
CHANNELS: dict[str, str] = {
    "web": "Halaman pengaduan (YANPATMAS)",
    "whatsapp": "WhatsApp",
    "telepon": "Telepon",
    "kotak": "Kotak pengaduan",
    "email": "Email",
    "sp4n_lapor": "SP4N-LAPOR!",
    "langsung": "Datang langsung",
}

#: The office's categories (Kepala Bapas picks one in the analysis); ``[yanpatmas] kategori`` may replace them.
DEFAULT_CATEGORIES: dict[str, str] = {
    "pelayanan": "Kualitas pelayanan",
    "perilaku_petugas": "Perilaku petugas",
    "pungutan_liar": "Pungutan liar / gratifikasi",
    "administrasi": "Administrasi dan informasi",
    "sarana": "Sarana dan prasarana",
    "lainnya": "Lainnya",
}

#: Disciplinary sanction levels (PP 94/2021 tentang Disiplin PNS: ringan, sedang, berat).
SANCTIONS: dict[str, str] = {
    "ringan": "Hukuman disiplin ringan",
    "sedang": "Hukuman disiplin sedang",
    "berat": "Hukuman disiplin berat",
}

OUTCOMES: dict[str, str] = {
    "terbukti": "Terbukti",
    "tidak_terbukti": "Tidak terbukti",
}


class Stage(StrEnum):
    """Where a complaint stands; the value is what the store's ``stage`` column holds."""

    RECEIVED = "diterima"
    INCOMPLETE = "perlu_dilengkapi"
    FORWARDED = "diteruskan"
    ANALYSED = "ditelaah"
    IN_EXAMINATION = "diperiksa"
    REPORTED = "laporan_hasil"
    RESULT_SENT = "hasil_disampaikan"
    CLOSED = "selesai"
    WITHDRAWN = "ditarik"
    OUT_OF_SCOPE = "di_luar_kewenangan"


#: Stages after which nothing more happens.
FINAL_STAGES = frozenset({Stage.CLOSED, Stage.WITHDRAWN, Stage.OUT_OF_SCOPE})

#: What the public status page says of each stage: plain words, no internal detail, no names.
PUBLIC_STATUS: dict[str, str] = {
    Stage.RECEIVED: "Pengaduan Anda sudah kami terima dan sedang diperiksa kelengkapannya oleh Unit Layanan Pengaduan.",
    Stage.INCOMPLETE: "Pengaduan Anda perlu dilengkapi. Kami sudah menyampaikan apa yang perlu ditambahkan; "
                      "lengkapi paling lambat tanggal yang tertera.",
    Stage.FORWARDED: "Pengaduan Anda sudah lengkap dan diteruskan kepada Kepala Bapas untuk ditelaah.",
    Stage.ANALYSED: "Pengaduan Anda sudah ditelaah oleh Kepala Bapas dan sedang ditindaklanjuti.",
    Stage.IN_EXAMINATION: "Pengaduan Anda sedang ditindaklanjuti melalui pemeriksaan.",
    Stage.REPORTED: "Pemeriksaan sudah selesai; hasilnya sedang disahkan oleh Kepala Bapas.",
    Stage.RESULT_SENT: "Hasil penanganan pengaduan Anda sudah disampaikan. Tindak lanjut akhirnya sedang dicatat.",
    Stage.CLOSED: "Pengaduan Anda sudah selesai ditangani. Terima kasih telah membantu kami memperbaiki layanan.",
    Stage.WITHDRAWN: "Pengaduan ditutup karena tidak dilengkapi dalam batas waktu. Anda dapat menyampaikan pengaduan baru.",
    Stage.OUT_OF_SCOPE: "Pengaduan ditutup karena berada di luar kewenangan Bapas. Alasannya dan ke mana pengaduan "
                        "dapat disampaikan sudah kami kirimkan kepada Anda.",
}


def public_status(stage: str) -> str:
    """The sentence the status page shows for ``stage`` (an unknown stage says it is being handled)."""
    return PUBLIC_STATUS.get(stage, "Pengaduan Anda sedang ditangani.")


def categories(config: Mapping[str, Any] | None = None) -> dict[str, str]:
    """``[yanpatmas] kategori`` (key = label) or the default categories."""
    section = _section(config)
    configured = section.get("kategori")
    if not configured:
        return dict(DEFAULT_CATEGORIES)
    if not isinstance(configured, Mapping) or not all(isinstance(v, str) for v in configured.values()):
        raise RuleTableError("yanpatmas.kategori must be a table of key = \"label\"")
    return {str(k): str(v) for k, v in configured.items()}


# --------------------------------------------------------------------------------------------
# Deadlines


class RuleTableError(ValueError):
    """A ``[yanpatmas]`` deadline table that cannot be used (named in the message)."""


#: The deadlines every complaint has, and when their clock starts.
DEADLINE_KEYS = ("kelengkapan", "tanggapan_pertama", "penyelesaian_tanpa_pemeriksaan", "penyelesaian_dengan_pemeriksaan")
CLOCKS = ("diterima", "lengkap")


@dataclass(frozen=True)
class DeadlineRule:
    """One row of ``[[yanpatmas.batas_waktu]]``: ``working_days`` (WIB, without holidays) or
    calendar ``days`` from the clock (``diterima``: received; ``lengkap``: found complete), to
    the end of that day."""

    key: str
    label: str
    clock: str
    working_days: int | None = None
    days: int | None = None

    def due(self, start: datetime) -> datetime:
        if self.working_days is not None:
            return end_of_day(add_working_days(start, self.working_days))
        assert self.days is not None
        return end_of_day(to_wib(start) + timedelta(days=self.days))

    def describe(self) -> str:
        return f"{self.working_days} hari kerja" if self.working_days is not None else f"{self.days} hari"


def parse_rule(row: Mapping[str, Any], index: int) -> DeadlineRule:
    where = f"yanpatmas.batas_waktu[{index}]"
    key = row.get("key")
    if key not in DEADLINE_KEYS:
        raise RuleTableError(f"{where}: key must be one of {', '.join(DEADLINE_KEYS)}, got {key!r}")
    clock = row.get("dari", "diterima")
    if clock not in CLOCKS:
        raise RuleTableError(f"{where}: dari must be one of {', '.join(CLOCKS)}, got {clock!r}")
    working_days, days = row.get("working_days"), row.get("days")
    if (working_days is None) == (days is None):
        raise RuleTableError(f"{where}: give exactly one of working_days or days")
    amount = working_days if working_days is not None else days
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise RuleTableError(f"{where}: the number of days must be a whole number of at least 1, got {amount!r}")
    return DeadlineRule(key=str(key), label=str(row.get("label") or key), clock=str(clock),
                        working_days=working_days, days=days)


def load_rules(config: Mapping[str, Any] | None = None) -> dict[str, DeadlineRule]:
    """The deadline table by key, every key present (a missing one fails here, not on a complaint)."""
    rows = _section(config).get("batas_waktu")
    if not isinstance(rows, (list, tuple)) or not rows:
        raise RuleTableError("yanpatmas.batas_waktu must be a non-empty list of [[yanpatmas.batas_waktu]] tables")
    rules = {}
    for index, row in enumerate(rows):
        rule = parse_rule(row, index)
        if rule.key in rules:
            raise RuleTableError(f"yanpatmas.batas_waktu[{index}]: {rule.key} is given twice")
        rules[rule.key] = rule
    missing = [k for k in DEADLINE_KEYS if k not in rules]
    if missing:
        raise RuleTableError("yanpatmas.batas_waktu lacks " + ", ".join(missing))
    return rules


@dataclass(frozen=True)
class Deadlines:
    completeness: datetime
    first_answer: datetime
    resolution: datetime | None  # known once it is known whether an examination is needed


def deadlines(rules: Mapping[str, DeadlineRule], received_at: datetime, *, complete_at: datetime | None = None,
              examination: bool | None = None) -> Deadlines:
    """A complaint's deadlines. The resolution clock starts when the complaint is complete
    (``complete_at``; the receipt when it was complete at once) and its length depends on
    whether the Kepala Bapas ordered an examination (unknown before the analysis: None)."""

    def start(rule: DeadlineRule) -> datetime:
        return (complete_at or received_at) if rule.clock == "lengkap" else received_at

    resolution = None
    if examination is not None:
        rule = rules["penyelesaian_dengan_pemeriksaan" if examination else "penyelesaian_tanpa_pemeriksaan"]
        resolution = rule.due(start(rule))
    return Deadlines(
        completeness=rules["kelengkapan"].due(start(rules["kelengkapan"])),
        first_answer=rules["tanggapan_pertama"].due(start(rules["tanggapan_pertama"])),
        resolution=resolution,
    )


def on_time(done_at: datetime | None, due_at: datetime | None) -> bool | None:
    """Whether something was done by its deadline (None: not done or no deadline)."""
    if done_at is None or due_at is None:
        return None
    return done_at <= due_at


# --------------------------------------------------------------------------------------------
# Conflict of interest


def supervised_by(nip: str, boss: str, supervisor_of: Mapping[str, str | None]) -> bool:
    """Whether ``boss`` is ``nip``'s supervisor, directly or further up (a cycle ends the walk)."""
    seen: set[str] = set()
    current = supervisor_of.get(nip)
    while current and current not in seen:
        if current == boss:
            return True
        seen.add(current)
        current = supervisor_of.get(current)
    return False


def conflict_of_interest(examiner: str, reported: str | None, supervisor_of: Mapping[str, str | None],
                         names: Mapping[str, str] | None = None) -> str | None:
    """Why ``examiner`` may not examine a complaint about ``reported``, in Indonesian; None if they may.

    The person complained about never examines their own case, nor does anyone they
    supervise, directly or further down the line (a subordinate would judge their own superior).
    """
    if not reported:
        return None
    names = names or {}
    if examiner == reported:
        return "Pemeriksa tidak boleh pegawai yang diadukan (terlapor) sendiri. Pilih pemeriksa lain."
    if supervised_by(examiner, reported, supervisor_of):
        return (f"{names.get(examiner, 'Pemeriksa ini')} adalah bawahan {names.get(reported, 'terlapor')} "
                "sehingga ada benturan kepentingan. Pilih pemeriksa yang bukan bawahan terlapor.")
    return None


# --------------------------------------------------------------------------------------------
# Monthly figures


def monthly_figures(rows: Iterable[Mapping[str, Any]], category_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Counts by category and by channel and the on-time rate of a month's complaints.

    Each row: ``category`` (None before the analysis), ``channel``, ``stage``, and ``on_time``
    (True/False once resolved, None while open). The rate counts resolved complaints only.
    """
    frame = pd.DataFrame(list(rows), columns=["ticket", "category", "channel", "stage", "on_time"])
    labels = dict(category_labels or DEFAULT_CATEGORIES)
    by_category = (frame["category"].fillna("belum").map(lambda k: labels.get(k, "Belum ditelaah" if k == "belum" else k))
                   .value_counts().sort_index())
    by_channel = frame["channel"].map(lambda k: CHANNELS.get(k, k)).value_counts().sort_index()
    resolved = frame["on_time"].dropna().astype(bool)
    return {
        "total": int(len(frame)),
        "by_category": [(str(k), int(v)) for k, v in by_category.items()],
        "by_channel": [(str(k), int(v)) for k, v in by_channel.items()],
        "resolved": int(len(resolved)),
        "on_time": int(resolved.sum()),
        "on_time_rate": float(resolved.mean()) if len(resolved) else None,
        "open": int((~frame["stage"].isin([str(s) for s in FINAL_STAGES])).sum()) if len(frame) else 0,
    }


def _section(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    config = get_settings().config if config is None else config
    return config.get("yanpatmas", config) if "yanpatmas" in config else config


__all__: Sequence[str] = [
    "CHANNELS", "DEFAULT_CATEGORIES", "DeadlineRule", "Deadlines", "FINAL_STAGES", "OUTCOMES", "RuleTableError",
    "SANCTIONS", "Stage", "categories", "conflict_of_interest", "deadlines", "load_rules", "monthly_figures",
    "on_time", "public_status", "supervised_by",
]
