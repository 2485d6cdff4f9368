"""Per-field confidence in [0, 1].

The number must *mean* something: ``faxflow calibrate`` picks per-kind thresholds so that
auto-accepted fields are at least 99.5% right, which only works if confidence orders
fields by their chance of being right. It therefore combines independent evidence:

* OCR: Tesseract's word confidences (the weakest word counts as much as the mean, because
  one misread digit makes a date wrong);
* pattern fit: whether the text normalised to a value of the field's kind (a date that
  parses, ten phone digits); a miss caps confidence low, a clean fit raises it;
* agreement: a value read twice (the composite read and a whitelisted re-read, or the
  form's second copy of the field) that agrees is more likely right;
* blankness: a zone with no new ink at all is very likely truly blank;
* checkbox margins: how far the least clear box sits from the mark threshold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extract.normalise import STRICT_KINDS
from extract.template import FieldKind

BLANK_CONFIDENCE = 0.97  # no new ink anywhere near the zone
FAINT_BLANK_CONFIDENCE = 0.75  # some ink, but nothing readable
UNREADABLE_CONFIDENCE = 0.15  # ink that OCR could not turn into a value
CROSSED_BLANK_CONFIDENCE = FAINT_BLANK_CONFIDENCE
"""Cap of a zone read blank whose box holds another zone's writing (CROSSED_INK_PIXELS or
more): writing that touches the line above or below is one stroke with it and goes to
one zone, so this zone's own writing may have gone with its neighbour's. Such a zone is
as unsure as one with some ink of its own that reads as nothing."""
BROKEN_WRITING_CONFIDENCE = FAINT_BLANK_CONFIDENCE
"""Cap of a zone read blank whose only ink is dust lying in a row (extract.read's
DUST_ROW_PIECES): it may be a thin or pale face the fax broke into specks, which no reader
can read back, so the zone is as unsure as one whose ink reads as nothing."""
WRITING_INK_PIXELS = 300
"""New ink (pixels at 200 dpi) that is writing, not specks: a short written word has
400-700; a zone with this much that reads as nothing is unread, not blank."""
CROSSED_INK_PIXELS = WRITING_INK_PIXELS // 2
"""Another zone's ink (pixels at 200 dpi) inside a zone's box from which it may hide
this zone's writing: half of a short written word; a descender or the tail of a
neighbour's letter is less."""
PATTERN_MISS_CAP = 0.3
TRUNCATED_CONFIDENCE = 0.1
"""Cap of a field whose writing runs on past what its zone could take in (issue
``truncated``): the reading lacks the writing's end, so it is wrong as it stands however
surely OCR read it; below every calibrated threshold (the lowest is ~0.18), so never
auto-accepted even where the issue itself were not blocking."""

KATAKANA_LOOKALIKE_CONFIDENCE = 0.5
"""Cap of a katakana field read with characters that only look like katakana (kanji
'口' for 'ロ', a dash for 'ー', hiragana 'へ' for 'ヘ'), given back as the katakana
(extract/japanese.py KATAKANA_LOOKALIKES): OCR did not read katakana there, so a person
looks before it is trusted."""
JP_PHONE_DROPPED_CONFIDENCE = 0.5
"""Cap of a Japanese phone number whose reading held a character that is neither digit
nor separator (``090-1234-5/78``: the normaliser keeps the digits only): the mark was most
likely a misread digit, and the digits left can still be a number of valid length (an
11-digit mobile as 10), a valid wrong number that was auto-accepted at 0.87."""
VOCABULARY_MISS_CONFIDENCE = 0.3
"""Cap of a closed-vocabulary field (extract/vocabularies.py: a 続柄 such as 弟) whose value
is none of its list's answers, even after a reread restricted to the list's characters:
kept as read (it may be an answer the list lacks), but a misread as likely (第 for 弟), so
a person decides (issue ``not_in_vocabulary``)."""
VOCABULARY_REREAD_CONFIDENCE = 0.6
"""Cap of a closed-vocabulary field whose first reading was none of its answers and whose
reread restricted to the list's characters is one: the two readings disagree, and the
restricted one cannot read anything else, so a person should look before it is trusted."""


_ODD_TEXT = re.compile(r"[^\w\s.,'&#/()\-@+]")


def ocr_evidence(confidences: Sequence[float]) -> float:
    """Mean and weakest word confidence, equally weighted."""
    if not confidences:
        return 0.0
    mean = sum(confidences) / len(confidences)
    return 0.5 * mean + 0.5 * min(confidences)


def text_confidence(
    kind: FieldKind,
    *,
    word_confidences: Sequence[float],
    raw_text: str,
    value: object,
    agreed: bool = False,
    ink_pixels: int = 0,
) -> float:
    """Confidence of a text-kind field read by OCR; ``ink_pixels`` is the new ink in the
    zone, which tells an empty zone with specks from writing OCR could not read."""
    if value is None:
        if raw_text.strip() or ink_pixels >= WRITING_INK_PIXELS:
            return UNREADABLE_CONFIDENCE
        return FAINT_BLANK_CONFIDENCE
    evidence = ocr_evidence(word_confidences)
    if kind in STRICT_KINDS:
        # A value that fits a strict pattern is unlikely to be noise; OCR still decides
        # whether its digits are the right ones.
        score = 0.35 + 0.65 * evidence
    else:
        score = evidence
        odd = len(_ODD_TEXT.findall(raw_text))
        if odd:
            score *= max(0.4, 1.0 - 0.2 * odd)
        if len(raw_text.strip()) <= 1:
            score *= 0.6
    if agreed:
        score = 1.0 - (1.0 - score) * 0.5
    return clamp(score)


def pattern_miss_confidence(word_confidences: Sequence[float]) -> float:
    """A strict-kind zone whose text does not normalise: a value is there but unknown."""
    return clamp(min(PATTERN_MISS_CAP, 0.3 * ocr_evidence(word_confidences)))


def blank_confidence(ink_pixels: int, min_ink: int) -> float:
    """Confidence that a zone is really blank, from how much stray ink it carries."""
    if ink_pixels <= 0:
        return BLANK_CONFIDENCE
    share = min(1.0, ink_pixels / max(1, min_ink))
    return clamp(BLANK_CONFIDENCE - (BLANK_CONFIDENCE - FAINT_BLANK_CONFIDENCE) * share)


def clamp(value: float) -> float:
    return max(0.0, min(1.0, float(value)))


ONE_READER_DIGITS_CONFIDENCE = 0.85
"""Cap of a number or date only the digit classifier read (Tesseract read no value): one
reader alone, whose probabilities come from the faces it was trained on. Touching
hand-printed digits ('31', '82') pass as one glyph it is sure of ('3', '2'), so its
certainty is no evidence that no digit was lost: on a hand-printed tune sample such
values were right 10 times in 11, all read at p > 0.97. Two copies of a field that agree
halve the doubt (the CDC date of birth: 0.85 -> 0.925), and the same hand read twice by
the same classifier is no second witness, so this stays below 0.95 even then."""
DISPUTED_DIGITS_CONFIDENCE = 0.75
"""Cap of a number or date the digit classifier read differently from Tesseract's valid
reading, and more surely ('5 5 2011' against '5 6 2017' for 5/5/2017): the two readers
disagree, so neither value is sure; the classifier's, which is kept, was right 3 times
in 4 on a hand-printed tune sample."""
UNEVEN_DATE_CONFIDENCE = 0.5
"""Cap of a numeric date whose month and day are written unevenly, one with a leading
zero and the other a single digit ('07 3 2020' read for 07/31/2020, '05 6 20' for
05/16/20): whoever writes the zero writes both parts in two digits, so a digit of the
single one was lost (touching the next, or a hand-printed 1 taken for a stroke)."""
DIGITS_LEFT_OUT_CONFIDENCE = 0.5
"""Cap of an amount that leaves digits of its reading out ('1,403 42' read as 1403: the
fax lost the decimal point, and the cents the writer wrote are not in the value)."""
STREAK_CROSSED_CONFIDENCE = 0.75
"""Cap of a value read from writing a fax streak ran through: the streak is taken out of
the page's ink, and with it any stroke lying under it (a typed one on the streak's column
gone, and a birth date read without it wrong over its routing threshold). What is left
can read as another valid value, so it is as sure as two readers that disagree
(measured in docs/extraction.md)."""
UNREAD_INK_CONFIDENCE = 0.5
"""A reading that left some of its zone's writing unread (山本 加 where 山本　加奈 is
written, Elkhart at 0.96 where Elkhart Co. HD is: extract.read.unread_ink), read again
alone and still short: the value lacks characters, however sure Tesseract was of the
ones it gave."""

_DIGIT_RUN = re.compile(r"\d+")


def uneven_date_parts(text: str) -> bool:
    """Whether ``text`` is a numeric date (three digit groups, no letter) whose month and day (the
    groups other than the year: the four-digit one, else the last) are one zero-padded
    ('07') and one single digit ('3')."""
    groups = _DIGIT_RUN.findall(text)
    if len(groups) != 3 or any(ch.isalpha() for ch in text):
        # a letter read for a digit ('O4 01. 2020') splits a part: no evidence of a loss
        return False
    years = [k for k, g in enumerate(groups) if len(g) == 4]
    year = years[0] if len(years) == 1 else 2
    first, second = (g for k, g in enumerate(groups) if k != year)
    padded = {len(g) == 2 and g.startswith("0") for g in (first, second)}
    single = {len(g) == 1 for g in (first, second)}
    return padded == {True, False} and single == {True, False} and len(first + second) == 3
