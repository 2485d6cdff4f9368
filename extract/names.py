"""People's names as OCR reads them, checked against the names people in the US carry.

A fax turns 'Jessica' into 'Lessica', 'Penny' into 'Penriy' and 'Ramos' into 'Ram Os'.
:func:`repair_name` corrects a name word only when it is no known name at all and one
common name is clearly the nearest by :func:`extract.lexicon.ocr_distance` (OCR confusions
such as rn/m, li/h, i/l count less than other edits). The lexicon is the US Census Bureau's
1990 name frequency files (``rules/us_names.tsv``): 91,910 surnames and first names, of
which the 22,872 carried by at least 10 in a million people are correction targets. A rare
or foreign name that is in the files is kept as read; one that is not is changed only when
a common name is within one confusion of it, and the caller caps the field's confidence
so a person can still see it.

Under the repair policy (:mod:`extract.policy`) these lists never make a valid name into
another: the assembly steps (:mod:`extract.repairs`) let :func:`repair_name` change only
doubted words that are no valid name word ('Ty.ler', 'LOpez'), and use :func:`nearest_name`,
:func:`repair_address_names` and :func:`repair_address_from_names` as detectors: a doubted
near-miss is kept as written and sent to a person.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from extract.lexicon import clearly_nearest, ocr_distance, tab_rows
from extract.normalise import NAME_PARTICLES
from faxflow.errors import TemplateError

NAMES_PATH = Path(__file__).with_name("rules") / "us_names.tsv"

TARGET_PER_MILLION = 10
"""Only names at least this common are what a misreading is corrected to."""
MIN_LETTERS = 3
"""Shorter words (initials, 'Al', 'Ng') are never corrected: too many names are near."""
MAX_LENGTH_CHANGE = 2
"""A misreading is at most this many letters longer or shorter than the name."""
MARGIN = 0.5
"""The nearest name must be this much nearer than any other, ..."""
COMMON_RATIO = 20.0
"""... or this many times more common than every name about as near ('Flizabeth' is
Elizabeth, not the rare Lizabeth; 'Chany' is Chang or Chan: no guess)."""


def _limit(key: str) -> float:
    """How far a reading of this many letters may be from the name it corrects to: one
    plain edit or two confusions for short names, a little more for long ones."""
    return 1.0 if len(key) <= 5 else 1.5


_NAME_KEY = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class NameLexicon:
    """Every known name (lower case) with how common it is, and the correction targets
    by their first two and by their last two letters."""

    per_million: Mapping[str, int]
    by_edge: Mapping[str, tuple[str, ...]]

    def known(self, key: str) -> bool:
        return key in self.per_million

    def candidates(self, key: str) -> set[str]:
        """Targets that begin or end like ``key`` and are at most two letters longer or
        shorter: a fax garbles a name's start or its end ('Lessica', 'Schneidpr'), seldom
        both, so the name meant is nearly always among these."""
        found = {*self.by_edge.get("<" + key[:2], ()), *self.by_edge.get(key[-2:] + ">", ())}
        return {name for name in found if abs(len(name) - len(key)) <= MAX_LENGTH_CHANGE}


@lru_cache(maxsize=1)
def load_names(path: Path = NAMES_PATH) -> NameLexicon:
    """The name list in ``path`` (name TAB people per million, '#' comments), validated;
    read once per process (about 0.1 s)."""
    per_million: dict[str, int] = {}
    by_edge: dict[str, list[str]] = {}
    for number, fields in tab_rows(path, "name list"):
        if len(fields) != 2 or not _NAME_KEY.fullmatch(fields[0]) or not fields[1].isdigit():
            raise TemplateError(
                f"name list {path} line {number}: expected a lower-case name, a tab and a "
                "whole number of people per million"
            )
        name, count = fields[0], int(fields[1])
        if name in per_million:
            raise TemplateError(f"name list {path} line {number}: duplicate entry")
        per_million[name] = count
        if count >= TARGET_PER_MILLION and len(name) >= MIN_LETTERS:
            by_edge.setdefault("<" + name[:2], []).append(name)
            by_edge.setdefault(name[-2:] + ">", []).append(name)
    if not per_million:
        raise TemplateError(f"name list {path} holds no names")
    return NameLexicon(per_million, {k: tuple(v) for k, v in by_edge.items()})


@lru_cache(maxsize=4096)
def nearest_name(key: str) -> str | None:
    """The common name the lower-case reading ``key`` most likely is, or None when it is a
    known name already, too short, or no single name is clearly the nearest."""
    lexicon = load_names()
    if len(key) < MIN_LETTERS or not key.isalpha() or lexicon.known(key):
        return None
    limit = _limit(key)
    scored = sorted(
        (ocr_distance(key, name, limit), -lexicon.per_million[name], name)
        for name in lexicon.candidates(key)
    )
    scored = [row for row in scored if row[0] <= limit]
    if not scored:
        return None
    distance, minus_count, name = scored[0]
    for other_distance, other_minus_count, _ in scored[1:]:
        if other_distance - distance >= MARGIN - 1e-9:
            break
        if -minus_count < COMMON_RATIO * -other_minus_count:
            return None  # another name is about as near and not much rarer: do not guess
    return name


_TWO_CAPITALS = re.compile(r"^[A-Z]{2}[a-z]{2,}$")
_INNER_STOPS = re.compile(r"\.+(?=[A-Za-z])")
_EDGES = re.compile(r"^([^A-Za-z]*)(.*?)([^A-Za-z]*)$", re.DOTALL)


def restyle_name(name: str, written: str) -> str:
    """``name`` (lower case) written the way the reading was: 'LOWE', 'Lowe', 'lowe'."""
    letters = [ch for ch in written if ch.isalpha()]
    if len(letters) > 1 and all(ch.isupper() for ch in letters):
        return name.upper()
    if letters and letters[0].islower() and all(ch.islower() for ch in letters):
        return name
    return name[:1].upper() + name[1:]


def _repair_word(word: str) -> str:
    """One word of a name, hyphenated parts one by one ('Ehzabeth' → 'Elizabeth')."""
    found = _EDGES.match(word)
    if found is None:  # the pattern matches every string
        return word
    lead, core, trail = found.groups()
    parts = core.split("-")
    repaired = []
    for part in parts:
        nearest = nearest_name(part.lower()) if part.isalpha() else None
        if nearest is not None:
            part = restyle_name(nearest, part)
        elif _TWO_CAPITALS.match(part) and load_names().known(part.lower()):
            part = part[:1] + part[1:].lower()  # 'LOpez': a small o read as a capital
        repaired.append(part)
    return lead + "-".join(repaired) + trail


def _split_stops(word: str) -> list[str]:
    """A full stop inside a word: a fax speck in a name ('Ty.ler' → 'Tyler') or an initial
    run into the next word ('Charles.D.' → 'Charles D.', 'X..Bass' → 'X. Bass')."""
    if not _INNER_STOPS.search(word):
        return [word]
    lexicon = load_names()
    joined = _INNER_STOPS.sub("", word)
    parts = [p for p in _INNER_STOPS.split(word) if p]
    letters_of = [p.strip(".,").lower() for p in parts]
    if lexicon.known(joined.strip(".,").lower()) and not all(
        lexicon.known(p) or len(p) == 1 for p in letters_of
    ):
        return [joined]
    return [p + "." if len(p) == 1 and p.isalpha() else p for p in parts]


def _join_fragments(words: list[str]) -> list[str]:
    """A name the fax split in two ('Ram Os' → 'Ramos'): a trailing fragment of two
    letters without a full stop that is no name joins its neighbour when together they are
    a known name."""
    lexicon = load_names()
    out: list[str] = []
    for word in words:
        if (
            out
            and len(word) == 2
            and word.isalpha()
            and not lexicon.known(word.lower())
            and out[-1].isalpha()
            and lexicon.known((out[-1] + word).lower())
        ):
            out[-1] = out[-1] + word.lower()
            continue
        out.append(word)
    return out


def repair_name(text: str) -> str:
    """``text`` (a normalised name: 'Lessica Ram Os') with OCR near-misses of names
    corrected ('Jessica Ramos'); white space is single, the rest is kept as read."""
    words = [part for word in text.split() for part in _split_stops(word)]
    return " ".join(_repair_word(word) for word in _join_fragments(words))


_LETTER_RUN = re.compile(r"[a-z]+")


def repair_address_names(address: str) -> str:
    """An e-mail address (normalised, lower case) with the names in its first part
    checked like a name field's words: the parts of 'elizabeth.tavlor' or 'schroeger41'
    are names ('elizabeth.taylor', 'schroeder41'), and an address of letters only is
    often an initial and a surname ('kgercia' → 'kgarcia'). An address of letters only
    that starts with a name ('alanbro', 'lisamor': a name and a piece of another) and
    words that are known names already are kept."""
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    lexicon = load_names()
    local = _with_digit_tail(local, lexicon)
    letters_only = local.isalpha()
    if letters_only and any(lexicon.known(local[:end]) for end in range(MIN_LETTERS, len(local))):
        return address

    def repaired(found: re.Match[str]) -> str:
        run = found.group()
        if len(run) <= MIN_LETTERS or lexicon.known(run) or lexicon.known(run[1:]):
            return run
        if not letters_only:
            return nearest_name(run) or run
        surname = nearest_name(run[1:]) if len(run) > MIN_LETTERS + 1 else None
        return run[0] + surname if surname else run

    return _LETTER_RUN.sub(repaired, local) + "@" + domain


_DIGIT_SHAPES = {"o": "0", "q": "0", "i": "1", "l": "1", "s": "5", "z": "2"}
_LETTER_SHAPES = {"0": "o", "1": "l", "5": "s"}
_SHAPED_TAIL = re.compile(r"(?<=[a-z])[0-9oqilsz]*[0-9][0-9oqilsz]*$")
MAX_TAIL = 6  # longer runs of digits and their look-alikes are no name's number


def _with_digit_tail(local: str, lexicon: NameLexicon) -> str:
    """The first part of an address that ends in a name and a number, with the letters
    and digits that look alike where they join put on their own side ('farrelli2' →
    farrell12, 'espinozas5' → espinoza55, 'campbel111' → campbell11, 'watts8s' →
    watts85): the name is a known one, and the number holds no letter. The name as read
    is kept when it is known ('lois12', 'bill1985'); among other splits the most common
    name wins."""
    tail_match = _SHAPED_TAIL.search(local)
    if tail_match is None or len(tail_match.group()) > MAX_TAIL:
        return local
    tail = tail_match.group()
    head = local[: tail_match.start()]
    name_start = len(head.rstrip(string.ascii_lowercase))
    prefix, name = head[:name_start], head[name_start:]
    as_read = len(tail) - len(tail.lstrip("oqilsz"))  # letters before the first digit
    common: dict[int, int] = {}  # cut → per million of the name it leaves
    for cut in range(len(tail)):
        word = name + "".join(_LETTER_SHAPES.get(ch, ch) for ch in tail[:cut])
        if not any(ch.isdigit() for ch in tail[cut:]) or not word.isalpha():
            continue
        if len(word) >= MIN_LETTERS and lexicon.known(word):
            common[cut] = lexicon.per_million[word]
    if not common:
        return local
    cut = max(common, key=lambda c: common[c])
    if as_read in common and (
        common[as_read] >= TARGET_PER_MILLION or common[cut] < TARGET_PER_MILLION
    ):
        cut = as_read  # a name as read stays unless it is rare and another is common
    word = name + "".join(_LETTER_SHAPES.get(ch, ch) for ch in tail[:cut])
    number = "".join(_DIGIT_SHAPES.get(ch, ch) for ch in tail[cut:])
    return prefix + word + number


_GLUED_MARKS = re.compile(r"^[‘’'\"“”|\[\]{}()_\-]+|[‘’\"“”|\[\]{}()_\-]+$")
_INNER_BAR = re.compile(r"(?<=\S)\|(?=\S)")
MIN_NAME_WORDS_LEFT = 2
"""Lower-case debris is dropped from the edges only while this many capitalised words
remain: a name read all in lower case ('mary smith') is left as it is."""


def without_name_debris(text: str) -> str:
    """A name as OCR read it (case kept), without the fax's marks glued to its words
    ('Robert ‘Cline', 'Roy| Avila', 'Kimberly [Hansen', 'w.|Morgan') and without
    lower-case words at its edges that are no common name ('Charles S. Noble hee',
    'ee a Lauren Gardner', 'Christopher Avila i'): names are written with capitals, and a
    name that small print lost the capital of ('Paul wilson') is a common one and stays."""
    words = [_GLUED_MARKS.sub("", word) for word in _INNER_BAR.sub(" ", text).split()]
    words = [word for word in words if word]
    lexicon = load_names()

    def debris(word: str) -> bool:
        if not (word.isalpha() and word.islower()) or word in NAME_PARTICLES:
            return False
        return lexicon.per_million.get(word, 0) < TARGET_PER_MILLION

    def capitalised(rest: list[str]) -> int:  # initials ('R.') do not count
        return sum(word[:1].isupper() and sum(ch.isalpha() for ch in word) > 1 for word in rest)

    for end in (-1, 0):  # the last words, then the first
        while len(words) > MIN_NAME_WORDS_LEFT and debris(words[end]):
            rest = words[:-1] if end == -1 else words[1:]
            if capitalised(rest) < MIN_NAME_WORDS_LEFT:
                break
            words.pop(end)
    return " ".join(words)


ADDRESS_NAME_DISTANCE = 0.2
"""How far, per letter, the first part of an address may be from one made of the person's
names ('damellbnes' is 'daniel.hines' at 2.0) ..."""
ADDRESS_NAME_MARGIN = 0.5
"""... and how much nearer than any other such spelling."""
MIN_NAME_PIECE = 3
"""A surname cut short in an address keeps at least this many letters ('christopherbro')."""


def repair_address_from_names(address: str, names: Sequence[str]) -> str:
    """An e-mail address (normalised) whose first part is a misread spelling of the
    person's names given in ``names`` ('alah.thomas@' for Alan Thomas, 'ehzabethgar@' for
    Elizabeth Gardner, 'lynn.dllen@' for Lynn Allen) with that spelling: first.last,
    firstlast, initial and surname, first name and the surname's first letters, and the
    like, followed by the digits as read. Names read doubtfully (not common in the census
    lists) are no guide, and an address already holding a name as common as the field's
    where the field has its own ('rodriguez' beside a field read 'Rodriquez') is kept."""
    local, at, domain = address.rpartition("@")
    found = _LOCAL_PART.fullmatch(local)
    if not at or found is None:
        return address
    letters, digits = found.group(1), found.group(2)
    lexicon = load_names()
    words = [w for name in names for w in _LETTER_RUN.findall(name.lower())]
    whole = [w for w in words if len(w) > 1]
    if not whole or any(lexicon.per_million.get(w, 0) < TARGET_PER_MILLION for w in whole):
        return address
    if any(_holds_rival(letters, word, lexicon) for word in whole):
        return address
    spellings = _spellings(whole)
    if letters in spellings:
        return address
    limit = max(1.0, ADDRESS_NAME_DISTANCE * len(letters))
    distance = {s: ocr_distance(letters, s, limit + ADDRESS_NAME_MARGIN) for s in spellings}
    best = clearly_nearest(distance, limit=limit, margin=ADDRESS_NAME_MARGIN)
    return address if best is None else f"{best}{digits}@{domain}"


_LOCAL_PART = re.compile(r"([a-z._]*[a-z])(\d*)")


def _spellings(words: Sequence[str]) -> set[str]:
    """The first parts of addresses people make of their names."""
    first, last = words[0], words[-1]
    found = {first, last}
    if len(words) > 1:
        found |= {
            f"{first}.{last}", f"{first}{last}", f"{first}_{last}", f"{first[0]}{last}",
            f"{first[0]}.{last}", f"{last}.{first}", f"{last}{first}",
        }  # fmt: skip
        found |= {first + last[:k] for k in range(MIN_NAME_PIECE, len(last))}
        found |= {first[:k] + last for k in range(1, len(first))}
    return found


def _holds_rival(letters: str, word: str, lexicon: NameLexicon) -> bool:
    """Whether ``letters`` hold, near where ``word`` would be, another name at least as
    common as ``word``: then the field, not the address, may be the misreading."""
    common = lexicon.per_million.get(word, 0)
    for size in (len(word) - 1, len(word), len(word) + 1):
        for start in range(max(0, len(letters) - size) + 1):
            piece = letters[start : start + size]
            if (
                piece != word
                and lexicon.per_million.get(piece, 0) >= common
                and ocr_distance(piece, word, RIVAL_DISTANCE) <= RIVAL_DISTANCE
            ):
                return True
    return False


RIVAL_DISTANCE = 2.0
