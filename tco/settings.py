"""Every setting of the service in one place, each overridable by a ``TCO_*`` variable.

>>> s = Settings.from_env({"TCO_PORT": "9000"})
>>> s.port
9000
>>> Settings.from_env({}).host
'127.0.0.1'
"""
from __future__ import annotations

import math
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
    Setting("allowed_hosts", "localhost,127.0.0.1,[::1]", str,
            "Host names the service answers to, comma-separated (`*` = any); another Host header gets HTTP 400."),
    Setting("threads", 8, int, "Threads per gunicorn worker for `tco serve`: light requests keep answering "
                               "while heavy ones compute."),
    Setting("request_timeout_s", 10.0, float,
            "Time a client has to send a request's headers and body [s]; a slower one gets HTTP 408."),
    Setting("max_url_bytes", 4096, int, "Longest URL (path and query) the API accepts [bytes]; longer gets HTTP 414."),
    Setting("max_json_depth", 32, int, "Deepest nesting of arrays and objects a JSON body may have; deeper gets "
                                       "HTTP 400."),
    Setting("max_sample_months", 6_000_000, int,
            "Monte Carlo budget: samples x horizon months of one request; more gets HTTP 422."),
    Setting("heavy_slots", 1, int, "Heavy requests (Monte Carlo, sensitivity, plan, usage, charts with extras, "
                                   "report) computed at once by the whole service; keep it below the cores."),
    Setting("heavy_wait_s", 2.0, float, "How long a heavy request waits for a free slot [s]; then HTTP 503 with "
                                        "Retry-After."),
    Setting("heavy_timeout_s", 10.0, float, "Longest a heavy computation may run [s]; it is stopped and answered "
                                            "HTTP 503."),
    Setting("heavy_isolation", "process", str, "`process`: heavy requests compute in low-priority child processes "
                                               "(one per slot); `thread`: in the worker's own thread."),
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
    allowed_hosts: str = "localhost,127.0.0.1,[::1]"
    threads: int = 8
    request_timeout_s: float = 10.0
    max_url_bytes: int = 4096
    max_json_depth: int = 32
    max_sample_months: int = 6_000_000
    heavy_slots: int = 1
    heavy_wait_s: float = 2.0
    heavy_timeout_s: float = 10.0
    heavy_isolation: str = "process"
    dask_scheduler: str = ""

    def __post_init__(self):
        positive = ("port", "workers", "max_body_bytes", "threads", "request_timeout_s", "max_url_bytes",
                    "max_json_depth", "max_sample_months", "heavy_slots", "heavy_timeout_s")
        for name in positive:
            if not getattr(self, name) > 0:
                raise SettingsError(f"TCO_{name.upper()}: must be > 0, got {getattr(self, name)!r}")
        if not self.heavy_wait_s >= 0:
            raise SettingsError(f"TCO_HEAVY_WAIT_S: must be >= 0, got {self.heavy_wait_s!r}")
        if self.heavy_isolation not in ("process", "thread"):
            raise SettingsError(f"TCO_HEAVY_ISOLATION: must be process or thread, got {self.heavy_isolation!r}")
        if not self.host_names:
            raise SettingsError("TCO_ALLOWED_HOSTS: give at least one host name (or * for any)")

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
                if s.type is float and not math.isfinite(values[s.name]):
                    raise ValueError
            except ValueError:
                raise SettingsError(f"{s.env_var}: expected {s.type.__name__}, got {raw!r}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def pricing_dirs(self) -> tuple[str, ...]:
        return tuple(p for p in self.pricing_dir.split(os.pathsep) if p)

    @property
    def host_names(self) -> frozenset[str]:
        """The allowed Host names, lower-case, without port (``*`` = any).

        >>> sorted(Settings(allowed_hosts=" Example.org., [::1] ,localhost").host_names)
        ['[::1]', 'example.org', 'localhost']
        """
        return frozenset(h.strip().lower().rstrip(".") for h in self.allowed_hosts.split(",") if h.strip())


assert [f.name for f in fields(Settings)] == [s.name for s in SETTINGS], "Settings and SETTINGS disagree"
