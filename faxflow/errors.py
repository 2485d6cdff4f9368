"""One error hierarchy with stable codes.

Every failure faxflow expects carries a code (``E_CORRUPT``, ``E_ENCRYPTED`` …) that is
used, unchanged, as the quarantine folder name, the ledger reason code, the ``issues``
entry of a rejected document and (through :data:`EXIT_CODE_BY_CODE`) the CLI's exit code.

Messages are written for a clerk or a data engineer: they say what happened and what to do
next.  They never contain personal data (names, birth dates, SSNs, diagnoses) — only file
names, page numbers, sizes and codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    """Stable process exit codes of the ``faxflow`` CLI (documented in the README)."""

    OK = 0
    NEEDS_REVIEW = 1  # every input was processed; at least one document needs a person
    BAD_ARGS = 2  # the command line itself is wrong (typer/click also uses 2)
    INPUT_ERROR = 3  # at least one input file was refused (quarantined with a code)
    MISSING_DEPENDENCY = 4  # tesseract, poppler or another program is missing
    DATABASE_ERROR = 5  # the database could not be reached or written
    INTERNAL_ERROR = 70  # a bug: please report it with the log


class ErrorCode(StrEnum):
    """Stable machine-readable reasons. Never rename one: they are stored in databases."""

    EMPTY = "E_EMPTY"
    CORRUPT = "E_CORRUPT"
    ENCRYPTED = "E_ENCRYPTED"
    TOO_LARGE = "E_TOO_LARGE"
    PAGES = "E_PAGES"
    BOMB = "E_BOMB"
    TYPE = "E_TYPE"
    UNSAFE = "E_UNSAFE"
    DUPLICATE = "E_DUPLICATE"
    NOT_FOUND = "E_NOT_FOUND"
    MISSING_DEPENDENCY = "E_MISSING_DEPENDENCY"
    OCR_FAILED = "E_OCR_FAILED"
    OCR_TIMEOUT = "E_OCR_TIMEOUT"
    TEMPLATE = "E_TEMPLATE"
    PACK = "E_PACK"  # a form pack folder is incomplete or invalid (faxflow/packs.py)
    UNKNOWN_FORM = "E_UNKNOWN_FORM"
    DATABASE = "E_DATABASE"
    CONFIG = "E_CONFIG"
    SECRETS_REQUIRED = "E_SECRETS_REQUIRED"  # production mode without its keys
    NOT_IN_REVIEW = "E_NOT_IN_REVIEW"  # a review action on a document not in review
    INTERNAL = "E_INTERNAL"


class FaxflowError(Exception):
    """Base of every error faxflow raises on purpose.

    ``code`` is stable; ``message`` is safe to log (no personal data) and tells the reader
    what to do next.  ``transient`` marks faults worth retrying (a database that is down, a
    crashed OCR engine), as opposed to bad input that will fail the same way every time.
    """

    code: ErrorCode = ErrorCode.INTERNAL
    exit_code: ExitCode = ExitCode.INTERNAL_ERROR
    transient: bool = False

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"


class InputRejected(FaxflowError):
    """The input file cannot be processed; it goes to quarantine under ``code``."""

    exit_code = ExitCode.INPUT_ERROR

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message, code=code)


class MissingDependency(FaxflowError):
    """An external program (tesseract, pdftoppm …) is absent or unusable."""

    code = ErrorCode.MISSING_DEPENDENCY
    exit_code = ExitCode.MISSING_DEPENDENCY


class OcrError(FaxflowError):
    """Tesseract crashed (killed by a signal, as an out-of-memory kill is), exited non-zero
    or could not be started.

    Transient: a crash of the engine says nothing about the document until it happens on
    every try, so it is retried (the call itself, then the document's task) and a document
    is quarantined with this code only when every try failed."""

    code = ErrorCode.OCR_FAILED
    exit_code = ExitCode.INTERNAL_ERROR
    transient = True


class OcrTimeout(OcrError):
    """Tesseract did not finish within its time limit (a busy machine, or a page that
    takes pathologically long); transient like every engine failure."""

    code = ErrorCode.OCR_TIMEOUT


class TemplateError(FaxflowError):
    """A form template file is invalid; the message names the file and the field."""

    code = ErrorCode.TEMPLATE
    exit_code = ExitCode.BAD_ARGS


class PackError(TemplateError):
    """A form pack is invalid. ``problems`` holds one coded finding per fault, each
    naming the pack's file (``pack_missing_file: schema.json …``), so that
    ``faxflow forms check`` can list them all."""

    code = ErrorCode.PACK

    def __init__(self, message: str, problems: tuple[PackProblem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True, slots=True)
class PackProblem:
    """One fault of a form pack: a stable code, the file it is in, what to do."""

    code: str
    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.file}: {self.message}"


class ConfigError(FaxflowError):
    """A setting is invalid."""

    code = ErrorCode.CONFIG
    exit_code = ExitCode.BAD_ARGS


class SecretsRequired(ConfigError):
    """Production mode (``FAXFLOW_ENV=production``) without a secret it must be given;
    the message names the settings to set."""

    code = ErrorCode.SECRETS_REQUIRED


class DatabaseError(FaxflowError):
    """The database could not be reached or a write failed; retrying may help."""

    code = ErrorCode.DATABASE
    exit_code = ExitCode.DATABASE_ERROR
    transient = True


EXIT_CODE_BY_CODE: dict[ErrorCode, ExitCode] = {
    **{
        c: ExitCode.INPUT_ERROR
        for c in (
            ErrorCode.EMPTY,
            ErrorCode.CORRUPT,
            ErrorCode.ENCRYPTED,
            ErrorCode.TOO_LARGE,
            ErrorCode.PAGES,
            ErrorCode.BOMB,
            ErrorCode.TYPE,
            ErrorCode.UNSAFE,
            ErrorCode.NOT_FOUND,
        )
    },
    ErrorCode.DUPLICATE: ExitCode.OK,
    ErrorCode.MISSING_DEPENDENCY: ExitCode.MISSING_DEPENDENCY,
    ErrorCode.DATABASE: ExitCode.DATABASE_ERROR,
    ErrorCode.TEMPLATE: ExitCode.BAD_ARGS,
    ErrorCode.PACK: ExitCode.BAD_ARGS,
    ErrorCode.CONFIG: ExitCode.BAD_ARGS,
    ErrorCode.SECRETS_REQUIRED: ExitCode.BAD_ARGS,
    ErrorCode.NOT_IN_REVIEW: ExitCode.BAD_ARGS,
}


def exit_code_for(error: BaseException) -> ExitCode:
    """The one mapping from an exception to the CLI's exit code."""
    if isinstance(error, FaxflowError):
        return EXIT_CODE_BY_CODE.get(error.code, error.exit_code)
    return ExitCode.INTERNAL_ERROR


def safe_traceback(error: BaseException) -> str:
    """Where an unexpected error happened — files, lines and functions — without its
    message, which may quote a field value, a name or an SSN. For debug logs of bugs."""
    import traceback

    frames = "\n".join(
        f"  {frame.filename}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(error.__traceback__)
    )
    return f"{type(error).__name__} (message withheld: it may hold personal data)\n{frames}"
