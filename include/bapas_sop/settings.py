"""Runtime settings of bapas-sop, read from the environment with embedded defaults.

Everything here is plain Python so that the domain code, the web app, the Airflow tasks and
the tests read one and the same configuration. Environment variables win over the TOML file
(``include/config/bapas.toml``, or the file named by ``BAPAS_CONFIG``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
TEMPLATES_DIR = Path(os.environ.get("BAPAS_TEMPLATES_DIR", PROJECT_DIR / "templates"))
DEFAULT_CONFIG = PROJECT_DIR / "include" / "config" / "bapas.toml"
TIMEZONE = "Asia/Jakarta"


def _var_dir() -> Path:
    return Path(os.environ.get("BAPAS_VAR_DIR", PROJECT_DIR / "var"))


@dataclass(frozen=True)
class Settings:
    """Where things are and how to reach them; one instance per process environment."""

    db_url: str
    secret_key: str
    public_url: str
    data_dir: Path
    maildir: Path
    smtp_conn_id: str
    mail_sender: str
    config: dict[str, Any]

    @property
    def office(self) -> dict[str, str]:
        return self.config["office"]


def config_path() -> Path:
    """``BAPAS_CONFIG``; else the ``bapas.toml`` of the office folder ``BAPAS_CONFIG_DIR`` when it has
    one (see ``bapas_sop.office``); else the project's ``include/config/bapas.toml``."""
    explicit = os.environ.get("BAPAS_CONFIG")
    if explicit:
        return Path(explicit)
    folder = os.environ.get("BAPAS_CONFIG_DIR")
    if folder and (Path(folder) / "bapas.toml").is_file():
        return Path(folder) / "bapas.toml"
    return DEFAULT_CONFIG


def _load_config() -> dict[str, Any]:
    path = config_path()
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _secret_key(var_dir: Path) -> str:
    """The key that signs form links; from the environment, else a per-install key file."""
    key = os.environ.get("BAPAS_SECRET_KEY")
    if key:
        return key
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    import secrets

    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


@lru_cache(maxsize=None)
def _settings_for(env_key: tuple[tuple[str, str], ...]) -> Settings:
    var_dir = _var_dir()
    return Settings(
        db_url=os.environ.get("BAPAS_DB_URL", f"sqlite:///{var_dir / 'bapas.db'}"),
        secret_key=_secret_key(var_dir),
        public_url=os.environ.get("BAPAS_PUBLIC_URL", "http://localhost:8080/bapas").rstrip("/"),
        data_dir=Path(os.environ.get("BAPAS_DATA_DIR", PROJECT_DIR / "include" / "data")),
        maildir=Path(os.environ.get("BAPAS_MAILDIR", var_dir / "mail")),
        smtp_conn_id=os.environ.get("BAPAS_SMTP_CONN_ID", "bapas_smtp"),
        mail_sender=os.environ.get("BAPAS_MAIL_SENDER", "sop@bapas-jambi.example"),
        config=_load_config(),
    )


def get_settings() -> Settings:
    """Current settings; re-read when a ``BAPAS_*`` environment variable changes (tests do that)."""
    return _settings_for(_bapas_environment())


def _bapas_environment() -> tuple[tuple[str, str], ...]:
    """The ``BAPAS_*`` variables, read safely while another thread changes the environment.

    Iterating ``os.environ`` looks each key up again, so a variable removed meanwhile (Airflow's
    in-process supervisor sets and pops ``__AIRFLOW_SUPERVISOR_FD`` around every task it runs)
    raises KeyError, or RuntimeError if the mapping changes size: read again then.
    """
    while True:
        try:
            return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("BAPAS_")))
        except (KeyError, RuntimeError):
            continue
