"""Closed vocabularies: fields whose answers come from a short fixed list (a household
member's 続柄: 妻, 長男, 祖母 …), kept as data in ``extract/rules/vocabularies/<name>.txt``.

A template names the list with ``closed_vocabulary: <name>`` on a text field. The list
helps reading the zone in two ways, neither of which moves a reading to a word OCR did
not see (docs/extraction.md, "Closed vocabularies"):

* a reading that is not in the list is doubtful: the zone is read again with Tesseract
  restricted to the list's characters (:func:`vocabulary_whitelist`), and that reading
  is taken when it is in the list and the first was not;
* a value still not in the list keeps what was read, with its confidence capped and an
  issue ``not_in_vocabulary``, so that a person decides.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from faxflow.errors import TemplateError

VOCABULARY_DIR = Path(__file__).resolve().parent / "rules" / "vocabularies"
VOCABULARY_NAME = re.compile(r"^[a-z0-9_]+$")
_SPACE = re.compile(r"\s+")


def vocabulary_path(name: str) -> Path:
    return VOCABULARY_DIR / f"{name}.txt"


def _key(text: str) -> str:
    """A word as the list compares it: NFKC (full-width brackets and digits folded), no
    white space (a space OCR put between two kanji of 長男 is no character written)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


@cache
def load_vocabulary(name: str) -> tuple[str, ...]:
    """The answers of ``extract/rules/vocabularies/<name>.txt`` (one a line, ``#``
    comments), NFKC; a name that is no such file, or a file with no answer, raises
    TemplateError naming it."""
    if not VOCABULARY_NAME.match(name):
        raise TemplateError(f"closed vocabulary {name!r}: a name is lower-case a-z, 0-9, _")
    path = vocabulary_path(name)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read closed vocabulary {path}: {exc}") from exc
    words = tuple(
        dict.fromkeys(_key(line) for line in lines if line.strip() and not line.startswith("#"))
    )
    if not words:
        raise TemplateError(f"closed vocabulary {path} lists no answer")
    return words


def in_vocabulary(value: object, name: str) -> bool:
    """Whether ``value`` is one of the list's answers (white space aside)."""
    return isinstance(value, str) and _key(value) in load_vocabulary(name)


def as_listed(value: str, name: str) -> str | None:
    """``value`` as the list writes it (its white space dropped, NFKC), when it is one of
    the answers; None otherwise."""
    key = _key(value)
    return key if key in load_vocabulary(name) else None


def vocabulary_whitelist(name: str) -> str:
    """Every character the list's answers are written with, for Tesseract's
    ``tessedit_char_whitelist`` (Tesseract 5's LSTM engine honours it on jpn)."""
    return "".join(sorted({ch for word in load_vocabulary(name) for ch in word}))
