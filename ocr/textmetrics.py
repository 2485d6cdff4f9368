"""Character error rate and word accuracy of OCR text against a transcription.

No edit-distance library is installed (rapidfuzz is not a dependency; difflib's ratio is
not an edit distance), so :func:`levenshtein` is a small NumPy implementation: one row
of the dynamic-programming table at a time, the insertion chain folded in with a running
minimum, which makes a 4,000-character page take milliseconds instead of seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

_TYPOGRAPHIC = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\ufb01": "fi",
        "\ufb02": "fl",
    }
)


def normalise_text(text: str) -> str:
    """Typographic quotes, dashes and ligatures as ASCII; whitespace runs as one space.

    Transcriptions use straight quotes and arbitrary line breaks; Tesseract prints curly
    quotes and its own layout.  Neither is a recognition error."""
    return " ".join(text.translate(_TYPOGRAPHIC).split())


def levenshtein(
    reference: Sequence[object] | str,
    hypothesis: Sequence[object] | str,
    *,
    free_ends: bool = False,
) -> int:
    """Edit distance (insertions, deletions, substitutions, each cost 1).

    With ``free_ends`` the reference is matched against the best-fitting *part* of the
    hypothesis (semi-global alignment: skipping hypothesis text before and after costs
    nothing)."""
    lookup: dict[object, int] = {}  # shared, so equal items get equal codes
    ref = _codes(reference, lookup)
    hyp = _codes(hypothesis, lookup)
    if ref.size == 0:
        return int(hyp.size)
    if hyp.size == 0:
        return int(ref.size)
    columns = np.arange(hyp.size + 1, dtype=np.int64)
    previous = np.zeros_like(columns) if free_ends else columns.copy()
    for i, symbol in enumerate(ref, start=1):
        substitution = previous[:-1] + (hyp != symbol)
        deletion = previous[1:] + 1
        best = np.empty_like(previous)
        best[0] = i
        best[1:] = np.minimum(substitution, deletion)
        # Insertions: best[j] = min_k<=j (best[k] + j - k) -> running minimum of best - j.
        previous = np.minimum.accumulate(best - columns) + columns
    return int(previous.min() if free_ends else previous[-1])


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance between the normalised texts divided by the reference length."""
    ref, hyp = normalise_text(reference), normalise_text(hypothesis)
    return levenshtein(ref, hyp) / max(1, len(ref))


def line_matched_error_rate(reference: str, hypothesis: str) -> float:
    """CER that does not depend on reading order: each reference line is matched to its
    best-fitting stretch of the OCR text; the edits summed over lines, divided by the
    reference length.

    Multi-column pages make plain CER mostly a measure of Tesseract's column order (the
    same page can swing from 0.10 to 0.40 by one block read out of place); this one
    measures recognition.  It does not charge junk OCR outside matched stretches - the
    plain CER does, so both are reported."""
    hyp = normalise_text(hypothesis)
    lines = [normalise_text(line) for line in reference.splitlines()]
    lines = [line for line in lines if line]
    total = sum(len(line) for line in lines)
    if total == 0:
        return 0.0
    return sum(levenshtein(line, hyp, free_ends=True) for line in lines) / total


def word_accuracy(reference: str, hypothesis: str) -> float:
    """Share of reference words that OCR produced exactly (multiset match, so reading
    order across columns does not count as an error)."""
    ref = Counter(normalise_text(reference).split())
    hyp = Counter(normalise_text(hypothesis).split())
    total = sum(ref.values())
    return sum((ref & hyp).values()) / total if total else 1.0


def _codes(text: Sequence[object] | str, lookup: dict[object, int]) -> np.ndarray:
    if isinstance(text, str):
        return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    return np.array([lookup.setdefault(item, len(lookup)) for item in text], dtype=np.int64)
