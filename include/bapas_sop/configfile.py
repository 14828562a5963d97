"""A configuration file an office edits (YAML), read with its line marks; its mistakes as
:class:`ConfigError` (file, line, what to write instead, in Indonesian).

Kept light (PyYAML only, imported when a file is read): a DAG file's parse reads the office's
schedules through it. The schema checks live with what they check (``bapas_sop.forms.declared``,
``bapas_sop.office``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "YamlDocument", "read_yaml"]


class ConfigError(Exception):
    """A configuration file that cannot be used; ``str()`` is ``file:line: message``.

    :param file: the file as given (or ``""`` for a mapping built in code).
    :param line: 1-based line of the mistake (0 when unknown).
    :param message: what is wrong and how to fix it, in Indonesian.
    """

    def __init__(self, file: str | Path, line: int, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file or "<konfigurasi>"
        return f"{where}:{self.line}: {self.message}" if self.line else f"{where}: {self.message}"


Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A YAML file's data and, for each key path, the 1-based line it starts on."""

    file: str
    data: Any
    lines: Mapping[Path_, int]

    def line(self, path: Sequence[str | int]) -> int:
        """The line of ``path``, or of its nearest parent that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def read_yaml(path: Path | str, text: str | None = None) -> YamlDocument:
    """Parse a YAML file with its line marks; syntax errors and duplicate keys as ``ConfigError``."""
    file = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(file, 0, "berkas tidak ditemukan. Periksa nama dan letak berkas.") from None
        except UnicodeDecodeError:
            raise ConfigError(file, 0, "berkas bukan teks UTF-8. Simpan ulang sebagai UTF-8 (teks biasa).") from None
    import yaml

    # The pure-Python loader: its messages are the ones translated below (libyaml words them otherwise).
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(file, {}, {(): 1})
        lines: dict[Path_, int] = {}
        _walk(file, node, (), lines)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(file, mark.line + 1 if mark else 0, _yaml_problem(exc)) from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks its errors
        raise ConfigError(file, 0, f"YAML tidak dapat dibaca ({exc}).") from None
    finally:
        loader.dispose()
    return YamlDocument(file, data, lines)


def _walk(file: str, node: Any, path: Path_, lines: dict[Path_, int]) -> None:
    import yaml

    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key == "<<":  # a merge key: its keys land in this mapping
                continue
            if key in seen:
                raise ConfigError(file, line, f"kunci '{key}' ditulis dua kali (pertama di baris {seen[key]}). "
                                              "Hapus salah satunya.")
            seen[key] = line
            _walk(file, value_node, (*path, key), lines)
            lines[(*path, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(file, item, (*path, i), lines)


def _yaml_problem(exc: Any) -> str:
    problem = (exc.problem or "").strip()
    hint = "Periksa indentasi (gunakan spasi, bukan tab; kunci yang sejajar harus sama jauh masuknya)"
    if "'\\t'" in problem or "tab" in problem:
        hint = "Ganti karakter tab dengan spasi"
    elif "could not find expected ':'" in problem:
        hint = "Setiap baris kunci ditulis 'kunci: nilai'; periksa titik dua dan indentasi"
    elif "found character" in problem or "found undefined alias" in problem:
        hint = "Teks yang mengandung ':', '#', '*', '&' atau diawali tanda khusus harus diberi tanda kutip"
    return f"YAML tidak dapat dibaca ({problem}). {hint}."
