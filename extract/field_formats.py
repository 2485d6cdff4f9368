"""The format of a drafted field, from its widget's name and tooltip (``forms new``).

The words that name a format are data, ``extract/rules/field_formats.yaml``: each format
lists the phrases that name it (``date of birth``, ``zip code``), the template kind that
reads it, the keys its schema property gets and what a widget's comb cells or /MaxLen may
be. :func:`infer_format` is conservative: a phrase counts only where English puts the
head noun, at the end of the name or tooltip; a veto word (``type``, ``name``…) or two
formats named at once leave the field free text, and so does a widget whose comb or
/MaxLen cannot hold the format.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from extract.template import KINDS_READING_FORMAT, FieldKind
from faxflow.errors import TemplateError

FORMATS_FILE = Path(__file__).resolve().parent / "rules" / "field_formats.yaml"
_WORD = re.compile(r"[a-z0-9]+")
_TRAILING_INDEX = re.compile(r"(?:\s(?:page\s)?\d+)+$")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^]]*\]")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DraftFormat(_Strict):
    """One format a drafted field may be given."""

    kind: FieldKind
    schema_keys: dict[str, Any] = Field(alias="schema")
    words: list[str] = Field(min_length=1)
    symbols: list[str] = Field(default_factory=list)
    cells: list[int] = Field(default_factory=list)
    min_len: int = Field(default=1, ge=1)


class FormatVocabulary(_Strict):
    """The content of ``field_formats.yaml``."""

    veto: list[str] = Field(default_factory=list)
    formats: dict[str, DraftFormat]

    @model_validator(mode="after")
    def _formats_are_read(self) -> FormatVocabulary:
        for name, fmt in self.formats.items():
            kinds = KINDS_READING_FORMAT.get(name)
            if kinds is None or fmt.kind not in kinds:
                raise ValueError(f"format {name}: kind {fmt.kind} does not read it")
        return self


@cache
def load_vocabulary(path: Path = FORMATS_FILE) -> FormatVocabulary:
    """The vocabulary, validated; raises :class:`TemplateError` naming the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return FormatVocabulary.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise TemplateError(f"format vocabulary {path} is invalid: {exc}") from exc


def words_of(text: str) -> str:
    """A name or tooltip as lower-case words one space apart, what is in brackets and a
    trailing index or ``page N`` dropped (``Home_Phone-2`` -> ``home phone``, ``E-mail``
    -> ``e mail``, ``dateOfBirth (mm/dd/yyyy)`` -> ``date of birth``)."""
    text = _BRACKETS.sub(" ", unicodedata.normalize("NFKC", text))
    # camelCase names (dateOfBirth) split where a lower-case letter meets a capital
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return _TRAILING_INDEX.sub("", " ".join(_WORD.findall(text.lower())))


def _is_latin(text: str) -> bool:
    return all(not c.isalpha() or c.isascii() or "LATIN" in unicodedata.name(c, "") for c in text)


def _named(text: str, vocabulary: FormatVocabulary) -> set[str]:
    """The formats whose phrases end ``text`` (or whose symbols it holds); empty when a
    veto word is in it."""
    words = words_of(text)
    if not words or set(words.split()) & set(vocabulary.veto):
        return set()
    return {
        name
        for name, fmt in vocabulary.formats.items()
        if any(words == w or words.endswith(f" {w}") for w in fmt.words)
        or any(symbol in text for symbol in fmt.symbols)
    }


def infer_format(
    name: str,
    tooltip: str | None = None,
    *,
    cells: int = 1,
    max_len: int | None = None,
    vocabulary: FormatVocabulary | None = None,
) -> str | None:
    """The format a text widget named ``name`` (with ``tooltip``, ``cells`` comb cells,
    ``max_len``) clearly holds, else None (module docstring)."""
    vocabulary = vocabulary or load_vocabulary()
    if tooltip is not None and not _is_latin(tooltip):
        return None
    named = _named(name, vocabulary)
    if tooltip:
        # a tooltip's veto word counts as the name's does
        said = words_of(tooltip)
        if set(said.split()) & set(vocabulary.veto):
            return None
        named |= _named(tooltip, vocabulary)
    if len(named) != 1:
        return None
    found = named.pop()
    fmt = vocabulary.formats[found]
    if cells > 1 and cells not in fmt.cells:
        return None
    if max_len is not None and max_len < fmt.min_len:
        return None
    return found
