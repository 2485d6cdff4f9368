"""Place-name lexicon: snaps OCR-garbled county names to real ones.

Tesseract reads hand-written and faxed county names badly ('Frankhn', 'Mak lane',
'Weayiie?'). A county field only ever holds one of ~3,200 names (fewer once the state is
known), so the most likely reading is the nearest real name, as long as it is clearly
nearer than the next one and near enough at all.

Nearness is an edit distance that knows OCR: glyphs Tesseract confuses cost less than an
arbitrary substitution ('o'/'a', 'i'/'l'), and so do the classic merges and splits ('li'
read as 'h', 'ri' as 'n', 'n' as 'ii'). Spaces and punctuation inside the OCR text are
ignored, because faxes break words apart ('Fr ank iin').

The names come from ``rules/us_counties.tsv`` (U.S. Census Bureau list, see its header),
loaded once and validated: a bad line raises :class:`TemplateError` naming file and line.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple, TypeVar

from extract.normalise import STATES, normalise_state
from faxflow.errors import TemplateError

_T = TypeVar("_T")
_K = TypeVar("_K")

COUNTIES_PATH = Path(__file__).with_name("rules") / "us_counties.tsv"

# Tuned on the garbled examples in tests/extract/test_lexicon.py: the weakest true readings
# ('Lalom' for Eaton, 'Li cis' for Lucas) score 0.66-0.68 within their state, while names
# of people far from any county ('Albert' for Alger, 'Carlos' for Marion) score 0.6-0.64.
# Checked on 437 county names of five states, rendered, degraded like a fax and read by
# Tesseract (45 % read right): within the state, 102 misreadings snapped right and 6 wrong.
# Without a state the candidates are twenty times as many, and so are chance look-alikes:
# at 0.65, 81 snapped right and 17 wrong; at 0.8, 61 right and 6 wrong.
MIN_SIMILARITY = 0.65
MIN_SIMILARITY_ANY_STATE = 0.8
# The best reading must beat the runner-up (a different name) by this much edit distance;
# 'Manan' is Marion at 1.0 and Mason at 1.5, 'Cock' is Cook at 0.5 and Cocke at 1.0.
MIN_MARGIN = 0.5
MAX_SPAN_WORDS = 3  # a county name in free text has at most three words ('Lac qui Parle')
# A field names one or two places; text with more anchors is no field value, and each
# lookup without a state costs ~50 ms, so hostile text must not buy unlimited lookups.
MAX_COUNTY_LOOKUPS = 4
_MIN_KEY = 3  # no county name is shorter than three letters
_MAX_KEY_SLACK = 8  # OCR text this much longer than the longest name is not a county name

# Glyph pairs OCR confuses, as (read, written, cost); substitutions cost 1 otherwise.
# Lower-case only: the key folds case, so upper-case look-alikes appear as their
# lower-case letters ('E' read as 'L' is ('l', 'e')).
_CONFUSABLE_GLYPHS: tuple[tuple[str, str, float], ...] = (
    ("0", "o", 0.3),
    ("1", "l", 0.4),
    ("1", "i", 0.4),
    ("i", "l", 0.4),
    ("j", "i", 0.5),
    ("t", "l", 0.5),
    ("f", "t", 0.5),
    ("a", "o", 0.5),
    ("c", "o", 0.5),
    ("e", "o", 0.6),
    ("q", "o", 0.6),
    ("e", "a", 0.6),
    ("e", "c", 0.5),
    ("i", "u", 0.6),
    ("v", "u", 0.5),
    ("v", "y", 0.5),
    ("m", "n", 0.5),
    ("h", "n", 0.5),
    ("h", "b", 0.5),
    ("h", "k", 0.6),
    ("l", "e", 0.7),
    ("f", "e", 0.7),
    ("5", "s", 0.4),
    ("8", "b", 0.5),
    ("9", "g", 0.5),
    ("q", "g", 0.5),
    ("2", "z", 0.5),
)
# Several glyphs read as one or one as several, as (read, written, cost).
_CONFUSABLE_RUNS: tuple[tuple[str, str, float], ...] = (
    ("h", "li", 0.5),
    ("h", "il", 0.6),
    ("n", "ri", 0.5),
    ("ri", "n", 0.5),
    ("li", "h", 0.5),
    ("n", "it", 0.6),
    ("m", "rn", 0.4),
    ("rn", "m", 0.4),
    ("m", "in", 0.5),
    ("m", "ni", 0.5),
    ("in", "m", 0.5),
    ("ii", "n", 0.5),
    ("ii", "u", 0.5),
    ("d", "cl", 0.5),
    ("cl", "d", 0.5),
    ("w", "vv", 0.4),
    ("vv", "w", 0.4),
)
_CHEAPEST_RUN = min(cost for _, _, cost in _CONFUSABLE_RUNS)
_SUBSTITUTION_COST: dict[tuple[str, str], float] = {
    pair: cost
    for read, written, cost in _CONFUSABLE_GLYPHS
    for pair in ((read, written), (written, read))
}

# Short words only change through this table (edit distance is meaningless on two
# letters); a fix applies only when its result is in the caller's vocabulary.
SHORT_WORD_FIXES: Mapping[str, str] = {
    "HO": "HD",
    "H0": "HD",
    "HP": "HD",
    "Co,": "Co.",
    "Co;": "Co.",
    "C0": "Co",
    "C0.": "Co.",
    "C0,": "Co.",
    "Ca.": "Co.",
    "Go.": "Co.",
    "0f": "of",
    "ot": "of",
    # Abbreviations whose full stop faxes turn into a comma ('Apt, 270').
    "Apt,": "Apt.",
    "Ste,": "Ste.",
    "St,": "St.",
    "Ave,": "Ave.",
    "Rd,": "Rd.",
    "Dr,": "Dr.",
    "Blvd,": "Blvd.",
    "Dept,": "Dept.",
}
# Words after which a county name is expected ('Brown Co. HD', 'Livingston HD').
DEFAULT_COUNTY_ANCHORS: tuple[str, ...] = ("Co", "County", "Parish", "HD")
# The anchors that name the county's kind, right after its name ('Brown Co. HD').
COUNTY_DESIGNATIONS: tuple[str, ...] = ("Co", "County", "Parish")

# A designation written after the county name in a county field ('Oakland County').
_DESIGNATION = re.compile(r"[\s.,]+(county|cnty|co|parish|borough)\W*$", re.IGNORECASE)
_NAME_ALIASES = (("st ", "saint "), ("ste ", "sainte "), ("ft ", "fort "))
# What people write in a county field when there is no county to give.
_NON_ANSWERS = frozenset({"none", "unknown", "unk", "same", "nil", "null", "declined", "refused"})
_STATE_CODE = re.compile(r"[A-Z]{2}")
_WORD_EDGE = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)
_SPACE_RUN = re.compile(r"(\s+)")


def match_key(text: str) -> str:
    """What two spellings must share to count as the same name: letters and digits only,
    lower case, accents removed ('Doña Ana' and 'dona-ana' both give 'donaana')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


@dataclass(frozen=True, eq=False)  # hashed by identity: one instance per file, cached
class CountyLexicon:
    """Every county name, by two-letter state code."""

    names_by_state: Mapping[str, tuple[str, ...]]

    @cached_property
    def longest_key(self) -> int:
        return max(len(match_key(n)) for names in self.names_by_state.values() for n in names)

    def candidates(self, state: str | None) -> Mapping[str, str]:
        """Match key → county name, for one state (a known code) or else for all states."""
        return _candidates(self, _state_code(self, state))

    @cached_property
    def _states_by_key(self) -> Mapping[str, frozenset[str]]:
        states: dict[str, set[str]] = {}
        for code, names in self.names_by_state.items():
            for name in names:
                states.setdefault(match_key(name), set()).add(code)
        return {key: frozenset(codes) for key, codes in states.items()}

    def states_of(self, county: str) -> frozenset[str]:
        """The states that have a county of this name ('Will' → IL; 'Franklin' → 24)."""
        return self._states_by_key.get(match_key(county), frozenset())


def _state_code(lexicon: CountyLexicon, state: str | None) -> str | None:
    code = (state or "").strip().upper()
    return code if code in lexicon.names_by_state else None


@lru_cache(maxsize=128)
def _candidates(lexicon: CountyLexicon, state: str | None) -> Mapping[str, str]:
    states = [state] if state is not None else sorted(lexicon.names_by_state)
    spellings: dict[str, Counter[str]] = {}
    for code in states:
        for name in lexicon.names_by_state[code]:
            for key in _keys_of(name):
                spellings.setdefault(key, Counter())[name] += 1
    # Two states may spell one key differently ('De Witt', 'DeWitt'): the commoner wins.
    return {key: counts.most_common(1)[0][0] for key, counts in spellings.items()}


def _keys_of(name: str) -> tuple[str, ...]:
    """The name's key and those of its long forms ('St. Clair' is also 'Saint Clair')."""
    spaced = re.sub(r"[^\w]+", " ", name.lower()).strip() + " "
    keys = [match_key(name)]
    for short, long in _NAME_ALIASES:
        if spaced.startswith(short):
            keys.append(match_key(long + spaced[len(short) :]))
    return tuple(keys)


def tab_rows(
    path: Path, what: str, header: Sequence[str] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """The tab-separated rows of a word list, as (line number, fields); blank lines and
    '#' comments are skipped, and ``header`` (if given) must be the first row. Problems are
    TemplateErrors naming ``what`` ('county list'), the file and the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read {what} {path}: {type(exc).__name__}") from exc
    header_seen = header is None
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if not header_seen:
            if header is not None and fields != list(header):
                raise TemplateError(
                    f"{what} {path} line {number}: expected the header '{'<TAB>'.join(header)}'"
                )
            header_seen = True
            continue
        yield number, fields


@cache
def load_counties(path: Path = COUNTIES_PATH) -> CountyLexicon:
    """The county list in ``path`` (state code TAB name per line, '#' comments, one header
    line ``state<TAB>county``), validated; cached per path."""
    names: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for number, fields in tab_rows(path, "county list", ("state", "county")):
        problem = _line_problem(fields)
        if problem is None and (fields[0], fields[1]) in seen:
            problem = "duplicate entry"
        if problem is not None:
            raise TemplateError(f"county list {path} line {number}: {problem}")
        seen.add((fields[0], fields[1]))
        names.setdefault(fields[0], []).append(fields[1])
    if not names:
        raise TemplateError(f"county list {path} holds no counties")
    return CountyLexicon({code: tuple(found) for code, found in names.items()})


def _line_problem(fields: list[str]) -> str | None:
    if len(fields) != 2:
        return f"expected 2 tab-separated fields, found {len(fields)}"
    code, name = fields
    if not _STATE_CODE.fullmatch(code):
        return "the state must be a two-letter upper-case code"
    if not name or name != name.strip() or len(match_key(name)) < _MIN_KEY:
        return "the county name is empty, padded or shorter than three letters"
    return None


def ocr_distance(read: str, written: str, limit: float = float("inf")) -> float:
    """Edit distance from the OCR text ``read`` to the true text ``written`` (both match
    keys), with OCR confusions cheaper than other edits. Returns a value above ``limit``
    as soon as the distance is certain to exceed it (callers only compare with limit)."""
    rows, cols = len(read), len(written)
    if abs(rows - cols) * _CHEAPEST_RUN > limit:  # a run confusion absorbs one letter
        return limit + 1.0
    table = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    for j in range(1, cols + 1):
        table[0][j] = float(j)
    for i in range(1, rows + 1):
        table[i][0] = float(i)
        runs = [(r, w, c) for r, w, c in _CONFUSABLE_RUNS if read.endswith(r, 0, i)]
        row_best = table[i][0]
        for j in range(1, cols + 1):
            a, b = read[i - 1], written[j - 1]
            substitute = 0.0 if a == b else _SUBSTITUTION_COST.get((a, b), 1.0)
            best = min(
                table[i - 1][j - 1] + substitute, table[i - 1][j] + 1.0, table[i][j - 1] + 1.0
            )
            for run_read, run_written, cost in runs:
                if written.endswith(run_written, 0, j):
                    before = table[i - len(run_read)][j - len(run_written)]
                    best = min(best, before + cost)
            table[i][j] = best
            row_best = min(row_best, best)
        # A run confusion reaches back two rows, so stop only when two rows exceed it.
        if row_best > limit and i >= 2 and min(table[i - 1]) > limit:
            return limit + 1.0
    return table[rows][cols]


def closest_by_ocr(
    key: str, candidates: Mapping[str, _T], *, limit: float, margin: float
) -> _T | None:
    """The candidate whose key (a match key) is nearest ``key`` by :func:`ocr_distance`,
    when that is within ``limit`` and every other key is at least ``margin`` farther
    (with ``margin`` 0, strictly farther); None when none is clearly the one."""
    distance = {other: ocr_distance(key, other, limit + margin) for other in candidates}
    nearest = clearly_nearest(distance, limit=limit, margin=margin)
    return None if nearest is None else candidates[nearest]


def clearly_nearest(distance: Mapping[_K, float], *, limit: float, margin: float) -> _K | None:
    """The key of ``distance`` with the smallest distance, when that is within ``limit``
    and every other is at least ``margin`` farther (with ``margin`` 0, strictly farther)."""
    scored = sorted(distance.items(), key=lambda row: row[1])
    if not scored or scored[0][1] > limit:
        return None
    if len(scored) > 1 and scored[1][1] - scored[0][1] < max(margin - 1e-9, 1e-9):
        return None
    return scored[0][0]


CHOICE_DISTANCE = 1.5
"""How far a short reading may be from the fixed answer it is taken for ..."""
CHOICE_MARGIN = 0.5
"""... and how much nearer than any other answer it must be."""


def nearest_choice(text: str, choices: Sequence[str]) -> str | None:
    """The one of a few fixed answers (``yr``/``mo``/``day``) the OCR ``text`` of a short
    word most likely is, by :func:`ocr_distance` of its letters ('vr', 'ye' → ``yr``), or
    None when no answer is near enough and clearly nearest."""
    letters = match_key(text)
    if not letters:
        return None
    keyed = {match_key(choice): choice for choice in choices}
    return closest_by_ocr(letters, keyed, limit=CHOICE_DISTANCE, margin=CHOICE_MARGIN)


class CountyMatch(NamedTuple):
    """The nearest county name to some OCR text."""

    name: str  # as spelled in the lexicon
    distance: float  # ocr_distance of the match keys
    similarity: float  # 1 - distance / mean length of the two keys, 0..1


def match_county(text: str, state: str | None = None) -> CountyMatch | None:
    """The county ``text`` most likely is, or None when no name is both similar enough
    (:data:`MIN_SIMILARITY`) and clearly nearer than any other (:data:`MIN_MARGIN`).

    A trailing designation ('County', 'Co.', 'Parish') is ignored. ``state`` restricts the
    candidates when it is a known two-letter code; otherwise every state's are used.
    """
    lexicon = load_counties()
    # Tokens without letters are specks and rules read as '7', '|', '.' around the name.
    words = [w for w in _DESIGNATION.sub("", text).split() if any(c.isalpha() for c in w)]
    key = match_key(" ".join(words))
    if not _MIN_KEY <= len(key) <= lexicon.longest_key + _MAX_KEY_SLACK:
        return None
    code = _state_code(lexicon, state)
    return _match_key(lexicon, key, code)


@lru_cache(maxsize=4096)  # keyed by the short match key: long hostile text is never cached
def _match_key(lexicon: CountyLexicon, key: str, state: str | None) -> CountyMatch | None:
    candidates = lexicon.candidates(state)
    exact = candidates.get(key)
    if exact is not None:
        return CountyMatch(exact, 0.0, 1.0)
    if key in _NON_ANSWERS or key in lexicon.candidates(None):
        return None  # a real county of another state is no misreading of this state's
    nearest: dict[str, tuple[float, int]] = {}  # name → smallest distance, its key length
    for candidate_key, name in candidates.items():
        limit = (1.0 - MIN_SIMILARITY) * max(len(key), len(candidate_key)) + MIN_MARGIN
        distance = ocr_distance(key, candidate_key, limit)
        if distance <= limit and distance < nearest.get(name, (limit + 1.0, 0))[0]:
            nearest[name] = (distance, len(candidate_key))
    if not nearest:
        return None
    ranked = sorted(nearest.items(), key=lambda item: (item[1][0], item[0]))
    name, (distance, name_length) = ranked[0]
    similarity = max(0.0, 1.0 - distance / ((len(key) + name_length) / 2))
    runner_up = ranked[1][1][0] if len(ranked) > 1 else float("inf")
    if similarity < (MIN_SIMILARITY if state is not None else MIN_SIMILARITY_ANY_STATE):
        return None
    if runner_up - distance < MIN_MARGIN - 1e-9:
        return None
    return CountyMatch(name, distance, round(similarity, 3))


def is_county_name(text: str) -> bool:
    """Whether ``text`` is the name of a US county, with or without its designation
    ('Dane', 'Dane County', 'St. Clair Co.')."""
    states_of = load_counties().states_of
    return bool(states_of(text) or states_of(_DESIGNATION.sub("", text)))


def snap_county(text: str | None, state: str | None = None) -> tuple[str | None, float]:
    """The county name the OCR ``text`` most likely is and how similar it is (0..1).

    Spaces and punctuation inside ``text`` are ignored ('Fr ank iin' is Franklin); the
    name is spelled as in the lexicon ('oakland' gives 'Oakland', similarity 1). When no
    county is clearly the one meant, ``text`` comes back unchanged with similarity 0.
    ``state`` (two-letter code) restricts the candidates; unknown codes mean all states.
    """
    if not text:
        return text, 0.0
    match = match_county(text, state)
    if match is None:
        return text, 0.0
    return match.name, match.similarity


def _edit_limit(key: str) -> float:
    """How far a word of this many letters may be from its correction."""
    if len(key) < 3:
        return 0.0  # short words change only through SHORT_WORD_FIXES
    return 1.0 if len(key) <= 5 else 2.0


def _restyle(replacement: str, original: str) -> str:
    """Keeps a word written in capitals in capitals ('HEAITH' → 'HEALTH')."""
    letters = [ch for ch in original if ch.isalpha()]
    if len(letters) > 1 and all(ch.isupper() for ch in letters):
        return replacement.upper()
    return replacement


_CASELESS_SHAPES = frozenset("cosuvwxz")


class Vocabulary:
    """The words free text is expected to hold (repair_words, repair_street)."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = tuple(w for w in words if match_key(w))
        self.keys = frozenset(match_key(w) for w in self.words)

    def contains(self, word: str) -> bool:
        return match_key(word) in self.keys

    def spelling(self, key: str) -> str:
        """The vocabulary's word for a match key, its dotted form first ('Co.')."""
        spelled = [w for w in self.words if match_key(w) == key]
        return next((w for w in spelled if w.endswith(".")), spelled[0])

    def dotted(self, word: str) -> str | None:
        """``word`` with the full stop back when the vocabulary writes it only as a dotted
        abbreviation ('Co' -> 'Co.', 'Co_' -> 'Co.'), else None."""
        lead, core, trail = _split_edges(word)
        core, trail = core.rstrip("_"), trail.lstrip(",_;:")
        forms = [w for w in self.words if match_key(w) == match_key(core)]
        if not forms or not all(w.endswith(".") for w in forms) or trail.startswith("."):
            return None
        return lead + core + "." + trail

    def _case_of(self, core: str) -> str:
        """``core`` (a vocabulary word but for case) as the vocabulary writes it, when the
        letters whose case differs look alike in both cases ('county', 'CO' are County,
        Co: small print shows c, o, s, w the same size); otherwise as read ('pUBLIC')."""
        for known in self.words:
            bare = known.rstrip(".")
            if bare.lower() == core.lower() and all(
                a == b or a.lower() in _CASELESS_SHAPES for a, b in zip(core, bare, strict=True)
            ):
                return bare
        return core

    def repair(self, word: str) -> str:
        """``word`` corrected to a vocabulary word, or unchanged when none is near enough."""
        if word in self.words:
            return word
        fixed = SHORT_WORD_FIXES.get(word)
        if fixed is not None and fixed in self.words:
            return fixed
        lead, core, trail = _split_edges(word)
        key = match_key(core)
        if key in self.keys:
            return lead + self._case_of(core) + trail
        if not key:
            return word
        if (key.endswith("s") and key[:-1] in self.keys) or key + "s" in self.keys:
            return word  # the plural or singular of a vocabulary word ('Parkways', 'Garden')
        limit = _edit_limit(key)
        scored = sorted(
            (ocr_distance(key, match_key(w), limit), i)
            for i, w in enumerate(self.words)
            if len(match_key(w)) >= _MIN_KEY
        )
        if not scored or scored[0][0] > limit:
            return word
        best_distance, best_index = scored[0]
        best_key = match_key(self.words[best_index])
        rivals = [d for d, i in scored[1:] if match_key(self.words[i]) != best_key]
        if rivals and rivals[0] <= best_distance:
            return word  # two different words are equally near: do not guess
        # 'Dept' and 'Dept.' share a key: the one with the text's full stop, if any.
        same_key = [w for w in self.words if match_key(w) == best_key]
        dotted = trail.startswith(".")
        chosen = next((w for w in same_key if w.endswith(".") == dotted), same_key[0])
        if dotted and chosen.endswith("."):
            trail = trail[1:]
        return lead + _restyle(chosen, core) + trail


def _split_edges(word: str) -> tuple[str, str, str]:
    """Leading punctuation, the word, trailing punctuation ('(Brawn,' → '(', 'Brawn', ',')."""
    found = _WORD_EDGE.match(word)
    if found is None:  # the pattern matches every string; this keeps mypy and readers calm
        return "", word, ""
    return found.group(1), found.group(2), found.group(3)


def repair_words(
    text: str,
    vocabulary: Sequence[str],
    state: str | None = None,
    *,
    county_anchors: Collection[str] = DEFAULT_COUNTY_ANCHORS,
) -> str:
    """Free text ('Brawn Co, HD') with each word snapped to ``vocabulary`` or, for the
    words right before a county anchor ('Co', 'County', 'Parish', 'HD'), to a county of
    ``state``: 'Brown Co. HD'.

    A word changes only when one correction is clearly nearest and within edit distance
    1 (words of 3-5 letters) or 2 (longer words); words of one or two letters change only
    through :data:`SHORT_WORD_FIXES`. Correct words, white space and punctuation around
    words are kept. Anchors count only when they are in ``vocabulary`` after repair.
    """
    if not text:
        return text
    vocab = Vocabulary(vocabulary)
    parts = _SPACE_RUN.split(_tidy_phrase(text, vocab))
    words = parts[0::2]
    spaces = [*parts[1::2], ""]
    anchor_keys = {match_key(a) for a in county_anchors} & vocab.keys
    _split_glued_designations(words, spaces, vocab, anchor_keys, state)
    repaired = [vocab.repair(w) for w in words]
    _repair_last_short_word(repaired, vocab)
    _repair_designations(words, repaired, vocab, anchor_keys)
    for index in range(len(repaired) - 1):
        # A dotted abbreviation between usual words lost its full stop to the fax
        # ('Kent Co HD'); at the end of the text ('Main St') it may be written so.
        dotted = vocab.dotted(repaired[index])
        if dotted is not None and vocab.contains(repaired[index + 1]):
            repaired[index] = dotted
    dropped: set[int] = set()
    lookups_left = MAX_COUNTY_LOOKUPS
    free_from = 0  # words before this index already belong to a county or an anchor
    for index, word in enumerate(repaired):
        if match_key(word) not in anchor_keys or lookups_left == 0:
            continue
        lookups_left -= 1
        span_start = _county_span(
            words, start_min=max(free_from, index - MAX_SPAN_WORDS), end=index
        )
        found = _best_county_reading(words, span_start, index, state, vocab)
        if found is not None:
            start, name = found
            if name is None:  # already a county: its words stay as written
                repaired[start:index] = words[start:index]
            else:
                repaired[start] = name
                spaces[start] = spaces[index - 1]
                dropped.update(range(start + 1, index))
        free_from = index + 1
    return "".join(
        word + space
        for index, (word, space) in enumerate(zip(repaired, spaces, strict=True))
        if index not in dropped
    )


_GLUE = re.compile(r"(?<=[A-Za-z.])[_|]+(?=[A-Za-z])|(?<=[A-Za-z])_+(?=\s)")
_JUNK_EDGES = '‘’“”`"_|\\+[]{}'
_UNBALANCED = "()"


def _tidy_phrase(text: str, vocab: Vocabulary) -> str:
    """Fax debris between and around the words of a usual phrase: words glued by '_' or
    '|' ('Co_HD'), a dotted abbreviation run into the next word ('Co.HD'), quotes,
    brackets and bars at word edges ('Muskegon’', 'Cook]', '\\Will'), a comma or a full
    stop after a word that the next usual word follows ('Lucas, Co.', 'Health. Dept').
    Text without such debris comes back unchanged, white space included."""
    read = text.split()
    words: list[str] = []
    for word in _GLUE.sub(" ", text).split():
        head, dot, tail = word.partition(".")
        if dot and tail[:1].isalpha() and vocab.contains(head + dot) and head + dot in vocab.words:
            words.extend([head + dot, tail])  # 'Co.HD'
        else:
            words.append(word)
    strip = _JUNK_EDGES + ("" if text.count("(") == text.count(")") else _UNBALANCED)
    words = [w.strip(strip) or w for w in words]
    for index in range(len(words) - 1):
        word, following = words[index], words[index + 1]
        if word[-1:] in ",." and vocab.contains(following) and len(match_key(word)) > 1:
            core = word[:-1]
            if word.endswith(",") or (core in vocab.words and word not in vocab.words):
                words[index] = core  # 'Lucas, Co.' ; 'Health. Dept' but not 'Co. HD'
    return text if words == read else " ".join(w for w in words if w)


SHORT_SLOT_DISTANCE = 1.0


def _repair_last_short_word(words: list[str], vocab: Vocabulary) -> None:
    """The short word that ends a phrase after a dotted abbreviation ('Co. HB', 'Co. XD')
    is the vocabulary's one short word nearest to it, when exactly one is within one
    edit: where two-letter words are otherwise too ambiguous to repair, the place makes
    them likely ('HD' after 'Co.')."""
    if len(words) < 2 or not words[-2].endswith(".") or not vocab.contains(words[-2]):
        return
    last = words[-1]
    key = match_key(last)
    if not key or len(key) > 3 or vocab.contains(last):
        return
    shorts = {match_key(w): w for w in vocab.words if len(match_key(w)) <= 3}
    shorts.pop(match_key(words[-2]), None)
    found = closest_by_ocr(key, shorts, limit=SHORT_SLOT_DISTANCE, margin=0.0)
    if found is not None:
        words[-1] = found


def _designation_near(
    word: str, vocab: Vocabulary, anchor_keys: Collection[str], following: str
) -> str | None:
    """The vocabulary's short county designation ('Co.') the short ``word`` before the
    anchor ``following`` most likely is, by OCR distance, or None. Only an anchor that
    is no designation ('HD') follows one."""
    key = match_key(word)
    if not 1 <= len(key) <= 2 or key in vocab.keys:
        return None
    designations = {match_key(d) for d in COUNTY_DESIGNATIONS}
    if match_key(following) in designations:
        return None
    shorts = {k: vocab.spelling(k) for k in anchor_keys if len(k) <= 2 and k in designations}
    return closest_by_ocr(key, shorts, limit=DESIGNATION_DISTANCE, margin=CHOICE_MARGIN)


DESIGNATION_DISTANCE = 1.0
"""How far a short word before 'HD' may be from 'Co' ('Ce', 'Go', 'oO', '(o')."""


def _repair_designations(
    words: Sequence[str], repaired: list[str], vocab: Vocabulary, anchor_keys: Collection[str]
) -> None:
    """A short word between a county and its closing anchor, one look-alike from the
    designation ('Marion Ce. HD', 'Eaton Go, HD', 'Isabella (o, HD', 'Milwauk oO. HD'):
    the designation. Left as read, the county reading took it in as a letter of the
    name ('Marion. HD')."""
    for index in range(1, len(repaired) - 1):
        if match_key(repaired[index + 1]) not in anchor_keys:
            continue
        if not any(ch.isalpha() for ch in words[index - 1]):
            continue
        found = _designation_near(words[index], vocab, anchor_keys, repaired[index + 1])
        if found is not None:
            repaired[index] = found


_GLUE_MARKS = "-–_"


def _split_glued_designations(
    words: list[str],
    spaces: list[str],
    vocab: Vocabulary,
    anchor_keys: Collection[str],
    state: str | None,
) -> None:
    """A county run together with its designation before the anchor ('Cuyahogaco HD',
    'Brownfo, HD', 'Marion-Ca. HD', 'WillL€o, HD'): two words, when the word is no county
    itself and its head reads as one of ``state``'s."""
    every_county = load_counties().candidates(None)
    lookups_left = MAX_COUNTY_LOOKUPS
    index = 0
    while index < len(words) - 1 and lookups_left > 0:
        word, following = words[index], words[index + 1]
        if match_key(following) not in anchor_keys or match_key(word) in every_county:
            index += 1
            continue
        lookups_left -= 1
        core = word.rstrip(".,;:")
        cuts = [cut for cut in range(3, len(core)) if len(match_key(core[cut:])) <= 2]
        for cut in cuts:  # the longest tail first: 'Brown|fo', not 'Brownf|o'
            tail = core[cut:]
            head = core[:cut].rstrip(_GLUE_MARKS)
            designation = _designation_near(tail, vocab, anchor_keys, following)
            if designation is None or len(match_key(head)) < _MIN_KEY:
                continue
            county = match_county(head, state)
            if county is not None and county.distance <= _edit_limit(match_key(head)):
                words[index : index + 1] = [head, designation]
                spaces[index:index] = [" "]
                index += 1
                break
        index += 1


def _county_span(words: Sequence[str], *, start_min: int, end: int) -> int:
    """The first index of the run of non-vocabulary words just before ``end``."""
    start = end
    while start > start_min and any(ch.isalpha() for ch in words[start - 1]):
        start -= 1
    return start


def _best_county_reading(
    words: Sequence[str], span_start: int, end: int, state: str | None, vocab: Vocabulary
) -> tuple[int, str | None] | None:
    """(first word index, replacement) of the county reading ending before ``end``; the
    replacement is None when the words already spell a county (of any state; one of
    ``state``'s read in lower case gets its capital: 'ingham Co. HD'). None when
    no county reading is near enough. The reading covering most words wins ('Mak lane'
    is Oakland, not 'Mak Lake'); among equally long ones, the most similar."""
    every_county = load_counties().candidates(None)
    best: tuple[int, float, int, str | None] | None = None  # words, similarity, start, name
    for start in range(end - 1, span_start - 1, -1):
        if vocab.contains(words[start]):
            break
        phrase = " ".join(words[start:end])
        match = match_county(phrase, state)
        if match is not None and match.distance == 0.0:
            # Kept as written unless read in lower case ('ingham Co. HD', 'brown Co')
            written = match.name == phrase or not phrase[:1].islower()
            reading: tuple[int, float, int, str | None] = (
                end - start,
                1.0,
                start,
                None if written else match.name,
            )
        elif match_key(phrase) in every_county:  # a county of another state, as written
            reading = (end - start, 1.0, start, None)
        elif match is not None and match.distance <= _edit_limit(match_key(phrase)):
            reading = (end - start, match.similarity, start, match.name)
        else:
            continue
        if best is None or reading[:2] > best[:2]:
            best = reading
    if best is None:
        return None
    start, name = best[2], best[3]
    if name is None:
        return start, None
    lead = _split_edges(words[start])[0]
    trail = _split_edges(words[end - 1])[2]
    return start, lead + _restyle(name, "".join(words[start:end])) + trail


def state_as_written(text: str, named: Collection[str] = ()) -> str:
    """A state written as its code ('Wi', 'iL') or its name ('New Yrok'): the code in
    capitals or the name spelled right, whichever was written; other text unchanged.
    ``named``: see :func:`nearest_state`."""
    code = nearest_state(text, named)
    if code is None:
        return text
    if sum(ch.isalnum() for ch in text) <= 3:
        return code
    return STATES[code]


STATE_NAME_DISTANCE_PER_LETTER = 0.3
"""How far a reading may be from a state name, per letter of the reading ('litinois' is
Illinois at 1.3, 'Indland' Indiana at 1.4)."""
STATE_MARGIN = 0.5
"""How much nearer than any other state name the one taken must be."""
_MIN_STATE_NAME_LETTERS = 4


NAMED_STATE_DISTANCE = 1.0
"""How far a reading may be from the code of a state the document names elsewhere
('Ou' is OH, 'if' IL, 'Mie' MI when the form's other state field says so) ..."""
NAMED_STATE_DISTANCE_PER_LETTER = 0.45
"""... or, per letter, from its name ('{lirrois' is Illinois at 2.5)."""


def nearest_state(text: str, named: Collection[str] = ()) -> str | None:
    """The two-letter code of the state ``text`` most likely is: a code or name as
    :func:`normalise_state` reads it, else the state name nearest by :func:`ocr_distance`
    when near enough and clearly nearest, else the one of the states ``named`` elsewhere
    in the document clearly nearest. Two-letter readings that are no code are not
    guessed among all states: one look-alike letter away from a code is usually also one
    from another ('ML' is MI or MT, 'ot' OH or CT); the document's other state fields
    tell which."""
    code = normalise_state(text)
    if code is not None:
        return code
    key = match_key(text)
    if not key:
        return None
    if len(key) >= _MIN_STATE_NAME_LETTERS:
        limit = max(1.0, STATE_NAME_DISTANCE_PER_LETTER * len(key))
        code = closest_by_ocr(key, _STATE_KEYS, limit=limit, margin=STATE_MARGIN)
        if code is not None:
            return code
    known = sorted({state for state in named if state in STATES})
    if not known:
        return None
    limit = max(NAMED_STATE_DISTANCE, NAMED_STATE_DISTANCE_PER_LETTER * len(key))
    distance = {  # a state is as near as the nearer of its code and its name
        state: min(
            ocr_distance(key, state.lower(), limit + STATE_MARGIN),
            ocr_distance(key, match_key(STATES[state]), limit + STATE_MARGIN),
        )
        for state in known
    }
    return clearly_nearest(distance, limit=limit, margin=STATE_MARGIN)


_STATE_KEYS = {match_key(name): code for code, name in STATES.items()}


_ID_STATE_PREFIX = re.compile(r"^(?:([A-Za-z]{2,3})(?=[-\s]?\d)|([A-Za-z])(?=-\d))")
_DIGIT_FOR_LETTER = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5"}
_DIGIT_FOR_LETTER |= {"G": "6", "B": "8"}


def with_named_state(identifier: str, named: Collection[str]) -> str:
    """An ID whose state prefix was misread ('Mj-20-39864', 'WH-20-22155', 'I-20-20055',
    'ING27844850' with a 6 read as G) with the prefix of the state the document names
    elsewhere, when the prefix is no state code and that state is near it; else as it
    is. IDs of other shapes, and prefixes near no named state, stay as read."""
    found = _ID_STATE_PREFIX.match(identifier)
    known = sorted({state for state in named if state in STATES})
    if found is None or not known:
        return identifier
    prefix = found.group(1) or found.group(2)
    rest = identifier[found.end() :]
    if prefix.upper() in STATES:
        return identifier
    if len(prefix) == 3:  # a named state and a digit read as a letter
        head, last = prefix[:2].upper(), prefix[2].upper()
        if head in known and last in _DIGIT_FOR_LETTER:
            return head + _DIGIT_FOR_LETTER[last] + rest
        return identifier
    key = prefix.lower()
    distance = {
        state: ocr_distance(key, state.lower(), NAMED_STATE_DISTANCE + STATE_MARGIN)
        for state in known
    }
    code = clearly_nearest(distance, limit=NAMED_STATE_DISTANCE, margin=STATE_MARGIN)
    return identifier if code is None else code + rest
