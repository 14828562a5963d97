"""A simple SOP declared in one YAML file: what the file may say, read and checked.

An office's IT officer writes these files, so every mistake is a :class:`ConfigError` in
Indonesian naming the file, the line and what to write instead (the same error and YAML reader
as the declared forms, :mod:`bapas_sop.configfile`). Plain Python over the parsed YAML: no
Airflow, no store, no form objects (the forms in the file are built by the forms loader when a
form is needed, not when a DAG file is parsed).

The shape (``include/config/sops/ppid.yaml`` is the full example)::

    id: ppid
    title: Layanan Informasi Publik (PPID)
    summary: Satu kalimat tentang SOP ini.
    number_prefix: PPID                 # request numbers PPID-2026-0001
    intake:                              # the public form that starts a run
      form: ppid_permohonan
      requester: {name: nama, email: email}
      acknowledgement: ppid/tanda_terima
    outcome: {step: menjawab_permohonan, field: keputusan}   # what the Kinerja page tallies
    steps:
      - id: menjawab_permohonan
        title: "Jawab permohonan informasi {nomor}"
        form: ppid_jawaban
        assignee: ppid                   # a role of the directory, or "pemohon"
        due: {working_days: 10}          # or hours / days
        remind_before: {working_days: 2} # default: bapas.toml [human_steps]; none for the requester
        escalate_after: {hours: 0}
        escalate_to: kabapas
        expire_after: {working_days: 5}
        default_answer: {keputusan: tidak_ditanggapi}
        email: {template: ppid/jawaban, attach: {template: ppid/surat, filename: "Surat-{nomor}.pdf"}}
        extension: {when: {keputusan: diperpanjang}, by: {working_days: 7}, notify: [...]}
        notify: [{to: pemohon, template: ppid/hasil, attach: {...}}]
        next: [{when: {mengajukan_keberatan: ya}, step: menjawab_keberatan}]
        otherwise: end                   # default: the following step
    forms:                               # the forms, as in a forms file
      ppid_permohonan: {...}
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bapas_sop.configfile import ConfigError, YamlDocument, read_yaml

#: Who answers a step when it is the person who made the request (not a role).
REQUESTER = "pemohon"
#: ``otherwise``/``step`` value that ends the run.
END = "end"
#: Suffix of the task group of a step's extended round.
EXTENDED_SUFFIX = "_diperpanjang"

_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
_PREFIX = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
_TEMPLATE = re.compile(r"^[a-z][a-z0-9_]*/[a-z0-9_./-]+$")
_UNITS = {"hours": "jam", "days": "hari", "working_days": "hari kerja"}

_TOP_KEYS = ("id", "title", "summary", "number_prefix", "tags", "confidential", "intake", "outcome", "steps", "forms")
_INTAKE_KEYS = ("form", "requester", "acknowledgement", "posts_per_hour")
_STEP_KEYS = ("id", "title", "doc", "form", "assignee", "due", "remind_before", "escalate_after", "escalate_to",
              "expire_after", "default_answer", "email", "extension", "notify", "next", "otherwise")
_TRANSLATE = {
    "id": "kode", "title": "judul", "summary": "ringkasan", "number_prefix": "awalan nomor", "intake": "formulir awal",
    "steps": "langkah", "forms": "formulir", "form": "formulir", "assignee": "penjawab", "due": "batas waktu",
    "requester": "pemohon", "template": "templat", "to": "penerima", "when": "syarat", "by": "tambahan waktu",
}


@dataclass(frozen=True)
class Span:
    """A length of time as the file gives it: ``{working_days: 10}``, ``{hours: 4}``, ``{days: 30}``."""

    amount: int
    unit: str  # hours | days | working_days

    def after(self, start: datetime) -> datetime:
        """The moment this span after ``start`` (working days by the office calendar)."""
        if self.unit == "working_days":
            from bapas_sop.calendar import add_working_days

            return add_working_days(start, self.amount)
        return start + (timedelta(hours=self.amount) if self.unit == "hours" else timedelta(days=self.amount))

    def before(self, end: datetime) -> datetime:
        if self.unit == "working_days":
            from bapas_sop.calendar import add_working_days

            return add_working_days(end, -self.amount)
        return end - (timedelta(hours=self.amount) if self.unit == "hours" else timedelta(days=self.amount))

    def __str__(self) -> str:
        return f"{self.amount} {_UNITS[self.unit]}"


@dataclass(frozen=True)
class Attachment:
    """A PDF made from a document template (``templates/<sop>/documents/``) and attached."""

    template: str
    filename: str


@dataclass(frozen=True)
class Email:
    """An email from a template (``templates/<sop>/email/``) to a role or the requester."""

    template: str
    to: str = REQUESTER
    attach: Attachment | None = None


@dataclass(frozen=True)
class Route:
    """``when`` all these fields hold one of these values, go to ``step`` (or ``end``)."""

    when: Mapping[str, tuple[str, ...]]
    step: str

    def matches(self, answer: Mapping[str, Any]) -> bool:
        return all(_as_text(answer.get(name)) in values for name, values in self.when.items())


@dataclass(frozen=True)
class Extension:
    """Once, the assignee may answer ``when`` to get ``by`` more time; ``notify`` says so."""

    when: Mapping[str, tuple[str, ...]]
    by: Span
    notify: tuple[Email, ...] = ()

    def asked(self, answer: Mapping[str, Any]) -> bool:
        return Route(self.when, END).matches(answer)


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    form: str
    assignee: str
    due: Span
    doc: str = ""
    remind_before: Span | None = None
    escalate_after: Span | None = None
    escalate_to: str | None = None
    expire_after: Span | None = None
    default_answer: Mapping[str, Any] | None = None
    email: Email | None = None
    extension: Extension | None = None
    notify: tuple[Email, ...] = ()
    routes: tuple[Route, ...] = ()
    otherwise: str = END

    def next_step(self, answer: Mapping[str, Any]) -> str:
        """The step an answer leads to, or :data:`END`."""
        for route in self.routes:
            if route.matches(answer):
                return route.step
        return self.otherwise

    @property
    def targets(self) -> tuple[str, ...]:
        """Every step (or :data:`END`) an answer of this step may lead to."""
        return tuple(dict.fromkeys([*(r.step for r in self.routes), self.otherwise]))


@dataclass(frozen=True)
class Intake:
    form: str
    requester_name: str
    requester_email: str
    acknowledgement: str | None = None
    posts_per_hour: int = 10


@dataclass(frozen=True)
class Outcome:
    step: str
    field: str


@dataclass(frozen=True)
class DeclaredSop:
    """One SOP as its file declares it."""

    id: str
    title: str
    summary: str
    number_prefix: str
    intake: Intake
    steps: tuple[Step, ...]
    source: str
    tags: tuple[str, ...] = ()
    confidential: bool = False
    outcome: Outcome | None = None
    forms: Mapping[str, Any] = field(default_factory=dict)
    lines: YamlDocument | None = field(default=None, compare=False, repr=False)

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    @property
    def public_path(self) -> str:
        """Where the public intake page is, below the forms app (``/publik/ppid``)."""
        return f"/publik/{self.id}"


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unmarked:
    """The parsed YAML without line marks (the fast read): a mistake is read again with them."""

    file: str
    data: Any

    def line(self, path: Sequence[str | int]) -> int:
        raise _ReadAgain


class _ReadAgain(Exception):
    pass


def load_sop(path: Path | str, text: str | None = None) -> DeclaredSop:
    """The SOP of one file; ``ConfigError`` (Indonesian, with file and line) on any mistake.

    Read fast first (libyaml, no line marks: what a DAG file's parse can afford); a file with a
    mistake is read again by the forms loader's reader, which knows each key's line. The fast read
    does not see a key written twice in one mapping (the later one wins): :func:`check_sop` and
    ``scripts/check-config`` do.
    """
    try:
        if text is None:
            text = Path(path).read_text(encoding="utf-8")
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
        return sop_from_document(_Unmarked(str(path), data))  # type: ignore[arg-type]
    except (OSError, UnicodeDecodeError, yaml.YAMLError, _ReadAgain):
        pass
    return sop_from_document(read_yaml(path, text))


def extended_form_name(form: str) -> str:
    """The form of a step's extended round: the same questions without the choice that asks for
    the extension (it is granted once) and without the questions only that choice needs."""
    return f"{form}__perpanjangan"


def forms_of(sop: DeclaredSop) -> dict[str, Any]:
    """Every form of ``sop`` (and each extended round's); ConfigError on a mistake in one."""
    from bapas_sop.forms.declared import form_from_mapping

    built = {
        str(name): form_from_mapping(str(name), body, source=sop.source, lines=sop.lines, base=("forms", str(name)))
        for name, body in sop.forms.items() if not str(name).startswith("_")
    }
    for step in sop.steps:
        if step.extension is not None:
            built[extended_form_name(step.form)] = without_extension(built[step.form], step.extension.when)
    return built


def without_extension(form: Any, when: Mapping[str, tuple[str, ...]]) -> Any:
    """``form`` for the extended round: the extension's choices gone, and the questions only they need."""
    import dataclasses

    fields = []
    for f in form.fields:
        if f.required_if is not None and f.required_if[0] in when and f.required_if[1] in when[f.required_if[0]]:
            continue
        if f.name in when:
            f = dataclasses.replace(f, choices=tuple(c for c in f.choices if c.value not in when[f.name]))
        fields.append(f)
    return dataclasses.replace(form, name=extended_form_name(form.name), fields=tuple(fields))


def check_sop(path: Path | str, text: str | None = None) -> DeclaredSop:
    """The file read with its line marks and its forms built too: every mistake, as ConfigError."""
    sop = sop_from_document(read_yaml(path, text))
    forms_of(sop)
    return sop


def sop_from_document(doc: YamlDocument) -> DeclaredSop:
    """The SOP of a parsed file; ConfigError naming the line of the first mistake."""
    file = doc.file

    def fail(where: Sequence[str | int], message: str) -> ConfigError:
        # The fast read has no lines: doc.line raises, and load_sop reads the file again with them.
        return ConfigError(file, doc.line(where), message)

    data = doc.data
    if not isinstance(data, Mapping):
        raise fail((), "isi berkas SOP harus berupa kumpulan 'kunci: nilai' (id, title, intake, steps, forms).")
    _known_keys(data, _TOP_KEYS, (), fail)
    sop_id = _text(data, "id", (), fail)
    if not _ID.match(sop_id):
        raise fail(("id",), f"id '{sop_id}' tidak sah: tulis huruf kecil, angka dan garis bawah, diawali huruf "
                            "(mis. 'ppid').")
    stem = Path(file).stem
    if file and stem != sop_id:
        raise fail(("id",), f"id '{sop_id}' harus sama dengan nama berkasnya ('{stem}.yaml'): ganti id atau nama berkas.")
    prefix = str(data.get("number_prefix") or re.sub(r"[^A-Z0-9]", "", sop_id.upper())[:10])
    if not _PREFIX.match(prefix):
        raise fail(("number_prefix",), f"number_prefix '{prefix}' tidak sah: 2-10 huruf besar atau angka, mis. 'PPID'.")
    forms = data.get("forms") or {}
    if not isinstance(forms, Mapping):
        raise fail(("forms",), "forms harus berupa nama formulir dan isinya.")
    form_names = [str(n) for n in forms if not str(n).startswith("_")]

    def form_name(value: Any, where: tuple[str | int, ...]) -> str:
        name = str(value or "")
        if not name:
            raise fail(where, "nama formulir wajib diisi.")
        if name not in form_names:
            raise fail(where, _unknown("formulir", name, form_names, "di bagian 'forms:' berkas ini"))
        return name

    intake_raw = data.get("intake")
    if not isinstance(intake_raw, Mapping):
        raise fail(("intake",), "bagian 'intake:' (formulir publik yang memulai SOP) wajib ada, dengan 'form:' "
                                "dan 'requester: {name: ..., email: ...}'.")
    _known_keys(intake_raw, _INTAKE_KEYS, ("intake",), fail)
    requester = intake_raw.get("requester")
    if not isinstance(requester, Mapping) or not requester.get("email"):
        raise fail(("intake", "requester"), "tulis 'requester: {name: <pertanyaan nama>, email: <pertanyaan email>}': "
                                            "nama pertanyaan di formulir awal yang berisi nama dan email pemohon.")
    intake_form = form_name(intake_raw.get("form"), ("intake", "form"))
    for key in ("name", "email"):
        _form_field(forms, intake_form, str(requester.get(key) or ""), ("intake", "requester", key), fail)
    per_hour = intake_raw.get("posts_per_hour", 10)
    if not isinstance(per_hour, int) or isinstance(per_hour, bool) or per_hour < 1:
        raise fail(("intake", "posts_per_hour"), "posts_per_hour harus bilangan bulat 1 atau lebih.")
    intake = Intake(
        form=intake_form, requester_name=str(requester.get("name") or ""), requester_email=str(requester["email"]),
        acknowledgement=_template(intake_raw.get("acknowledgement"), ("intake", "acknowledgement"), fail, optional=True),
        posts_per_hour=per_hour,
    )

    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise fail(("steps",), "bagian 'steps:' wajib berisi satu langkah atau lebih (baris diawali '- id: ...').")
    ids: list[str] = []
    for i, raw in enumerate(raw_steps):
        if not isinstance(raw, Mapping):
            raise fail(("steps", i), f"langkah ke-{i + 1} harus berupa kumpulan 'kunci: nilai' (id, title, form, ...).")
        step_id = _text(raw, "id", ("steps", i), fail)
        if not _ID.match(step_id) or step_id in (END, "selesai", "menerima_permohonan"):
            raise fail(("steps", i, "id"), f"id langkah '{step_id}' tidak sah: huruf kecil, angka dan garis bawah; "
                                           "bukan 'end', 'selesai' atau 'menerima_permohonan'.")
        if step_id in ids:
            raise fail(("steps", i, "id"), f"id langkah '{step_id}' dipakai dua kali; beri nama lain.")
        ids.append(step_id)
    steps = tuple(
        _step(raw, i, ids, form_name, forms, fail) for i, raw in enumerate(raw_steps)
    )

    outcome = None
    if data.get("outcome") is not None:
        raw = data["outcome"]
        if not isinstance(raw, Mapping) or str(raw.get("step")) not in ids:
            raise fail(("outcome",), "outcome ditulis '{step: <id langkah>, field: <nama pertanyaan>}' dengan id langkah "
                                     f"yang ada ({', '.join(ids)}).")
        step = steps[ids.index(str(raw["step"]))]
        _form_field(forms, step.form, str(raw.get("field") or ""), ("outcome", "field"), fail)
        outcome = Outcome(str(raw["step"]), str(raw["field"]))
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise fail(("tags",), "tags harus berupa daftar kata, mis. [informasi_publik].")
    return DeclaredSop(
        id=sop_id, title=_text(data, "title", (), fail), summary=str(data.get("summary") or ""),
        number_prefix=prefix, intake=intake, steps=steps, source=file, tags=tuple(tags),
        confidential=bool(data.get("confidential", False)), outcome=outcome, forms=dict(forms), lines=doc,
    )


def _step(raw: Mapping[str, Any], i: int, ids: list[str], form_name: Any, forms: Mapping[str, Any], fail: Any) -> Step:
    where: tuple[str | int, ...] = ("steps", i)
    _known_keys(raw, _STEP_KEYS, where, fail)
    step_id = str(raw["id"])
    form = form_name(raw.get("form"), (*where, "form"))
    assignee = _text(raw, "assignee", where, fail)
    if not _ID.match(assignee):
        raise fail((*where, "assignee"), f"assignee '{assignee}' tidak sah: tulis kode peran dari daftar pegawai "
                                         f"(mis. 'ppid', 'kabapas') atau '{REQUESTER}'.")
    title = _text(raw, "title", where, fail)
    _placeholders(title, (*where, "title"), fail)
    if raw.get("due") is None:
        raise fail(where, f"langkah '{step_id}' belum punya batas waktu: tulis mis. 'due: {{working_days: 10}}'.")

    def span(key: str, *, zero: bool = True) -> Span | None:
        return _span(raw.get(key), (*where, key), fail, zero=zero) if raw.get(key) is not None else None

    def conditions(value: Any, at: tuple[str | int, ...]) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, Mapping) or not value:
            raise fail(at, "syarat ditulis '{<nama pertanyaan>: <nilai>}' atau '{<nama pertanyaan>: [nilai1, nilai2]}'.")
        result = {}
        for name, values in value.items():
            _form_field(forms, form, str(name), (*at, str(name)), fail)
            listed = values if isinstance(values, list) else [values]
            result[str(name)] = tuple(_as_text(v) for v in listed)
        return result

    def target(value: Any, at: tuple[str | int, ...]) -> str:
        name = str(value or "")
        if name == END:
            return END
        if name not in ids:
            raise fail(at, _unknown("langkah", name, [*ids, END], "di 'steps:'"))
        if ids.index(name) <= ids.index(step_id):
            raise fail(at, f"langkah '{step_id}' tidak boleh kembali ke '{name}': langkah berikutnya harus ditulis "
                           "sesudahnya di 'steps:' (alur SOP tidak berputar).")
        return name

    routes = []
    raw_next = raw.get("next") or []
    if not isinstance(raw_next, list):
        raise fail((*where, "next"), "next berupa daftar, mis. '- {when: {keputusan: ya}, step: langkah_lain}'.")
    for j, item in enumerate(raw_next):
        at = (*where, "next", j)
        if not isinstance(item, Mapping) or "when" not in item or "step" not in item:
            raise fail(at, "setiap baris next ditulis '{when: {<pertanyaan>: <nilai>}, step: <id langkah atau end>}'.")
        routes.append(Route(conditions(item["when"], (*at, "when")), target(item["step"], (*at, "step"))))
    following = ids[ids.index(step_id) + 1] if ids.index(step_id) + 1 < len(ids) else END
    otherwise = target(raw["otherwise"], (*where, "otherwise")) if raw.get("otherwise") is not None else following

    extension = None
    if raw.get("extension") is not None:
        ext = raw["extension"]
        at = (*where, "extension")
        if not isinstance(ext, Mapping) or "when" not in ext or "by" not in ext:
            raise fail(at, "extension ditulis '{when: {<pertanyaan>: <nilai>}, by: {working_days: 7}, notify: [...]}'.")
        extension = Extension(conditions(ext["when"], (*at, "when")), _span(ext["by"], (*at, "by"), fail),
                              _emails(ext.get("notify"), (*at, "notify"), fail))
    default = raw.get("default_answer")
    if default is not None and not isinstance(default, Mapping):
        raise fail((*where, "default_answer"), "default_answer berupa jawaban, mis. '{keputusan: tidak_ditanggapi}'.")
    escalate_to = raw.get("escalate_to")
    if escalate_to is not None and not _ID.match(str(escalate_to)):
        raise fail((*where, "escalate_to"), f"escalate_to '{escalate_to}' tidak sah: tulis kode peran, mis. 'kabapas'.")
    email = None
    if raw.get("email") is not None:
        email = _email(raw["email"], (*where, "email"), fail, to=assignee)
    return Step(
        id=step_id, title=title, form=form, assignee=assignee, doc=str(raw.get("doc") or ""),
        due=_span(raw["due"], (*where, "due"), fail, zero=False),
        remind_before=span("remind_before"), escalate_after=span("escalate_after"),
        escalate_to=str(escalate_to) if escalate_to is not None else None, expire_after=span("expire_after"),
        default_answer=dict(default) if default is not None else None, email=email, extension=extension,
        notify=_emails(raw.get("notify"), (*where, "notify"), fail), routes=tuple(routes), otherwise=otherwise,
    )


def _span(value: Any, where: tuple[str | int, ...], fail: Any, *, zero: bool = True) -> Span:
    example = "mis. '{working_days: 10}', '{hours: 24}' atau '{days: 30}'"
    if not isinstance(value, Mapping) or len(value) != 1:
        raise fail(where, f"lama waktu ditulis dengan satu satuan, {example}.")
    [(unit, amount)] = value.items()
    if unit not in _UNITS:
        raise fail(where, _unknown("satuan waktu", str(unit), list(_UNITS), f"({example})"))
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < (0 if zero else 1):
        raise fail(where, f"{unit} harus bilangan bulat {'0' if zero else '1'} atau lebih, bukan '{amount}'.")
    return Span(amount, str(unit))


def _emails(value: Any, where: tuple[str | int, ...], fail: Any) -> tuple[Email, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise fail(where, "notify berupa daftar, mis. '- {to: pemohon, template: ppid/hasil}'.")
    return tuple(_email(item, (*where, j), fail) for j, item in enumerate(value))


def _email(value: Any, where: tuple[str | int, ...], fail: Any, *, to: str | None = None) -> Email:
    if not isinstance(value, Mapping) or "template" not in value:
        raise fail(where, "email ditulis '{to: <peran atau pemohon>, template: <sop>/<nama templat>}'.")
    _known_keys(value, ("to", "template", "attach"), where, fail)
    recipient = str(value.get("to") or to or REQUESTER)
    if not _ID.match(recipient):
        raise fail((*where, "to"), f"penerima '{recipient}' tidak sah: tulis kode peran atau '{REQUESTER}'.")
    attach = None
    if value.get("attach") is not None:
        raw = value["attach"]
        if not isinstance(raw, Mapping) or "template" not in raw or "filename" not in raw:
            raise fail((*where, "attach"), "attach ditulis '{template: <sop>/<templat dokumen>, filename: \"Surat-{nomor}.pdf\"}'.")
        filename = str(raw["filename"])
        _placeholders(filename, (*where, "attach", "filename"), fail)
        if not filename.endswith(".pdf"):
            raise fail((*where, "attach", "filename"), "nama berkas lampiran harus berakhiran .pdf.")
        attach = Attachment(_template(raw["template"], (*where, "attach", "template"), fail), filename)
    return Email(_template(value["template"], (*where, "template"), fail), recipient, attach)


def _template(value: Any, where: tuple[str | int, ...], fail: Any, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    name = str(value or "")
    if not _TEMPLATE.match(name):
        raise fail(where, f"nama templat '{name}' tidak sah: tulis '<sop>/<nama>' tanpa akhiran, mis. 'ppid/jawaban' "
                          "(berkasnya templates/ppid/email/jawaban.html).")
    return name


def _placeholders(text: str, where: tuple[str | int, ...], fail: Any) -> None:
    """A title or file name may name the request's number only: ``{nomor}``."""
    try:
        names = {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}
    except ValueError:
        raise fail(where, "kurung kurawal tidak berpasangan; yang boleh hanya {nomor}.") from None
    if names - {"nomor"}:
        raise fail(where, f"isian {{{sorted(names - {'nomor'})[0]}}} tidak dikenal; yang boleh hanya {{nomor}}.")


def _form_field(forms: Mapping[str, Any], form: str, name: str, where: tuple[str | int, ...], fail: Any) -> None:
    body = forms.get(form)
    fields = body.get("fields") if isinstance(body, Mapping) else None
    names = [str(f.get("name")) for f in fields or [] if isinstance(f, Mapping)]
    if name not in names:
        raise fail(where, _unknown(f"pertanyaan formulir '{form}'", name, names, ""))


def _known_keys(data: Mapping[str, Any], known: Sequence[str], where: tuple[str | int, ...], fail: Any) -> None:
    for key in data:
        if str(key) not in known:
            raise fail((*where, str(key)), _unknown("kunci", str(key), list(known), "di bagian ini"))


def _text(data: Mapping[str, Any], key: str, where: tuple[str | int, ...], fail: Any) -> str:
    value = data.get(key)
    if value is None or str(value).strip() == "":
        raise fail(where, f"'{key}' ({_TRANSLATE.get(key, key)}) wajib diisi.")
    return str(value).strip()


def _unknown(what: str, name: str, known: Sequence[str], place: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" Mungkin maksud Anda '{close[0]}'?" if close else ""
    listed = ", ".join(known) if known else "-"
    return f"{what} '{name}' tidak dikenal{(' ' + place) if place else ''}.{hint} Yang ada: {listed}."


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    return "" if value is None else str(value)


__all__ = [
    "END", "EXTENDED_SUFFIX", "REQUESTER", "Attachment", "ConfigError", "DeclaredSop", "Email", "Extension",
    "Intake", "Outcome", "Route", "Span", "Step", "check_sop", "extended_form_name", "forms_of", "load_sop",
    "sop_from_document", "without_extension",
]
