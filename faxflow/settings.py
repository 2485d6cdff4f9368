"""The one settings model.

Every value can be set through an environment variable ``FAXFLOW_<NAME>`` (for example
``FAXFLOW_DATABASE_URL``, ``FAXFLOW_STABLE_SECONDS``).  Settings are frozen: code that
needs a variant makes a copy with ``settings.model_copy(update={...})``, never mutates the
shared object.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent
DEFAULT_TEMPLATES_DIR = PROJECT_ROOT / "extract" / "templates"
DEFAULT_THRESHOLDS_FILE = PROJECT_ROOT / "validate" / "thresholds.json"


def committed_thresholds(path: Path = DEFAULT_THRESHOLDS_FILE) -> dict[str, float]:
    """The thresholds `faxflow calibrate --write` stored (``validate/thresholds.json``);
    empty when the file is absent or unreadable, so routing falls back to the default."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    raw = data.get("thresholds") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        return {}
    return {
        str(name): float(value)
        for name, value in raw.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


class CleanupSettings(BaseSettings):
    """Switches for each page-cleanup step (see ``ocr/cleanup.py``)."""

    model_config = SettingsConfigDict(env_prefix="FAXFLOW_CLEANUP_", frozen=True, extra="forbid")

    orientation: bool = True
    deskew: bool = True
    despeckle: bool = True
    normalise_background: bool = True
    binarise: bool = False  # measured: Tesseract thresholds grey pages better (docs/ocr.md)
    remove_lines: bool = True
    border: bool = True
    blobs: bool = True  # whiten photographs and solid black areas before OCR


class Settings(BaseSettings):
    """faxflow's configuration. Defaults work out of the box on one machine."""

    model_config = SettingsConfigDict(
        env_prefix="FAXFLOW_", frozen=True, extra="forbid", env_nested_delimiter="__"
    )

    # --- where things live -------------------------------------------------------------
    var_dir: Path = Field(
        default_factory=lambda: Path.cwd() / "var",
        description="Working folder for the default SQLite database, intake root and scratch.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of faxflow's database; default: SQLite file var/faxflow.db.",
    )
    intake_root: Path | None = Field(
        default=None, description="Root of inbox/ work/ archive/ quarantine/; default var/intake."
    )
    templates_dir: Path = Field(
        default=DEFAULT_TEMPLATES_DIR,
        description="The built-in form packs: one sub-folder per form type.",
    )
    forms_dir: Path | None = Field(
        default=None,
        description="More form packs, one sub-folder each (faxflow forms new writes them); "
        "read beside the built-in ones.",
    )

    # --- intake limits --------------------------------------------------------------------
    stable_seconds: float = Field(default=5.0, ge=0, description="Size+mtime quiet window.")
    max_file_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    max_pages: int = Field(default=500, gt=0)
    max_page_pixels: int = Field(
        default=80_000_000, gt=0, description="Pixel cap per page at source resolution."
    )
    page_dpi: int = Field(
        default=200, ge=100, le=400, description="Square working resolution of page images."
    )

    # --- OCR ------------------------------------------------------------------------------
    tesseract_cmd: str = "tesseract"
    tesseract_lang: str = "eng"
    tesseract_timeout_s: float = Field(default=60.0, gt=0)
    tesseract_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Calls of one Tesseract command before its crash (signal, non-zero "
        "exit) counts against the document's try; a timeout is not repeated in place.",
    )
    tesseract_retry_delay_s: float = Field(
        default=0.5, ge=0, le=60, description="Pause before the second call; doubled after."
    )
    max_claims_per_run: int = Field(
        default=500,
        ge=1,
        le=1024,
        description="Files one fax_intake run claims at most; a backlog is taken over the "
        "following runs. At most Airflow's max_map_length (1024): one task per file.",
    )
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Tries of one document (a transient fault or a lost worker ends a try) "
        "before it is quarantined with every try listed in its reason file.",
    )
    omp_thread_limit: int = Field(default=1, ge=1)
    workers: int = Field(default=0, ge=0, description="Parallel documents; 0 means one per core.")
    cleanup: CleanupSettings = Field(default_factory=CleanupSettings)

    # --- review routing -------------------------------------------------------------------
    target_accuracy: float = Field(
        default=0.995,
        gt=0.5,
        lt=1,
        description="Share of auto-accepted fields that must be right; fields the machine "
        "cannot promise at this accuracy go to a person (FAXFLOW_TARGET_ACCURACY).",
    )
    qa_sample_share: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="Share of auto-accepted documents sent to blind QA review, to measure "
        "production accuracy (FAXFLOW_QA_SAMPLE_SHARE; 0 turns QA sampling off).",
    )
    default_confidence_threshold: float = Field(default=0.80, ge=0, le=1)
    learned_thresholds_file: Path | None = Field(
        default=None,
        description="Thresholds learned from reviewers' answers (`faxflow calibrate "
        "--from-reviews --write`, the weekly_thresholds DAG): written here, never into the "
        "installed package, and read in place of validate/thresholds.json when present "
        "(default: <var_dir>/thresholds.json).",
    )
    confidence_thresholds: dict[str, float] = Field(
        default_factory=committed_thresholds,
        description="Per-field thresholds from `faxflow calibrate`, keyed by field kind or name "
        "(default: validate/thresholds.json).",
    )

    # --- secrets --------------------------------------------------------------------------
    env: Literal["development", "production"] = Field(
        default="development",
        description="FAXFLOW_ENV. production refuses to start the dashboard, the workers and "
        "the CLI's database commands without FAXFLOW_ENCRYPTION_KEY and "
        "FAXFLOW_SESSION_SECRET; development creates local key files and says so loudly.",
    )
    encryption_key: SecretStr | None = Field(
        default=None,
        description="Fernet key for sensitive columns (SSN). Set FAXFLOW_ENCRYPTION_KEY.",
    )
    secure_cookies: bool = Field(
        default=False,
        description="FAXFLOW_SECURE_COOKIES: the dashboard is served over HTTPS (also when "
        "mounted in Airflow behind a TLS proxy): Secure cookies and HSTS on every response.",
    )
    retention_days: int = Field(
        default=90,
        ge=1,
        description="FAXFLOW_RETENTION_DAYS: days after a document is decided (accepted or "
        "rejected) when its original file and page images are deleted; the record stays.",
    )
    bind_host: str = Field(
        default="127.0.0.1",
        description="FAXFLOW_BIND_HOST: the interface `make up` binds every server it starts "
        "to (Airflow's API server, the dashboard); 0.0.0.0 only behind TLS and a firewall.",
    )
    session_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs the dashboard's session cookies (at least 32 characters). "
        "Set FAXFLOW_SESSION_SECRET.",
    )

    @field_validator("tesseract_lang")
    @classmethod
    def _lang_is_simple(cls, value: str) -> str:
        allowed = set("abcdefghijklmnopqrstuvwxyz_+")
        if not value or not set(value.lower()) <= allowed:
            raise ValueError("tesseract_lang must look like 'eng' or 'eng+jpn'")
        return value

    @model_validator(mode="after")
    def _fill_paths(self) -> Settings:
        # Derived defaults are resolved once here so every consumer sees the same paths.
        if self.learned_thresholds_file is None:
            object.__setattr__(self, "learned_thresholds_file", self.var_dir / "thresholds.json")
        if "confidence_thresholds" not in self.model_fields_set:
            assert self.learned_thresholds_file is not None
            learned = committed_thresholds(self.learned_thresholds_file)
            if learned:
                object.__setattr__(self, "confidence_thresholds", learned)
        if self.database_url is None:
            object.__setattr__(
                self, "database_url", f"sqlite:///{(self.var_dir / 'faxflow.db').resolve()}"
            )
        if self.intake_root is None:
            object.__setattr__(self, "intake_root", self.var_dir / "intake")
        return self

    @property
    def production(self) -> bool:
        return self.env == "production"

    def missing_secrets(self) -> list[str]:
        """The secret settings that are not set (empty when every one is)."""
        return [
            f"FAXFLOW_{name.upper()}"
            for name in ("encryption_key", "session_secret")
            if not (secret := getattr(self, name)) or not secret.get_secret_value().strip()
        ]

    def require_secrets(self) -> None:
        """In production, raise :class:`faxflow.errors.SecretsRequired` naming every
        missing secret; in development, return (local key files stand in)."""
        missing = self.missing_secrets()
        if self.production and missing:
            from faxflow.errors import SecretsRequired

            raise SecretsRequired(
                f"FAXFLOW_ENV=production needs {' and '.join(missing)}: set "
                + ("them" if len(missing) > 1 else "it")
                + " from your secrets backend on every worker and the dashboard (make an "
                "encryption key with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'; a session secret with: python -c "
                "'import secrets; print(secrets.token_urlsafe(48))')"
            )

    @property
    def db_url(self) -> str:
        """The database URL, always set after validation."""
        assert self.database_url is not None
        return self.database_url

    @property
    def intake_dir(self) -> Path:
        """The intake root, always set after validation."""
        assert self.intake_root is not None
        return self.intake_root

    def threshold_for(self, field_name: str, kind: str) -> float:
        """The auto-accept confidence threshold for one field: by name, then kind, then
        default. ``kind`` is the field's routing kind (:func:`routing_kind`): a reading of
        nothing is judged by its blank bucket alone, never by the field's own or its kind's
        threshold (those were learned on values that were read), and is never accepted
        while thresholds have no such bucket (a file calibrated before the buckets existed
        would otherwise accept every blank at the flat default). Likewise, a kind that
        calibrated thresholds (the committed or learned file) have no threshold for — a
        new pack's Japanese postal codes, say — was never measured and goes to a person;
        the flat default applies to it only when thresholds are set by hand or not at
        all."""
        if kind in BLANK_BUCKETS:
            return self.confidence_thresholds.get(kind, NEVER_ACCEPTED)
        calibrated = (
            "confidence_thresholds" not in self.model_fields_set and self.confidence_thresholds
        )
        unmeasured = NEVER_ACCEPTED if calibrated else self.default_confidence_threshold
        return self.confidence_thresholds.get(
            field_name, self.confidence_thresholds.get(kind, unmeasured)
        )


NEVER_ACCEPTED = 1.01
"""A threshold above every confidence: the field always goes to a person."""
BLANK_MARKS = "blank_marks"
BLANK_WRITING = "blank_writing"
BLANK_BUCKETS = frozenset({BLANK_MARKS, BLANK_WRITING})
# The checkbox kinds of extract.template.CHECKBOX_KINDS, spelled out: importing extract here
# would load PyYAML on every CLI start (tests/faxflow/test_settings.py keeps the two equal).
MARK_KINDS = frozenset({"checkbox", "choice", "multi_choice"})


def routing_kind(kind: str, value: object) -> str:
    """The key a field's confidence is judged by: its kind when something was read, and
    when nothing was, one of two blank buckets — no box marked (``blank_marks``) or an
    empty writing zone (``blank_writing``). Reading nothing fails in its own way (a missed
    faint mark or pale writing) at its own rate, unrelated to how often a value that was
    read is misread (docs/supervision.md has the measured rates). Writing zones share one bucket,
    as whether a zone holds writing is decided by its ink alone, whatever its kind."""
    if value is None or value == "" or value == [] or (value is False and kind in MARK_KINDS):
        return BLANK_MARKS if kind in MARK_KINDS else BLANK_WRITING
    return kind


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()
