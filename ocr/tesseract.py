"""The one module that talks to Tesseract (through pytesseract).

Everything else in faxflow calls :func:`read_words`, :func:`read_words_batch`,
:func:`read_text` or :func:`detect_orientation` and gets typed values back, or one of
three coded errors:

* :class:`~faxflow.errors.MissingDependency` (``E_MISSING_DEPENDENCY``) - the binary is
  absent, does not answer ``--version``, or lacks the requested language;
* :class:`~faxflow.errors.OcrTimeout` (``E_OCR_TIMEOUT``) - a call ran past its limit
  (every call has one; the process is killed);
* :class:`~faxflow.errors.OcrError` (``E_OCR_FAILED``) - Tesseract was killed by a signal
  or exited non-zero on every one of ``settings.tesseract_attempts`` calls.

Both OCR errors are transient: the document's task is tried again, and only a document
that fails on every try is quarantined (see ``ingest.intake``).

Error messages carry the program path, exit status and call kind, never recognised text
(it may be a name or a diagnosis).  Tesseract's stderr is not quoted either, for the same
reason: it can echo fragments of the page in some failure modes.

Seconds spent inside Tesseract are added to :data:`COST`, so callers can report the OCR
cost of a page (see :func:`ocr_seconds`).
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytesseract
from PIL import Image

from faxflow.errors import MissingDependency, OcrError, OcrTimeout
from faxflow.model import OcrWord
from faxflow.settings import Settings

log = logging.getLogger(__name__)

INSTALL_HINT = "install it with: apt-get install tesseract-ocr tesseract-ocr-eng"
PROBE_TIMEOUT_S = 15.0
"""``tesseract --version`` answers in milliseconds; anything slower is a broken install."""

OSD_MIN_CHARACTERS_MESSAGE = "Too few characters"
"""What Tesseract prints when a page has too little text for orientation detection.

pytesseract reports it only as text inside ``TesseractError``; this is the one place
faxflow looks at an error's text, because OSD has no other signal for "not enough text"."""

_VERSION_RE = re.compile(r"tesseract\s+v?(\d+(?:\.\d+)*)", re.IGNORECASE)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class TesseractInfo:
    """What :func:`probe` found: the program, its version and installed languages."""

    cmd: str
    version: str
    languages: tuple[str, ...]

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])


@dataclass(frozen=True, slots=True)
class OcrText:
    """Text of a single-line (or small) crop with Tesseract's mean word confidence 0..1."""

    text: str
    confidence: float
    words: tuple[OcrWord, ...] = ()


@dataclass(frozen=True, slots=True)
class Orientation:
    """OSD result: degrees clockwise to rotate the image to make it upright.

    ``confidence`` is Tesseract's orientation confidence (unbounded, roughly 0..20+; above
    ~2 is trustworthy).  0 with rotation 0 means "too little text to tell"."""

    rotate: int
    confidence: float


class _Cost:
    """Thread-safe running total of seconds spent in Tesseract subprocesses."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds = 0.0
        self.calls = 0

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds
            self.calls += 1


COST = _Cost()


def ocr_seconds() -> tuple[float, int]:
    """(seconds, calls) spent in Tesseract by this process so far. Subtract two readings
    to get the cost of one page or one document."""
    return COST.seconds, COST.calls


# --------------------------------------------------------------------------------------
# Probe
# --------------------------------------------------------------------------------------

_probe_lock = threading.Lock()
_probe_cache: dict[str, TesseractInfo] = {}


def probe(settings: Settings) -> TesseractInfo:
    """Check that ``settings.tesseract_cmd`` runs and has the configured languages.

    Cached per program path.  Also sets ``OMP_THREAD_LIMIT`` (with ``setdefault``, so an
    operator's explicit value wins) because Tesseract's OpenMP threads fight each other
    when pages run in parallel: one thread per process is faster overall on a busy machine
    and the subprocess inherits the variable from ``os.environ``.
    """
    os.environ.setdefault("OMP_THREAD_LIMIT", str(settings.omp_thread_limit))
    cmd = settings.tesseract_cmd
    with _probe_lock:
        info = _probe_cache.get(cmd)
        if info is None:
            info = _run_probe(cmd)
            _probe_cache[cmd] = info
            log.info("tesseract %s at %s, languages %s", info.version, cmd, info.languages)
    _check_languages(info, settings.tesseract_lang)
    return info


def clear_probe_cache() -> None:
    """Forget earlier probes (tests, or after installing a language pack)."""
    with _probe_lock:
        _probe_cache.clear()


def _run_probe(cmd: str) -> TesseractInfo:
    version_out = _probe_call([cmd, "--version"], cmd)
    match = _VERSION_RE.search(version_out)
    if match is None:
        raise MissingDependency(
            f"{cmd} --version did not report a Tesseract version; {INSTALL_HINT}"
        )
    langs_out = _probe_call([cmd, "--list-langs"], cmd)
    languages = tuple(
        line.strip()
        for line in langs_out.splitlines()
        if line.strip() and not line.startswith("List of") and " " not in line.strip()
    )
    info = TesseractInfo(cmd=cmd, version=match.group(1), languages=languages)
    if info.major < 4:
        raise MissingDependency(
            f"Tesseract {info.version} at {cmd} is too old (need 4+); {INSTALL_HINT}"
        )
    return info


def _probe_call(args: list[str], cmd: str) -> str:
    try:
        done = subprocess.run(
            args, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False, text=True
        )
    except FileNotFoundError:
        raise MissingDependency(f"Tesseract was not found at {cmd!r}; {INSTALL_HINT}") from None
    except PermissionError:
        raise MissingDependency(f"Tesseract at {cmd!r} is not executable; {INSTALL_HINT}") from None
    except subprocess.TimeoutExpired:
        raise MissingDependency(
            f"{cmd} {args[-1]} did not answer within {PROBE_TIMEOUT_S:.0f} s; {INSTALL_HINT}"
        ) from None
    if done.returncode != 0:
        raise MissingDependency(
            f"{cmd} {args[-1]} exited with status {done.returncode}; {INSTALL_HINT}"
        )
    # Tesseract 3 printed --version on stderr; later versions use stdout.
    return done.stdout + "\n" + done.stderr


def _check_languages(info: TesseractInfo, lang: str) -> None:
    missing = [part for part in lang.split("+") if part not in info.languages]
    if missing:
        packages = " ".join(f"tesseract-ocr-{m.replace('_', '-')}" for m in missing)
        raise MissingDependency(
            f"Tesseract language(s) {', '.join(missing)} not installed at {info.cmd}; "
            f"install with: apt-get install {packages}"
        )


# --------------------------------------------------------------------------------------
# Calls
# --------------------------------------------------------------------------------------


def read_words(
    image: np.ndarray,
    *,
    settings: Settings,
    psm: int = 6,
    whitelist: str | None = None,
    lang: str | None = None,
    timeout_s: float | None = None,
    dpi: int | None = None,
) -> list[OcrWord]:
    """Words of ``image`` (uint8 grey or binary) via ``image_to_data``.

    Boxes are in ``image`` pixels; confidence is 0..1; rows Tesseract marks -1 (blocks,
    lines) and empty words are dropped.  ``whitelist`` restricts characters (for example
    ``"0123456789"`` for SSN and phone boxes).  ``dpi`` tells Tesseract the resolution
    (it otherwise guesses from the image size).
    """
    config = _config(psm=psm, whitelist=whitelist, dpi=dpi)
    if not has_ink(image):
        # Tesseract invents text on empty single-line crops ("Be", "|"); skip the call.
        return []
    data = _image_data(
        _pil(image), settings=settings, config=config, lang=lang, timeout_s=timeout_s
    )
    return _words_from_data(data)


def _image_data(
    source: Image.Image | str,
    *,
    settings: Settings,
    config: str,
    lang: str | None,
    timeout_s: float | None,
) -> dict[str, list[Any]]:
    """``image_to_data`` of an image, or of an image file (a multi-page TIFF's pages)."""
    return _call(
        "image_to_data",
        lambda t: pytesseract.image_to_data(
            source,
            lang=lang or settings.tesseract_lang,
            config=config,
            output_type=pytesseract.Output.DICT,
            timeout=t,
        ),
        settings=settings,
        lang=lang,
        timeout_s=timeout_s,
    )


PAGES_PER_TIMEOUT = 4
"""A batch's time limit grows by one call's limit for every this many pages: crops of a
line or a box read in well under a second each, so four share what a page is allowed."""


def read_words_batch(
    images: Sequence[np.ndarray],
    *,
    settings: Settings,
    psm: int = 7,
    whitelist: str | None = None,
    lang: str | None = None,
    timeout_s: float | None = None,
    dpi: int | None = None,
) -> list[list[OcrWord]]:
    """The words of each of ``images``, each read as :func:`read_words` reads it alone,
    in one Tesseract process: the images are the pages of one multi-page TIFF, and
    Tesseract segments and recognises every page on its own (same ``psm``, whitelist,
    language and ``dpi``). A call costs 0.2-0.3 s of process start and model load
    whatever it reads, so a page's small crops read together cost that once.

    Boxes are in each image's own pixels. Images without ink get no words and are not
    sent (as in :func:`read_words`). The timeout is the settings' (or ``timeout_s``)
    for every :data:`PAGES_PER_TIMEOUT` pages sent."""
    config = _config(psm=psm, whitelist=whitelist, dpi=dpi)
    out: list[list[OcrWord]] = [[] for _ in images]
    inked = [i for i, image in enumerate(images) if has_ink(image)]
    if not inked:
        return out
    limit = (settings.tesseract_timeout_s if timeout_s is None else timeout_s) * -(
        -len(inked) // PAGES_PER_TIMEOUT
    )
    with tempfile.TemporaryDirectory(prefix="faxflow-batch-") as scratch:
        path = Path(scratch) / "pages.tif"
        pages = [_pil(images[i]) for i in inked]
        pages[0].save(path, format="TIFF", save_all=True, append_images=pages[1:])
        data = _image_data(str(path), settings=settings, config=config, lang=lang, timeout_s=limit)
    for page, words in _words_by_page(data).items():
        if 1 <= page <= len(inked):
            out[inked[page - 1]] = words
    return out


def read_text(
    image: np.ndarray,
    *,
    settings: Settings,
    psm: int = 7,
    whitelist: str | None = None,
    lang: str | None = None,
    timeout_s: float | None = None,
    dpi: int | None = None,
) -> OcrText:
    """Text of a field crop (one line by default, ``psm=7``) with mean word confidence.

    Words are joined by single spaces within a line and by newlines between lines.  An
    empty crop gives ``OcrText("", 0.0)``.
    """
    words = read_words(
        image,
        settings=settings,
        psm=psm,
        whitelist=whitelist,
        lang=lang,
        timeout_s=timeout_s,
        dpi=dpi,
    )
    if not words:
        return OcrText(text="", confidence=0.0)
    return OcrText(
        text=words_to_text(words),
        confidence=float(np.mean([w.confidence for w in words])),
        words=tuple(words),
    )


def detect_orientation(
    image: np.ndarray, *, settings: Settings, timeout_s: float | None = None
) -> Orientation:
    """Tesseract OSD: how many degrees clockwise to rotate ``image`` to make it upright.

    A page with too little text gives ``Orientation(0, 0.0)`` instead of an error.
    Needs the ``osd`` language data, which Debian's ``tesseract-ocr`` package includes."""
    info = probe(settings)
    if "osd" not in info.languages:
        raise MissingDependency(
            f"Tesseract at {info.cmd} lacks orientation data (osd); "
            "install with: apt-get install tesseract-ocr-osd"
        )
    try:
        result = _call(
            "image_to_osd",
            lambda t: pytesseract.image_to_osd(
                _pil(image), output_type=pytesseract.Output.DICT, timeout=t
            ),
            settings=settings,
            lang=None,
            timeout_s=timeout_s,
            too_few_ok=True,
        )
    except _TooFewCharacters:
        return Orientation(rotate=0, confidence=0.0)
    rotate = int(result.get("rotate", 0)) % 360
    return Orientation(rotate=rotate, confidence=float(result.get("orientation_conf", 0.0)))


def has_ink(image: np.ndarray, *, min_dark_pixels: int = 12) -> bool:
    """Whether ``image`` has at least a few dark (< 128) pixels: anything to read at all."""
    return int(np.count_nonzero(_pil_ready(image) < 128)) >= min_dark_pixels


def words_to_text(words: list[OcrWord]) -> str:
    """Words in Tesseract's reading order: spaces within a line, newlines between lines."""
    lines: list[str] = []
    current: tuple[int, int, int] | None = None
    for word in words:
        if word.line_key != current:
            lines.append(word.text)
            current = word.line_key
        else:
            lines[-1] += " " + word.text
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------


class _TooFewCharacters(Exception):
    """OSD found too little text; turned into a neutral Orientation by the caller."""


def _call(
    kind: str,
    run: Callable[[float], _T],
    *,
    settings: Settings,
    lang: str | None,
    timeout_s: float | None,
    too_few_ok: bool = False,
) -> _T:
    """Run one Tesseract command; a crash (killed by a signal, as by the out-of-memory
    killer, or a non-zero exit) is retried up to ``settings.tesseract_attempts`` calls with
    a doubling pause, so one killed child costs a second, not the document. A timeout is
    not repeated here: its limit is already spent, and the document's next try (later, on
    a possibly less busy worker) decides."""
    effective = settings if lang is None else settings.model_copy(update={"tesseract_lang": lang})
    probe(effective)
    failures: list[str] = []
    delay = settings.tesseract_retry_delay_s
    while True:
        try:
            return _call_once(
                kind, run, settings=settings, timeout_s=timeout_s, too_few_ok=too_few_ok
            )
        except OcrTimeout:
            raise
        except OcrError as error:
            failures.append(error.message)
            if len(failures) >= settings.tesseract_attempts:
                if len(failures) == 1:
                    raise
                raise OcrError(
                    f"{error.message}; the same call failed {len(failures)} times in a row "
                    f"({'; '.join(_short(f) for f in failures)})"
                ) from None
            log.warning(
                "%s (call %d of %d); calling again in %.1f s",
                error.message,
                len(failures),
                settings.tesseract_attempts,
                delay,
            )
            time.sleep(delay)
            delay *= 2


def _short(message: str) -> str:
    """The part of a failure message after the call kind: what happened to the process."""
    return message.rpartition(": ")[2]


def _call_once(
    kind: str,
    run: Callable[[float], _T],
    *,
    settings: Settings,
    timeout_s: float | None,
    too_few_ok: bool,
) -> _T:
    limit = settings.tesseract_timeout_s if timeout_s is None else timeout_s
    cmd = settings.tesseract_cmd
    started = time.perf_counter()
    try:
        # pytesseract keeps the program path in a module global; setting it on every call
        # lets a process switch settings (tests inject fake binaries this way).
        pytesseract.pytesseract.tesseract_cmd = cmd
        return run(limit)
    except pytesseract.TesseractNotFoundError:
        clear_probe_cache()
        raise MissingDependency(f"Tesseract disappeared from {cmd!r}; {INSTALL_HINT}") from None
    except pytesseract.TesseractError as exc:
        if too_few_ok and OSD_MIN_CHARACTERS_MESSAGE in str(exc.message):
            raise _TooFewCharacters from None
        raise OcrError(f"tesseract {kind} failed: {cmd} {exit_description(exc.status)}") from None
    except RuntimeError as exc:
        # pytesseract signals its timeout with a bare RuntimeError after killing the process.
        if "timeout" in str(exc).lower():
            raise OcrTimeout(
                f"tesseract {kind} did not finish within {limit:g} s and was stopped"
            ) from None
        raise OcrError(f"tesseract {kind} failed: {type(exc).__name__}") from None
    except OSError as exc:
        raise OcrError(
            f"tesseract {kind} could not run: {exc.strerror or type(exc).__name__}"
        ) from None
    finally:
        COST.add(time.perf_counter() - started)


def exit_description(status: int) -> str:
    """How a process ended, for messages: ``was killed by signal 9 (SIGKILL)`` for a
    negative return code (Python's convention for death by signal), else the status."""
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = "unknown signal"
        return f"was killed by signal {-status} ({name})"
    return f"exited with status {status}"


def _config(*, psm: int, whitelist: str | None, dpi: int | None) -> str:
    if not 0 <= psm <= 13:
        raise ValueError(f"page segmentation mode {psm} is outside 0..13")
    parts = [f"--psm {psm}"]
    if dpi is not None:
        parts.append(f"--dpi {int(dpi)}")
    if whitelist:
        if any(c.isspace() or c in "\"'\\" for c in whitelist):
            raise ValueError("whitelist may not contain spaces, quotes or backslashes")
        parts.append(f"-c tessedit_char_whitelist={whitelist}")
    return " ".join(parts)


def _pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray(_pil_ready(image))


def _pil_ready(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError("OCR needs a uint8 image of shape (h, w) or (h, w, 3)")
    if image.size == 0:
        raise ValueError("OCR needs a non-empty image")
    return image


def _words_by_page(data: dict[str, list[Any]]) -> dict[int, list[OcrWord]]:
    """The words of a multi-page call by page number (1 = the first page)."""
    pages: dict[int, list[OcrWord]] = {}
    numbers = data.get("page_num", [])
    for i, word in _indexed_words(data):
        pages.setdefault(int(numbers[i]), []).append(word)
    return pages


def _words_from_data(data: dict[str, list[Any]]) -> list[OcrWord]:
    return [word for _, word in _indexed_words(data)]


def _indexed_words(data: dict[str, list[Any]]) -> list[tuple[int, OcrWord]]:
    """The words of ``image_to_data`` output, each with its row in ``data``."""
    words: list[tuple[int, OcrWord]] = []
    for i, text in enumerate(data.get("text", [])):
        word = str(text).strip()
        conf = float(data["conf"][i])
        if not word or conf < 0:
            continue
        x, y = int(data["left"][i]), int(data["top"][i])
        w, h = int(data["width"][i]), int(data["height"][i])
        words.append(
            (
                i,
                OcrWord(
                    text=word,
                    confidence=max(0.0, min(1.0, conf / 100.0)),
                    bbox=(x, y, x + w, y + h),
                    line_key=(
                        int(data["block_num"][i]),
                        int(data["par_num"][i]),
                        int(data["line_num"][i]),
                    ),
                ),
            )
        )
    return words
