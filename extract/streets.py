"""Street addresses as OCR reads them: 'l 355 Megan Orchard Apt 738', '846] Kelly Knol!'.

A US street line is a house number, the street's name, a suffix ('Knoll', 'Parkway') and
maybe a unit ('Apt. 738', 'Suite 044'), or a PO box. :func:`repair_street` uses that shape:
the suffix word is repaired only against street suffixes (USPS Publication 28) and only in
the suffix's place, so a street named after a person ('Richard Mall', 'Harper Estates') is
never turned into another suffix ('Orchard', 'Harbor'); unit designators are repaired where
a unit number follows them; digit look-alikes are read as digits only in the house and unit
numbers; specks before the house number and after the last number are dropped. A line that
starts with no number and no PO box is left as read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from extract.lexicon import Vocabulary, closest_by_ocr, match_key, tab_rows
from faxflow.errors import TemplateError

STREET_WORDS_PATH = Path(__file__).with_name("rules") / "street_words.tsv"

MIN_HOUSE_DIGITS = 2
"""A house number read with look-alikes must still show this many real digits."""
MIN_UNIT_LETTERS = 3
"""Shorter words before a number ('St 5') are units only when spelled like one."""
UNIT_DISTANCE = 0.4
"""How far, per letter, a word before the unit number may be from its designator ..."""
UNIT_MARGIN = 0.5
"""... and how much nearer than any other designator it must be."""

# Glyphs a fax turns digits into. Letters count only inside a number ('12A' is a real
# house number), the others anywhere.
_DIGIT_SYMBOLS = str.maketrans({"]": "1", "|": "1", "!": "1", ")": "1", "@": "0"})
_DIGIT_LETTERS = str.maketrans({"l": "1", "I": "1", "O": "0", "o": "0", "S": "5", "B": "8"})
_LETTER_SYMBOLS = str.maketrans({"!": "l", "|": "l"})  # in a word: 'Knol!', 'Vil|age'
_INNER_SEPARATORS = re.compile(r"(?<=\d)[.,](?=\d)|(?<=\d)[.,]$")
_GLUED_UNIT = re.compile(r"^([A-Za-z]{2,6}[.,:]?)[-_|:]+(\S*\d\S*)$")  # 'Suite-711', 'Api_395'
_BAR_BETWEEN_WORDS = re.compile(r"(?<=[a-z])[|‘’'`\"“”](?=[A-Z])")
_SPECKS = frozenset("1il|!.,'")  # what a speck on its own reads as
_QUOTE_BEFORE_STOP = re.compile(r"(?<=[A-Za-z])[‘’'`]+(?=\.)")
_EDGE_QUOTES = "‘’'`\"“”„«»°"
_PO = re.compile(r"^P\.?\s?O\.?$", re.IGNORECASE)


@dataclass(frozen=True)
class StreetWords:
    """Street suffixes, unit designators and the endings and opening words of town names,
    as :func:`load_street_words` reads them."""

    suffixes: Vocabulary
    units: Vocabulary
    endings: tuple[str, ...]  # lower case, longest first
    prefixes: Vocabulary
    capitals: tuple[str, ...] = ()  # words written in capitals in any case ('PO', 'NE')

    def street_spellings(self) -> tuple[str, ...]:
        """How the words of a street line are spelled in the record: suffixes, units and
        the words always in capitals (for a line printed in block capitals)."""
        return (*self.capitals, *self.units.words, *self.suffixes.words)


@cache
def load_street_words(path: Path = STREET_WORDS_PATH) -> StreetWords:
    """The street word list in ``path`` (kind TAB word per line, kind ``suffix`` or
    ``unit``, '#' comments, header ``kind<TAB>word``), validated; cached per path."""
    words: dict[str, list[str]] = {
        "suffix": [],
        "unit": [],
        "ending": [],
        "prefix": [],
        "capitals": [],
    }
    for number, fields in tab_rows(path, "street word list", ("kind", "word")):
        if len(fields) != 2 or fields[0] not in words or not match_key(fields[1]):
            raise TemplateError(
                f"street word list {path} line {number}: expected 'suffix', 'unit', "
                "'ending', 'prefix' or 'capitals', a tab and a word"
            )
        words[fields[0]].append(fields[1])
    if not words["suffix"] or not words["unit"]:
        raise TemplateError(f"street word list {path} needs both suffix and unit words")
    endings = sorted({match_key(word) for word in words["ending"]}, key=len, reverse=True)
    return StreetWords(
        Vocabulary(words["suffix"]),
        Vocabulary(words["unit"]),
        tuple(endings),
        Vocabulary(words["prefix"]),
        tuple(words["capitals"]),
    )


def _as_number(token: str, *, min_digits: int) -> str | None:
    """``token`` as a house or unit number with look-alikes read as digits ('846]' →
    '8461', '0.33' → '033', 'S611' → '5611'), or None when it is no number."""
    text = _INNER_SEPARATORS.sub("", token.strip(_EDGE_QUOTES))
    if sum(ch.isdigit() for ch in text) < min_digits:
        return None
    text = text.translate(_DIGIT_SYMBOLS)
    head, last = text[:-1].translate(_DIGIT_LETTERS), text[-1:]
    if (head + last).isdigit() or (head.isdigit() and last.isalpha() and last.isupper()):
        return head + last
    return None


def _unit_word(word: str, words: StreetWords) -> str | None:
    """The unit designator ``word`` is, in a place where one is expected (before the last
    number): nearer to one designator than any vocabulary word needs to be ('Sinte',
    'Sune' → 'Suite'), since the few designators are far apart."""
    core = word.rstrip(",:;")
    repaired = words.units.repair(core)
    if words.units.contains(repaired):
        return repaired
    key = match_key(core)
    if len(key) < MIN_UNIT_LETTERS:
        return None
    keyed = {match_key(unit): unit for unit in words.units.words}
    return closest_by_ocr(key, keyed, limit=UNIT_DISTANCE * len(key), margin=UNIT_MARGIN)


def _unit_at(tokens: list[str], words: StreetWords) -> tuple[int, str] | None:
    """Where the unit designator is, and which: one of the last words, before a number."""
    for index in range(len(tokens) - 2, max(0, len(tokens) - 4), -1):
        if index < 1:
            break
        if any(ch.isdigit() for ch in tokens[index + 1]):
            unit = _unit_word(tokens[index], words)
            if unit is not None:
                return index, unit
    return None


def _capitalised(word: str) -> str:
    """A street word read all lower-case gets its capital back ('curve' → 'Curve')."""
    core = word.strip(_EDGE_QUOTES)
    return core[:1].upper() + core[1:] if core.isalpha() and core.islower() else core


def _repaired_suffix(word: str, words: StreetWords) -> str:
    """The street suffix ``word`` most likely is ('Knol!' → 'Knoll', 'Comer' → 'Corner');
    a full stop after a suffix not written with one is a speck ('Meadow.')."""
    core = word.translate(_LETTER_SYMBOLS)
    if core.endswith(".") and core[:-1].isalpha() and core[:-1] in words.suffixes.words:
        return core[:-1]
    if not core.isalpha():
        return word
    repaired = words.suffixes.repair(core)
    return repaired if words.suffixes.contains(repaired) else word


MIN_WORD_LETTERS = 4


def looks_like_street(text: str) -> bool:
    """Whether ``text`` can be a street line at all: it holds a number and a word, a PO
    box or a word of four or more letters ('Homeless', 'General Delivery'). Dust in an
    empty zone reads as 'ae', 'ee eee', 'coe' or a lone '7': none of these."""
    tokens = text.split()
    if tokens and _PO.match(tokens[0]):
        return True
    if any(ch.isdigit() for ch in text) and any(ch.isalpha() for ch in text):
        return True
    return any(sum(ch.isalpha() for ch in token) >= MIN_WORD_LETTERS for token in tokens)


def repair_street(text: str, words: StreetWords | None = None) -> str:
    """``text`` (one street line) with OCR misreadings of its parts repaired; text that
    does not start like an address comes back unchanged."""
    words = words or load_street_words()
    tokens: list[str] = []
    for token in text.split():
        token = _QUOTE_BEFORE_STOP.sub("", token)  # 'Apt’. 578'
        glued = _GLUED_UNIT.match(token)
        if glued:
            tokens.extend(glued.groups())
        else:  # 'Miller|Brooks', 'Harbor’Suite': a rule or a speck between two words
            tokens.extend(part for part in _BAR_BETWEEN_WORDS.split(token) if part)
    # Specks before the house number ('I 1982 Candace Greens', 'ee 650 Bartlett').
    while (
        len(tokens) > 2
        and len(tokens[0]) <= 2
        and not _PO.match(tokens[0])
        and _as_number(tokens[1], min_digits=2)
    ):
        tokens.pop(0)
    if not tokens:
        return text
    if _PO.match(tokens[0]):
        head = 1
    else:
        house = _as_number(tokens[0], min_digits=MIN_HOUSE_DIGITS)
        if house is None:
            return text
        tokens[0], head = house, 1
    found = _unit_at(tokens, words)
    end = len(tokens) if found is None else found[0]
    if found is not None:
        unit, designator = found
        # 'Apt 738' whose full stop the fax lost: the list writes it 'Apt.' only.
        tokens[unit] = words.units.dotted(designator) or designator
        number = _as_number(tokens[unit + 1], min_digits=1)
        tokens[unit + 1] = number if number is not None else tokens[unit + 1].strip(_EDGE_QUOTES)
        del tokens[unit + 2 :]  # specks after the unit number ('Suite 884 i')
    else:
        while end > head + 1 and tokens[end - 1] in _SPECKS:  # 'Jessica Glen 1'
            end -= 1
        del tokens[end:]
    suffix = end - 1
    for index in range(head, end):
        tokens[index] = _capitalised(tokens[index])
    if suffix > head:
        tokens[suffix] = _repaired_suffix(tokens[suffix], words)
    return " ".join(token for token in tokens if token)


MIN_PLACE_WORD = 6
"""Shorter words of a town name are never changed: a town's own name ('Novi', 'Troy')."""
MIN_HEAD = 3
"""A name before a place ending has at least this many letters ('Amy|town')."""
PREFIX_DISTANCE = 1.0
"""How far a short opening word may be from 'North', 'East', ... ('[ast' is East) ..."""
PREFIX_MARGIN = 0.5
"""... and how much nearer than any other opening word it must be."""
MISREAD_ENDING_DISTANCE = 1.0
"""How far the last letters may be from a long ending after a known name
('Robert|horough' is Robertborough)."""


def repair_place(text: str, words: StreetWords | None = None) -> str:
    """A town name as OCR read it ('South Amvytown', 'Port Richafdberg', '[ast
    Danielstad', 'New Roberthorough', 'Port Nicoie'), with the parts towns are named
    with repaired: the opening word ('North', 'East') by OCR distance; a word made of a
    person's name and a place ending ('-town', '-berg') with the common name nearest its
    head, or the ending nearest its tail after a known name; a word after an opening word
    with the common name nearest it. Names (census lists) and words of none of these
    shapes ('Kalamazoo', 'Grand Rapids') stay as read, and so do short words."""
    words = words or load_street_words()
    tokens = text.split(" ")
    out: list[str] = []
    for index, token in enumerate(tokens):
        after_prefix = index > 0 and words.prefixes.contains(out[-1])
        out.append(_repaired_place_word(token, words, first=index == 0, after_prefix=after_prefix))
    return capitalised_town(" ".join(out))


def _repaired_place_word(token: str, words: StreetWords, *, first: bool, after_prefix: bool) -> str:
    from extract.lexicon import ocr_distance
    from extract.names import load_names, nearest_name, restyle_name

    found = re.fullmatch(r"([^A-Za-z]*)([A-Za-z]+)([^A-Za-z]*)", token)
    if found is None:
        return token
    lead, core, trail = found.groups()
    key = core.lower()
    if first and len(token) <= len("North") + 1 and not words.prefixes.contains(core):
        prefixes = {match_key(w): w for w in words.prefixes.words}
        prefix = closest_by_ocr(
            match_key(token), prefixes, limit=PREFIX_DISTANCE, margin=PREFIX_MARGIN
        )
        if prefix is not None:
            return prefix
    if len(key) < MIN_PLACE_WORD:
        return token
    names = load_names()
    if names.known(key):
        return token
    for ending in words.endings:
        head = key[: -len(ending)]
        if key.endswith(ending) and len(head) >= MIN_HEAD:
            if names.known(head) or _word_head(head, names.known):
                return token
            name = nearest_name(head)
            if name is not None:
                return lead + restyle_name(name + ending, core) + trail
    for ending in words.endings:
        head, tail = key[: -len(ending)], key[-len(ending) :]
        if (
            len(ending) >= MIN_PLACE_WORD - 1
            and len(head) >= MIN_HEAD
            and names.known(head)
            and ocr_distance(tail, ending, MISREAD_ENDING_DISTANCE) <= MISREAD_ENDING_DISTANCE
        ):
            return lead + restyle_name(head + ending, core) + trail
    if after_prefix:
        name = nearest_name(key)
        if name is not None:
            return lead + restyle_name(name, core) + trail
    return token


def _word_head(head: str, known: Callable[[str], bool]) -> bool:
    """Whether the head of a town name is a word rather than a misread name: a name's
    possessive ('Marys|ville', 'Coopers|ville') or a word in -ing ('Farming|ton',
    'Lexing|ton'), which no census name list holds."""
    return (head.endswith("s") and known(head[:-1])) or head.endswith("ing")


_TOWN_PARTICLES = frozenset({"the", "of", "and", "on", "upon", "by", "in", "de", "la", "le", "du"})


def capitalised_town(text: str) -> str:
    """A town name's words read all in lower case get their capital ('staceyfort',
    'Lake elizabeth'): town names are written with capitals; particles stay."""

    def lower_case_word(word: str) -> bool:
        return word.isalpha() and word.islower() and len(word) >= MIN_HEAD

    return " ".join(
        word[:1].upper() + word[1:]
        if lower_case_word(word) and word not in _TOWN_PARTICLES
        else word
        for word in text.split(" ")
    )
