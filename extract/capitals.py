"""Free text printed in block capitals, in the case the record keeps it in.

Forms ask people to print in capitals, and many hand-printed styles have capitals only, so
a street, a town, a relationship or an agency often arrives as 'NEW EDWARD', 'SPOUSE' or
'HAMILTON CO. HD'. The record keeps such words the way the field's own words are spelled
— its vocabulary ('spouse', 'Co.', 'HD', 'Suite'), otherwise with a capital first letter
('New Edward') — and only the case of the letters changes: no letter, space or stop is
added or taken away. A reading with any small letter was not printed in capitals and is
kept as read; so are words with digits, single letters and Roman numerals.

Where a field holds names of bodies ('Dept of Health', 'NC DHHS'), a short word that is
none of its vocabulary may be an acronym and stays in capitals; street and town words have
no such acronyms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from extract.lexicon import match_key
from extract.normalise import capitalised_parts, is_block_capital_word

_EDGES = re.compile(r"^([^A-Za-z0-9]*)(.*?)([^A-Za-z0-9]*)$", re.DOTALL)
ACRONYM_LETTERS = 3
"""In a body's name, an unknown capital word this short is taken as an acronym ('DOH')."""
_VOWELS = frozenset("AEIOUY")


def in_block_capitals(text: str) -> bool:
    """Whether every letter of ``text`` is a capital and some word is in block capitals."""
    letters = [ch for ch in text if ch.isalpha()]
    return (
        bool(letters)
        and all(ch.isupper() for ch in letters)
        and any(is_block_capital_word(_core(word)) for word in text.split())
    )


def _core(word: str) -> str:
    found = _EDGES.match(word)
    return found.group(2) if found else word


def as_written_in_case(
    text: str, vocabulary: Iterable[str] = (), *, acronyms: bool = False, small: bool = False
) -> str:
    """``text`` with its block-capital words in the case the record keeps them (see the
    module docstring); ``text`` itself when it is not in block capitals. ``vocabulary``:
    the words the field is usually written with, spelled as the record keeps them;
    ``acronyms``: whether short unknown words are acronyms (names of bodies); ``small``:
    whether unknown words take small letters, as the answers of the field's vocabulary
    do ('GODSON' → 'godson' beside 'stepson')."""
    if not in_block_capitals(text):
        return text
    spelled: dict[str, str] = {}
    for entry in vocabulary:
        spelled.setdefault(match_key(entry), entry)
    whole = spelled.get(match_key(text))
    if whole is not None and whole.lower().replace(" ", "") == text.lower().replace(" ", ""):
        return whole  # one vocabulary entry, however it was spaced ('STEP SON' → 'stepson')
    return " ".join(
        _in_case(word, spelled, acronyms=acronyms, small=small) for word in text.split(" ")
    )


def _in_case(word: str, spelled: dict[str, str], *, acronyms: bool, small: bool) -> str:
    found = _EDGES.match(word)
    if found is None:
        return word
    lead, core, trail = found.groups()
    if not is_block_capital_word(core):
        return word
    known = spelled.get(match_key(core))
    if known is not None:
        bare = known.rstrip(".")
        if bare.lower() == core.lower():
            return lead + bare + trail  # the vocabulary's case; its full stop only if written
    if acronyms and (len(core) <= ACRONYM_LETTERS or not _VOWELS & set(core)):
        return word
    return lead + (core.lower() if small else capitalised_parts(core)) + trail
