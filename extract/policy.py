"""The repair policy: when a step after reading may change a field's value.

A repair (a step that changes what OCR read into something else) may change a reading
only where OCR itself was doubtful — a word read with low confidence, or a reading that
failed its kind's format. It never turns one valid value into another valid value (a
modern given name that is in no census list is still a valid name; a well-formed e-mail
address or ID is valid), and it never adds characters the writer did not write (no added
full stops, no guessed prefixes). Case and white space are no change of what was written.

:func:`permits` decides this for every repair step; :mod:`extract.steps` calls it for
each change a step proposes, so no repair can step around it. docs/extraction.md states
the policy for people.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from extract.normalise import is_state, valid_email_address, valid_identifier
from extract.template import FieldKind
from faxflow.model import FieldResult

WORD_DOUBT = 0.9
"""An OCR word read with less confidence than this is doubted."""
FIELD_DOUBT = 0.9
"""A field read with less confidence than this is doubted where its words are unknown
(comb boxes, label fallbacks) or no longer recognisable in the value."""

WHOLE_VALUE_KINDS = frozenset({FieldKind.EMAIL, FieldKind.IDENTIFIER, FieldKind.STATE})
"""Kinds whose value is one token: a change anywhere changes the whole."""

_NAME_WORD = re.compile(
    r"^(?:"
    r"[A-Z]\.?"  # an initial, with or without its full stop, as written
    r"|(?:Ma?c|O'|D'|Di|De|La|Le|Van|Von)?[A-Z][a-z]+(?:['’-][A-Z]?[a-z]+)*\.?"  # Mcbride, O'Neil
    r"|[A-Z]{2,}(?:['’-][A-Z]+)*"  # written in capitals
    r"|(?:van|von|der|den|de|da|di|du|del|la|le|bin|ibn|al)"  # particles
    r")$"
)
_NOT_SPACE = re.compile(r"\s+")


def valid_name_word(word: str) -> bool:
    """A word shaped like a name as people write them: capital then small letters (with
    Mc/Mac/O' and hyphenated parts), all capitals, an initial, or a particle. Whether the
    census lists it does not matter: 'Jaxon' and 'Emersyn' are names."""
    return bool(_NAME_WORD.match(word))


def valid_token(kind: FieldKind, token: str, *, state_lexicon: bool = False) -> bool:
    """Whether ``token`` of a field of ``kind`` is a valid value in its own right, which no
    repair may turn into another. Free text has no such test (its repairs are bound by
    OCR's doubt and by adding nothing)."""
    if kind is FieldKind.STATE or state_lexicon:
        return is_state(token)
    if kind is FieldKind.NAME:
        return valid_name_word(token)
    if kind is FieldKind.EMAIL:
        return valid_email_address(token)
    if kind is FieldKind.IDENTIFIER:
        return valid_identifier(token)
    return False


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def token_doubted(token: str, result: FieldResult) -> bool:
    """Whether OCR doubted the word ``token`` of ``result``'s value: the OCR word it was read
    as was read with less than :data:`WORD_DOUBT`; where no OCR word is known or
    recognisable as this one, the field's confidence decides (:data:`FIELD_DOUBT`)."""
    key = _key(token)
    if result.value is None:
        return True  # the reading failed its format
    if not key or not result.words:
        return result.confidence < FIELD_DOUBT
    exact = [c for text, c in result.words if _key(text) == key]
    if exact:
        return max(exact) < WORD_DOUBT
    overlapping = [
        c for text, c in result.words if _key(text) and (_key(text) in key or key in _key(text))
    ]
    if overlapping:
        return min(overlapping) < WORD_DOUBT
    return result.confidence < FIELD_DOUBT


def changed_tokens(before: str, after: str, *, whole: bool) -> list[str]:
    """The words of ``before`` a step replaced or removed (case aside)."""
    if whole:
        return [] if before.lower() == after.lower() else [before]
    old, new = before.split(), after.split()
    matcher = SequenceMatcher(None, [w.lower() for w in old], [w.lower() for w in new])
    return [
        word
        for tag, i0, i1, _, _ in matcher.get_opcodes()
        if tag in ("replace", "delete")
        for word in old[i0:i1]
    ]


INNER_GROWTH_PER_LETTER = 1 / 6
"""A free-text or name repair may give back one letter per six that OCR merged into a
look-alike ('Frankhn' → 'Franklin': li read as h), inside the value only."""


def adds_characters(before: str, after: str, *, whole: bool = False) -> bool:
    """Whether ``after`` holds what the writer did not write: more marks that are no
    letter or digit (an added full stop, hyphen, ``@``); for one-token values (``whole``:
    e-mail, ID, state) any more characters; for words, more characters at either end (a
    guessed prefix) or more inside than OCR's merged look-alikes explain."""
    old, new = _NOT_SPACE.sub("", before), _NOT_SPACE.sub("", after)
    if sum(not ch.isalnum() for ch in new) > sum(not ch.isalnum() for ch in old):
        return True
    if len(new) <= len(old):
        return False
    if whole or not old:
        return True
    old, new = old.lower(), new.lower()
    if new.startswith(old) or new.endswith(old) or old[0] != new[0] or old[-1] != new[-1]:
        return True  # written at an edge: a guessed prefix or ending
    return len(new) - len(old) > int(len(old) * INNER_GROWTH_PER_LETTER)


CLOSED_LEXICONS = frozenset({"state", "county"})
"""Template lexicons that list every answer: a reading that is none of them failed its
format (US states, US counties)."""


def fails_closed_list(kind: FieldKind, lexicon: str | None, text: str) -> bool:
    """Whether ``text`` of a state field, or of a field whose template lexicon lists every
    answer, is none of those answers: a failed format, as good as OCR's own doubt."""
    if kind is FieldKind.STATE or lexicon == "state":
        return not is_state(text)
    if lexicon == "county":
        from extract.lexicon import is_county_name

        return not is_county_name(text)
    return False


def permits(
    kind: FieldKind,
    result: FieldResult,
    before: str,
    after: object,
    *,
    lexicon: str | None = None,
    answers: Sequence[str] = (),
) -> bool:
    """Whether a repair may change ``result`` (whose value as text is ``before``; its
    template ``lexicon``, if any; ``answers``, the fixed answers its schema allows, if
    any) to ``after``. Dropping a reading (``after`` None) is always allowed: it sends the
    field to a person and claims nothing."""
    if after is None:
        return True
    if not isinstance(after, str):
        return False
    if after == before:
        return True
    if _NOT_SPACE.sub("", after).lower() == _NOT_SPACE.sub("", before).lower():
        return True  # case and white space only
    state_lexicon = lexicon == "state"
    whole = kind in WHOLE_VALUE_KINDS or state_lexicon
    if adds_characters(before, after, whole=whole):
        return False
    # A reading that is none of the answers the schema allows ('yt' for yr/mo/day) failed
    # its format however surely OCR read it, as a state that is no state does.
    failed = fails_closed_list(kind, lexicon, before) or bool(answers and before not in answers)
    changed = changed_tokens(before, after, whole=whole)
    return all(
        (failed or token_doubted(token, result))
        and not valid_token(kind, token.strip(",;:"), state_lexicon=state_lexicon)
        for token in changed
    )
