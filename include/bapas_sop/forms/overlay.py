"""An office's changes to the shipped forms: ``<BAPAS_CONFIG_DIR>/sops/<sop>/forms.yaml``.

Only the changed keys are written, by form and by question name::

    sp2lo_permohonan:
      intro: Isi formulir ini untuk mengajukan permintaan Litmas ke Bapas Kelas II Jambi.
      fields:
        nama_klien:
          label: Nama lengkap klien (sesuai KTP)
          help: Tulis tanpa gelar.
        jenis_litmas:
          choices:                       # relabel, reorder or leave out options
            - {value: diversi, label: Diversi (anak)}
            - {value: sidang_anak, label: Sidang anak}

An office may change the title, intro and submit label of a form, and the label, help,
placeholder, required flag and options of a question. It may not add questions or new option
values: the SOP's code reads the answers, and a value it does not know would be lost. Mistakes
are reported like those of the shipped files (``ConfigError``: file, line, Indonesian fix).
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bapas_sop.forms.declared import ConfigError, YamlDocument, schema_error
from bapas_sop.forms.spec import Choice, FormSpec, Kind

FIELD_KEYS = ("label", "help", "placeholder", "required", "choices")
FORM_KEYS = ("title", "intro", "submit_label")

OVERLAY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "minLength": 1},
            "intro": {"type": "string"},
            "submit_label": {"type": "string", "minLength": 1},
            "fields": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "label": {"type": "string", "minLength": 1},
                        "help": {"type": "string"},
                        "placeholder": {"type": "string"},
                        "required": {"type": "boolean"},
                        "choices": {"type": "array", "minItems": 1, "items": {"anyOf": [
                            {"type": ["string", "integer"]},
                            {"type": "object", "required": ["value", "label"], "additionalProperties": False,
                             "properties": {"value": {"type": ["string", "integer"]}, "label": {"type": "string"}}},
                        ]}},
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class FormOverlay:
    """The office's changes to one form, with where each was written (for the config page)."""

    form: str
    file: str
    changes: Mapping[str, Any]
    fields: Mapping[str, Mapping[str, Any]]
    lines: Mapping[tuple[str, ...], int] = field(default_factory=dict)

    def apply(self, spec: FormSpec) -> FormSpec:
        fields = tuple(replace(f, **self.fields[f.name]) if f.name in self.fields else f for f in spec.fields)
        return replace(spec, fields=fields, **self.changes)


def build_overlay(doc: YamlDocument, base: Mapping[str, FormSpec] | None = None) -> dict[str, FormOverlay]:
    """An office ``forms.yaml`` checked against its schema and the shipped forms (``ConfigError``)."""
    if base is None:
        from bapas_sop.forms.registry import base_forms

        base = base_forms()
    data = {} if doc.data is None else doc.data
    error = schema_error(data, OVERLAY_SCHEMA)
    if error is not None:
        path, message = error
        raise ConfigError(doc.file, doc.line(path), f"{_where(path)}: {message}")
    result = {}
    for form_name, body in data.items():
        form_name = str(form_name)
        spec = base.get(form_name)
        if spec is None:
            raise ConfigError(doc.file, doc.line((form_name,)), _unknown("form", form_name, list(base)))
        fields: dict[str, dict[str, Any]] = {}
        lines: dict[tuple[str, ...], int] = {(k,): doc.line((form_name, k)) for k in body if k in FORM_KEYS}
        names = [f.name for f in spec.fields]
        for field_name, changes in (body.get("fields") or {}).items():
            where = (form_name, "fields", field_name)
            if field_name not in names:
                raise ConfigError(doc.file, doc.line(where),
                                  f"form '{form_name}': " + _unknown("pertanyaan", field_name, names))
            original = spec.field(field_name)
            typed = {k: v for k, v in changes.items() if k != "choices"}
            if "required" in typed:  # the office's word replaces a "required if" of the shipped form
                typed["required_if"] = None
            if "choices" in changes:
                typed["choices"] = _choices(doc, where, spec, original, changes["choices"])
            fields[field_name] = typed
            lines.update({(field_name, k): doc.line((*where, k)) for k in changes})
        result[form_name] = FormOverlay(
            form=form_name, file=doc.file, changes={k: body[k] for k in FORM_KEYS if k in body},
            fields=fields, lines=lines,
        )
    return result


def _choices(doc: YamlDocument, where: tuple[str, ...], spec: FormSpec, original: Any, raw: list[Any]) -> tuple[Choice, ...]:
    line = doc.line((*where, "choices"))
    if not original.choices or original.choices_from or original.kind not in (Kind.CHOICE, Kind.MULTI_CHOICE, Kind.RATING):
        raise ConfigError(doc.file, line, f"form '{spec.name}', pertanyaan '{original.name}': pilihannya tidak "
                                          "tetap (diisi sistem saat berjalan, atau ya/tidak), jadi tidak dapat diubah di sini. "
                                          "Hapus kunci 'choices'.")
    known = {c.value: c.label for c in original.choices}
    choices = tuple(Choice(str(c["value"]), c["label"]) if isinstance(c, Mapping) else Choice(str(c), str(c)) for c in raw)
    for i, choice in enumerate(choices):
        if choice.value not in known:
            raise ConfigError(
                doc.file, doc.line((*where, "choices", i)),
                f"form '{spec.name}', pertanyaan '{original.name}': nilai pilihan '{choice.value}' tidak dikenal SOP ini. "
                "Hanya label, urutan dan pilihan mana yang ditampilkan yang boleh diubah; tulis "
                "'- {value: <nilai>, label: <tulisan baru>}' dengan nilai salah satu dari: " + ", ".join(known) + ".")
    values = [c.value for c in choices]
    twice = sorted({v for v in values if values.count(v) > 1})
    if twice:
        raise ConfigError(doc.file, line, f"form '{spec.name}', pertanyaan '{original.name}': pilihan '{twice[0]}' "
                                          "ditulis dua kali. Hapus salah satunya.")
    return choices


def _where(path: list[Any]) -> str:
    if not path:
        return "isi berkas"
    parts = [f"form '{path[0]}'"]
    rest = list(path[1:])
    if len(rest) >= 2 and rest[0] == "fields":
        parts.append(f"pertanyaan '{rest[1]}'")
        rest = rest[2:]
    for p in rest:
        parts.append(f"isian ke-{p + 1}" if isinstance(p, int) else f"kunci '{p}'")
    return ", ".join(parts)


def _unknown(what: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Mungkin maksudnya '{close[0]}'?" if close else ""
    listed = ", ".join(known) if len(known) <= 30 else ", ".join(known[:30]) + ", ..."
    return f"{what} '{name}' tidak ada.{hint} Yang ada: {listed}."


# --- what the rest of the code sees ----------------------------------------------------------

_lock = threading.Lock()
_applied: dict[str, tuple[FormSpec, FormOverlay, FormSpec]] = {}


def overlays() -> dict[str, FormOverlay]:
    """Every office change to a form, by form name (each file loaded, validated, then swapped in)."""
    from bapas_sop.office import load_checked, office_files

    merged: dict[str, FormOverlay] = {}
    for path in office_files("forms.yaml"):
        merged.update(load_checked(path, build_overlay) or {})
    return merged


def effective(spec: FormSpec) -> FormSpec:
    """``spec`` with the office's changes, if any (the same object while nothing changes)."""
    overlay = overlays().get(spec.name)
    if overlay is None:
        return spec
    with _lock:
        cached = _applied.get(spec.name)
        if cached is not None and cached[0] is spec and cached[1] is overlay:
            return cached[2]
        applied = overlay.apply(spec)
        _applied[spec.name] = (spec, overlay, applied)
    return applied
