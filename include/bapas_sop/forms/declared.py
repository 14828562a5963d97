"""Forms declared as data: a YAML file turned into :class:`FormSpec`, checked against a schema.

An office's IT officer edits these files, so every mistake is reported as a person can act on
it: in Indonesian, with the file, the line and what to write instead (``ConfigError``). The
YAML is read with its line marks (PyYAML's composer), checked against a JSON schema
(``jsonschema``), then against what a schema cannot say (a ``required_if`` naming a field of the
form, a named check that exists, a regular expression that compiles).

A file maps form names to forms::

    sp2lo_disposisi:
      title: Disposisi permintaan Litmas
      intro: Tentukan seksi yang menangani permintaan Litmas ini.
      submit_label: Kirim disposisi
      checks: [nama_pemeriksaan]          # named checks (bapas_sop.forms.checks)
      fields:
        - name: seksi
          label: Diteruskan kepada
          kind: choice
          choices:
            - {value: bka, label: Bimbingan Klien Anak}
            - Lainnya                       # value and label the same
        - name: catatan
          label: Catatan disposisi
          kind: long_text
          required: false
          max_length: 2000
          required_if: {field: seksi, equals: bka}
          earliest: today                   # or 2026-01-01, or a named bound

Top-level keys starting with ``_`` are not forms: they hold YAML anchors (``&nama``) that forms
reuse; a list inside ``fields`` (an alias of such a list) is spliced in.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema

from bapas_sop.configfile import ConfigError, YamlDocument, read_yaml
from bapas_sop.forms import checks as named
from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind

__all__ = ["FORM_SCHEMA", "ConfigError", "YamlDocument", "form_from_mapping", "forms_from_document", "load_forms", "read_yaml",
           "schema_error"]


# --- the schema ------------------------------------------------------------------------------

_NAME = r"^[a-z][a-z0-9_]*$"
_ISO_OR_NAME = r"^(\d{4}-\d{2}-\d{2}|[a-z][a-z0-9_]*)$"

FIELD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "label"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": _NAME},
        "label": {"type": "string", "minLength": 1},
        "kind": {"enum": [k.value for k in Kind]},
        "required": {"type": "boolean"},
        "help": {"type": "string"},
        "placeholder": {"type": "string"},
        "choices": {"type": "array", "items": {"anyOf": [
            {"type": ["string", "integer"]},
            {"type": "object", "required": ["value", "label"], "additionalProperties": False,
             "properties": {"value": {"type": ["string", "integer"]}, "label": {"type": "string"}}},
        ]}},
        "choices_from": {"type": "string", "minLength": 1},
        "min": {"type": "number"},
        "max": {"type": "number"},
        "max_length": {"type": "integer", "minimum": 1},
        "pattern": {"type": "string", "minLength": 1},
        "pattern_message": {"type": "string"},
        "required_if": {"type": "object", "required": ["field", "equals"], "additionalProperties": False,
                        "properties": {"field": {"type": "string"}, "equals": {"type": ["string", "integer"]}}},
        "earliest": {"type": "string", "pattern": _ISO_OR_NAME},
        "latest": {"type": "string", "pattern": _ISO_OR_NAME},
        "not_future": {"type": "boolean"},
        "max_days_ahead": {"type": "integer", "minimum": 0},
    },
}

FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["title", "fields"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "intro": {"type": "string"},
        "submit_label": {"type": "string", "minLength": 1},
        "allow_handover": {"type": "boolean"},
        "checks": {"type": "array", "items": {"type": "string"}},
        "fields": {"type": "array", "minItems": 1, "items": FIELD_SCHEMA},
    },
}

#: What each key means, for "did you mean" hints and the error text.
_KEY_WORDS = {
    "fields": "daftar pertanyaan", "title": "judul", "intro": "pengantar", "submit_label": "tulisan tombol kirim",
    "allow_handover": "boleh dialihkan ke pengganti", "checks": "pemeriksaan bernama",
    "name": "nama", "label": "pertanyaan", "kind": "jenis", "required": "wajib", "help": "petunjuk",
    "choices": "pilihan", "max_length": "panjang maksimum", "pattern": "pola", "required_if": "wajib jika",
}

_TYPE_WORDS = {
    "string": "teks", "integer": "bilangan bulat", "number": "angka", "boolean": "true atau false",
    "array": "daftar (baris diawali '- ')", "object": "kumpulan 'kunci: nilai'",
}


def _plain(value: Any) -> Any:
    """YAML's own dates (``2026-01-01`` unquoted) as ISO text, so the schema sees one type."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _describe(form: str, path: Sequence[str | int], data: Mapping[str, Any]) -> str:
    """Where in a form, as a person reads it: ``form 'x', pertanyaan ke-2 ('seksi'), kunci 'kind'``."""
    parts = [f"form '{form}'"]
    path = list(path)
    if len(path) >= 2 and path[0] == "fields" and isinstance(path[1], int):
        fields = data.get("fields") or []
        name = fields[path[1]].get("name") if path[1] < len(fields) and isinstance(fields[path[1]], Mapping) else None
        parts.append(f"pertanyaan ke-{path[1] + 1}" + (f" ('{name}')" if name else ""))
        path = path[2:]
    elif path:
        parts.append(f"kunci '{path[0]}'")
        path = path[1:]
    for p in path:
        parts.append(f"isian ke-{p + 1}" if isinstance(p, int) else f"kunci '{p}'")
    return ", ".join(parts)


def _schema_message(error: jsonschema.ValidationError, schema: Mapping[str, Any]) -> str:
    v = error.validator
    if v == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        key = missing[0] if missing else "?"
        return f"kunci '{key}' ({_KEY_WORDS.get(key, key)}) wajib ada. Tambahkan baris '{key}: ...'."
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = re.findall(r"'([^']+)'", error.message.split("(")[-1])
        key = unknown[0] if unknown else "?"
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f" Mungkin maksudnya '{close[0]}'?" if close else ""
        return f"kunci '{key}' tidak dikenal.{hint} Kunci yang boleh: {', '.join(allowed)}."
    if v == "enum":
        close = difflib.get_close_matches(str(error.instance), [str(x) for x in error.validator_value], n=1)
        hint = f" Mungkin maksudnya '{close[0]}'?" if close else ""
        return (f"nilai '{error.instance}' tidak dikenal.{hint} "
                f"Pilih salah satu: {', '.join(str(x) for x in error.validator_value)}.")
    if v == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        words = " atau ".join(_TYPE_WORDS.get(t, t) for t in expected)
        extra = " Teks seperti yes/no/on/off ditulis dalam tanda kutip." if "string" in expected else ""
        return f"harus berupa {words}, bukan {error.instance!r}.{extra}"
    if v == "pattern":
        if error.validator_value == _NAME:
            return (f"nama '{error.instance}' tidak sah: gunakan huruf kecil, angka dan garis bawah, "
                    "diawali huruf (mis. nomor_surat).")
        return (f"'{error.instance}' bukan tanggal (TTTT-BB-HH, mis. 2026-01-01) atau nama batas tanggal "
                f"(mis. today).")
    if v == "maximum":
        return f"tidak boleh lebih dari {error.validator_value}."
    if v in ("minimum", "minLength", "minItems"):
        if v == "minItems":
            return "daftar ini tidak boleh kosong: isi paling sedikit satu."
        if v == "minLength":
            return "tidak boleh kosong."
        return f"tidak boleh kurang dari {error.validator_value}."
    if v == "anyOf":
        return ("pilihan harus berupa teks, atau 'value' dan 'label' "
                "(mis. '- {value: bka, label: Bimbingan Klien Anak}').")
    return f"tidak sesuai skema ({error.message})."  # pragma: no cover - every validator used is above


def schema_error(data: Any, schema: Mapping[str, Any],
                 validator: jsonschema.protocols.Validator | None = None) -> tuple[list[str | int], str] | None:
    """The first mistake of ``data`` against a JSON schema: (its key path, Indonesian message), or None."""
    validator = validator or jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(_plain(data)))
    if not errors:
        return None
    # The first by position is what to fix first (and an anyOf's inner errors are noise).
    error = min(errors, key=lambda e: [str(p) for p in e.absolute_path])
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":  # point at the unknown key, not its mapping
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        path.append(unknown[0])
    return path, _schema_message(error, schema)


# --- building FormSpecs ----------------------------------------------------------------------

_VALIDATOR = jsonschema.Draft202012Validator(FORM_SCHEMA)


def form_from_mapping(name: str, data: Mapping[str, Any], *, source: str = "",
                      lines: YamlDocument | None = None, base: Sequence[str | int] = ()) -> FormSpec:
    """One form from its YAML mapping; ``ConfigError`` (Indonesian, with file and line) on anything wrong.

    :param name: the form's name (its key in the file).
    :param data: the form's mapping (``title``, ``fields``, ...).
    :param source: the file it came from, for messages.
    :param lines: the parsed document, so that messages name the line (``read_yaml``).
    :param base: the path of ``data`` inside ``lines`` (``(name,)`` for a top-level form).
    """

    def fail(path: Sequence[str | int], message: str) -> ConfigError:
        line = lines.line((*base, *path)) if lines is not None else 0
        return ConfigError(source, line, f"{_describe(name, path, data)}: {message}")

    if not re.fullmatch(_NAME, name):
        raise fail((), "nama form hanya boleh huruf kecil, angka dan garis bawah, diawali huruf.")
    if not isinstance(data, Mapping):
        raise fail((), f"harus berupa {_TYPE_WORDS['object']} (title, fields, ...).")
    data = dict(data)
    if isinstance(data.get("fields"), list):  # splice lists given by alias (``- *bersama``)
        spliced: list[Any] = []
        for item in data["fields"]:
            spliced.extend(item if isinstance(item, list) else [item])
        if any(isinstance(item, list) for item in data["fields"]):
            data["fields"] = spliced
            if lines is not None:  # positions no longer match the file: name the line of 'fields'
                prefix = (*base, "fields")
                lines = YamlDocument(lines.file, lines.data, {
                    k: v for k, v in lines.lines.items() if not (k[:len(prefix)] == prefix and len(k) > len(prefix))
                })
    plain = _plain(data)
    error = schema_error(plain, FORM_SCHEMA, _VALIDATOR)
    if error is not None:
        raise fail(*error)

    fields: list[Field] = []
    names: dict[str, int] = {}
    for i, raw in enumerate(plain["fields"]):
        if raw["name"] in names:
            raise fail(("fields", i, "name"), f"nama '{raw['name']}' sudah dipakai pertanyaan ke-{names[raw['name']] + 1}. "
                                              "Setiap pertanyaan perlu nama sendiri.")
        names[raw["name"]] = i
        fields.append(_field(raw, lambda path, message, i=i: fail(("fields", i, *path), message)))
    for i, f in enumerate(fields):
        if f.required_if is not None and f.required_if[0] not in names:
            raise fail(("fields", i, "required_if", "field"),
                       f"'{f.required_if[0]}' bukan pertanyaan di form ini. Pilih salah satu: {', '.join(names)}.")

    form_checks = []
    for j, check in enumerate(plain.get("checks", ())):
        try:
            form_checks.append(named.get_check(check))
        except KeyError:
            raise fail(("checks", j), _unknown_name("pemeriksaan", check, named.check_names())) from None

    return FormSpec(
        name=name,
        title=plain["title"],
        fields=tuple(fields),
        intro=plain.get("intro", ""),
        submit_label=plain.get("submit_label", "Kirim"),
        allow_handover=plain.get("allow_handover", True),
        checks=tuple(form_checks),
    )


def _unknown_name(what: str, name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Mungkin maksudnya '{close[0]}'?" if close else ""
    return f"{what} bernama '{name}' tidak dikenal.{hint} Yang tersedia: {', '.join(known) or '-'}."


def _field(raw: Mapping[str, Any], fail: Any) -> Field:
    kind = Kind(raw.get("kind", Kind.TEXT.value))
    choices = tuple(
        Choice(str(c["value"]), c["label"]) if isinstance(c, Mapping) else Choice(str(c), str(c))
        for c in raw.get("choices", ())
    )
    if kind in (Kind.CHOICE, Kind.MULTI_CHOICE) and not choices and not raw.get("choices_from"):
        raise fail((), "jenis pilihan perlu 'choices' (daftar pilihan) atau 'choices_from'.")
    pattern = raw.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise fail(("pattern",), f"pola (regular expression) tidak sah: {exc}. Periksa tanda kurung dan garis miring.")
    low, high = raw.get("min"), raw.get("max")
    if low is not None and high is not None and low > high:
        raise fail(("min",), f"min ({low}) lebih besar dari max ({high}). Tukar keduanya.")
    required_if = raw.get("required_if")
    return Field(
        name=raw["name"],
        label=raw["label"],
        kind=kind,
        required=raw.get("required", True),
        help=raw.get("help", ""),
        choices=choices,
        choices_from=raw.get("choices_from"),
        min_value=low,
        max_value=high,
        max_length=raw.get("max_length"),
        pattern=pattern,
        pattern_message=raw.get("pattern_message"),
        required_if=(required_if["field"], str(required_if["equals"])) if required_if else None,
        placeholder=raw.get("placeholder", ""),
        earliest=_date_bound(raw.get("earliest"), ("earliest",), fail),
        latest=_date_bound(raw.get("latest"), ("latest",), fail),
        not_future=raw.get("not_future", False),
        max_days_ahead=raw.get("max_days_ahead"),
    )


def _date_bound(value: str | None, path: tuple[str, ...], fail: Any) -> Any:
    if value is None:
        return None
    if value[:1].isdigit():
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise fail(path, f"'{value}' bukan tanggal yang ada (TTTT-BB-HH).") from None
    try:
        return named.get_bound(value)
    except KeyError:
        raise fail(path, _unknown_name("batas tanggal", value, named.bound_names())) from None


def forms_from_document(doc: YamlDocument) -> dict[str, FormSpec]:
    """Every form of a parsed document (top-level keys starting with ``_`` hold anchors only)."""
    if not isinstance(doc.data, Mapping):
        raise ConfigError(doc.file, doc.line(()), "isi berkas harus berupa nama form dan isinya "
                                                  "('nama_form:' lalu kunci-kuncinya menjorok ke dalam).")
    return {
        str(name): form_from_mapping(str(name), body, source=doc.file, lines=doc, base=(str(name),))
        for name, body in doc.data.items()
        if not str(name).startswith("_")
    }


def load_forms(path: Path | str) -> dict[str, FormSpec]:
    """A YAML file whose top level maps form names to forms; ``ConfigError`` on anything wrong."""
    return forms_from_document(read_yaml(path))
