"""Every setting of the service in one place, each overridable by a ``TCO_*`` variable.

>>> s = Settings.from_env({"TCO_PORT": "9000"})
>>> s.port
9000
>>> Settings.from_env({}).host
'127.0.0.1'
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any, Mapping


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, type and a line of help."""

    name: str
    default: Any
    type: type
    help: str

    @property
    def env_var(self) -> str:
        return "TCO_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1", str, "Address the service listens on."),
    Setting("port", 8000, int, "TCP port the service listens on."),
    Setting("workers", 2, int, "gunicorn worker processes for `tco serve`."),
    Setting("pricing_dir", "", str,
            "Extra folders of pricing tables overlaid on the shipped ones (separated by the OS path separator)."),
    Setting("as_of", "", str, "Date (YYYY-MM-DD) whose prices the service uses; blank = today."),
    Setting("database", "tco.sqlite3", str,
            "Where saved scenarios are kept: a SQLite file path, or a SQLAlchemy URL (sqlite:///path, "
            "postgresql+psycopg://user@host/db for several replicas)."),
    Setting("max_body_bytes", 1_000_000, int, "Largest request body the API accepts [bytes]; larger gets HTTP 413."),
    Setting("dask_scheduler", "", str,
            "Address of a running Dask scheduler for `tco usage price --engine dask` (tcp://host:8786); "
            "blank = a LocalCluster on this machine."),
)


class SettingsError(ValueError):
    """A ``TCO_*`` variable holds a value of the wrong type."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    pricing_dir: str = ""
    as_of: str = ""
    database: str = "tco.sqlite3"
    max_body_bytes: int = 1_000_000
    dask_scheduler: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Read settings from ``TCO_*`` variables (default: ``os.environ``), then apply ``overrides``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for s in SETTINGS:
            raw = environ.get(s.env_var)
            if raw is None or raw == "":
                continue
            try:
                values[s.name] = s.type(raw)
            except ValueError:
                raise SettingsError(f"{s.env_var}: expected {s.type.__name__}, got {raw!r}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def pricing_dirs(self) -> tuple[str, ...]:
        return tuple(p for p in self.pricing_dir.split(os.pathsep) if p)


assert [f.name for f in fields(Settings)] == [s.name for s in SETTINGS], "Settings and SETTINGS disagree"
