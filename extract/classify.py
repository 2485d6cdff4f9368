"""Page classification: which template page, if any, each input page is.

Every input page is matched by content (ORB features + RANSAC homography, see
:mod:`extract.align`) against every reference page of every template, so reordered,
rotated and missing pages are handled alike. A page is:

* ``blank`` when it carries almost no ink (never matched, never OCR'd);
* ``form`` when its best homography keeps enough inliers relative to what the reference
  page scores against itself;
* ``cover`` when it matches nothing and comes before the document's first form page (the
  fax cover sheet), otherwise ``unknown``.

Some template pages are near-identical (DHS-1171's "Answer for person 2..6" pages differ
only in one digit). Such *sibling* pages are found when the index is built, by comparing
the reference images; a page matched to one of them is then decided by comparing the
aligned page with each sibling only where the siblings differ.

The document's form type is the form with the most matched pages; a page that matches a
template page another input page already matched better is reported as ``unknown``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from extract.align import (
    ORB_FEATURES,
    FeatureMatch,
    PageFeatures,
    match_homography,
    page_features,
    ratio_matches,
)
from extract.reference import ReferencePage, reference_pages
from extract.template import FormTemplate
from faxflow.model import FormType, PageRole

log = logging.getLogger(__name__)

PageKey = tuple[str, int]

BLANK_INK_FRACTION = 0.002
"""A page with less than 0.2% dark pixels (after cleanup) is blank."""

MATCH_MIN_SCORE = 0.2
"""Inliers relative to the reference's self-match; wrong pages of the same form score
≈0.1 (shared headers), right pages 0.6-1.0 even as standard-resolution faxes."""
MATCH_MIN_INLIERS = 30
STRONG_SCORE = 2 * MATCH_MIN_SCORE  # a match this good is taken without looking further

FULL_COVERAGE = 0.6  # inliers spanning 60% of the page height count in full
CANDIDATES = 3  # reference pages (by ratio-test matches) that get a RANSAC fit
SIBLING_THUMB_DIFF = 15.0  # mean grey difference of 85x110 thumbnails worth a closer look
SIBLING_MIN_SCORE = 0.6  # reference pages matching each other this well are siblings
INK_LEVEL = 160  # grey level below which a pixel counts as ink
RETRY_FEATURES = 3 * ORB_FEATURES
"""Keypoints of an input page that matched no reference page with ``ORB_FEATURES``; the
page is then matched again with these. Writing (dense handwriting, kanji) has many strong
corners, so on a filled page much of the strongest ``ORB_FEATURES`` is writing no
reference page has, and the print it shares with its reference kept too few keypoints to
match it at all. The references are blank, so their ``ORB_FEATURES`` are all print.
Matching costs grow with this number, so a page that matched, even weakly, keeps its
first match: matching weak pages again as well changed no page's form and no tune
field's value enough to pay for it (docs/benchmarks.md)."""
RETRY_POOL = 2 * CANDIDATES
"""Reference pages (with their siblings) a page that matched nothing is matched against
again with ``RETRY_FEATURES``: the first of the first search's ranking by ratio-test
matches. On tune pages the page finally chosen was always the first search's
first-ranked one (docs/benchmarks.md), and matching every reference page again cost
1.5-5 s a page."""


@dataclass(frozen=True, slots=True, eq=False)
class IndexedPage:
    """A reference page with its features and self-match score."""

    reference: ReferencePage
    features: PageFeatures
    self_inliers: int
    carries_fields: bool
    retry_self_inliers: int  # the self-match of a copy with RETRY_FEATURES keypoints

    @property
    def key(self) -> PageKey:
        return self.reference.key


@dataclass(frozen=True, slots=True, eq=False)
class ReferenceIndex:
    """Everything classification needs about the templates, built once per process."""

    pages: tuple[IndexedPage, ...]
    siblings: Mapping[PageKey, tuple[PageKey, ...]]  # includes the page itself
    sibling_masks: Mapping[PageKey, np.ndarray]  # where a page differs from its siblings
    dpi: int

    def page(self, key: PageKey) -> IndexedPage:
        for page in self.pages:
            if page.key == key:
                return page
        raise KeyError(key)


@dataclass(frozen=True, slots=True, eq=False)
class PageMatch:
    """What one input page is, and how to bring it into its template page's frame."""

    index: int  # 0-based position in the input
    role: PageRole
    key: PageKey | None = None  # (form type, template page) when role is FORM
    score: float = 0.0  # inliers / reference self-inliers, 0..1
    inliers: int = 0
    homography: np.ndarray | None = None  # input pixels → reference pixels
    ink_fraction: float = 0.0

    @property
    def form_type(self) -> str | None:
        return self.key[0] if self.key else None

    @property
    def template_page(self) -> int | None:
        return self.key[1] if self.key else None


def ink_fraction(image: np.ndarray) -> float:
    """Share of dark pixels, on a 1/4-size copy (cheap and noise-tolerant)."""
    small = cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    return float(np.count_nonzero(small < INK_LEVEL)) / max(small.size, 1)


# --------------------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------------------

_INDEX_CACHE: dict[tuple[tuple[tuple[str, str], ...], int], ReferenceIndex] = {}


def build_index(
    templates: Mapping[str, FormTemplate], *, dpi: int, cache_root: Path | None = None
) -> ReferenceIndex:
    """The reference index of ``templates`` at ``dpi`` (memoised per process)."""
    cache_key = (
        tuple(sorted((str(t.pdf_path), t.version) for t in templates.values())),
        dpi,
    )
    cached = _INDEX_CACHE.get(cache_key)
    if cached is not None:
        return cached
    pages: list[IndexedPage] = []
    for form_type in sorted(templates):
        template = templates[form_type]
        with_fields = {spec.page for spec in template.fields}
        with_fields |= {p.number for p in template.pages if p.carries_fields}
        for ref in reference_pages(template, dpi=dpi, cache_root=cache_root):
            features = page_features(ref.image)
            pages.append(
                IndexedPage(
                    ref,
                    features,
                    _self_inliers(ref.image, features, ORB_FEATURES),
                    ref.number in with_fields,
                    _self_inliers(ref.image, features, RETRY_FEATURES),
                )
            )
    siblings, masks = _sibling_groups(pages)
    index = ReferenceIndex(tuple(pages), siblings, masks, dpi)
    _INDEX_CACHE[cache_key] = index
    return index


def _self_inliers(image: np.ndarray, features: PageFeatures, copy_features: int) -> int:
    """Inliers of the reference against a slightly rotated, blurred copy of itself (with
    ``copy_features`` keypoints, as an input page): the score a perfect input page could
    reach, used to normalise match scores."""
    h, w = image.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 1.5, 0.98)
    copy = cv2.warpAffine(image, turn, (w, h), borderValue=255)
    copy = cv2.GaussianBlur(copy, (3, 3), 0)
    found = match_homography(page_features(copy, features=copy_features), features)
    return max(found.inliers, MATCH_MIN_INLIERS)


def _thumbnail(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, (85, 110), interpolation=cv2.INTER_AREA).astype(np.float32)


def _sibling_groups(
    pages: Sequence[IndexedPage],
) -> tuple[dict[PageKey, tuple[PageKey, ...]], dict[PageKey, np.ndarray]]:
    """Group near-identical reference pages; for each member, a half-resolution mask (in
    its own frame) of where it differs from the other members once they are aligned."""
    thumbs = [_thumbnail(p.reference.image) for p in pages]
    links: dict[tuple[int, int], np.ndarray] = {}  # (i, j) -> homography j → i
    parent = list(range(len(pages)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(pages)):
        for j in range(i + 1, len(pages)):
            if float(np.mean(np.abs(thumbs[i] - thumbs[j]))) > SIBLING_THUMB_DIFF:
                continue
            found = match_homography(pages[j].features, pages[i].features)
            limit = SIBLING_MIN_SCORE * min(pages[i].self_inliers, pages[j].self_inliers)
            if found.homography is not None and found.inliers >= limit:
                links[(i, j)] = found.homography
                links[(j, i)] = np.linalg.inv(found.homography)
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(pages)):
        groups.setdefault(find(i), []).append(i)
    siblings: dict[PageKey, tuple[PageKey, ...]] = {}
    masks: dict[PageKey, np.ndarray] = {}
    for members in groups.values():
        keys = tuple(pages[i].key for i in members)
        for i in members:
            siblings[pages[i].key] = keys
            if len(members) > 1:
                masks[pages[i].key] = _difference_mask(pages, i, members, links)
    return siblings, masks


def _difference_mask(
    pages: Sequence[IndexedPage],
    own: int,
    members: Sequence[int],
    links: Mapping[tuple[int, int], np.ndarray],
) -> np.ndarray:
    """Half-resolution mask, in page ``own``'s frame, of where it differs from its siblings."""
    half = np.diag([0.5, 0.5, 1.0])
    ref = pages[own].reference.image
    size = (ref.shape[1] // 2, ref.shape[0] // 2)
    mine = cv2.resize(ref, size, interpolation=cv2.INTER_AREA) < INK_LEVEL
    differs = np.zeros(mine.shape, dtype=bool)
    for other in members:
        if other == own:
            continue
        link = links.get((own, other))
        if link is None:  # linked through a third sibling: the full-page fit is enough
            link = np.eye(3)
        theirs_small = cv2.resize(pages[other].reference.image, size, interpolation=cv2.INTER_AREA)
        warped = cv2.warpPerspective(
            theirs_small,
            half @ link @ np.linalg.inv(half),
            size,
            flags=cv2.INTER_AREA,
            borderValue=255,
        )
        theirs = warped < INK_LEVEL
        # Ink one page has where the other has none nearby: robust to 1-2 px residue.
        near_theirs = cv2.dilate(theirs.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        near_mine = cv2.dilate(mine.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        differs |= (mine & ~near_theirs) | (theirs & ~near_mine)
    mask = cv2.dilate(differs.astype(np.uint8), np.ones((7, 7), np.uint8))
    return mask.astype(bool)


# --------------------------------------------------------------------------------------
# Classifying pages
# --------------------------------------------------------------------------------------


def classify_page(
    image: np.ndarray, index: ReferenceIndex, *, position: int = 0, hint: PageKey | None = None
) -> PageMatch:
    """Classify one page; ``hint`` (the template page expected here, e.g. the one after
    the previous page's) is tried first and accepted only on a strong match."""
    ink = ink_fraction(image)
    if ink < BLANK_INK_FRACTION:
        return PageMatch(position, PageRole.BLANK, ink_fraction=ink)
    retry = False
    features = page_features(image)
    known: dict[PageKey, list[tuple[int, int]]] = {}
    best = _likely_page(features, index, hint, known)
    ranked: Ranked = []
    if best is None:
        ranked = _ranked(features, index.pages, known)
        best = _search(features, index, ranked)
    if best is None:
        more = page_features(image, features=RETRY_FEATURES)
        pool = _with_siblings([page for page, _ in ranked[:RETRY_POOL]], index)
        best = _search(more, index, _ranked(more, pool), retry=True)
        features, retry = more, True
    if best is None:
        return PageMatch(position, PageRole.UNKNOWN, ink_fraction=ink)
    page, found = _pick_sibling(image, features, best, index)
    assert found.homography is not None
    return PageMatch(
        position,
        PageRole.FORM,
        key=page.key,
        score=_score(found, page, retry=retry),
        inliers=found.inliers,
        homography=found.homography,
        ink_fraction=ink,
    )


def _likely_page(
    features: PageFeatures,
    index: ReferenceIndex,
    hint: PageKey | None,
    pairs: dict[PageKey, list[tuple[int, int]]],
) -> tuple[IndexedPage, FeatureMatch] | None:
    """The page expected here, accepted only on a strong match: ``hint`` when there is
    one, else any form's first page (where most documents start, and where one resumes
    after a cover sheet). Each try costs one match, where a search matches every template
    page; a weaker match falls back to the search, which reuses the ratio-test ``pairs``
    found here."""
    if hint is not None:
        expected = [p for p in index.pages if p.key == hint]
    else:
        expected = [p for p in index.pages if p.key[1] == 1]
    best: tuple[float, IndexedPage, FeatureMatch] | None = None
    for page in expected:
        pairs[page.key] = ratio_matches(features, page.features)
        found = match_homography(features, page.features, pairs[page.key])
        score = _score(found, page)
        if score >= STRONG_SCORE and (best is None or score > best[0]):
            best = (score, page, found)
    return None if best is None else (best[1], best[2])


def _score(found: FeatureMatch, page: IndexedPage, *, retry: bool = False) -> float:
    """Inliers relative to the reference's self-match (with as many input keypoints:
    ``retry`` for ``RETRY_FEATURES``), discounted when they cluster in a band of the page
    (a header several pages share is not a page match)."""
    if found.homography is None or found.inliers < MATCH_MIN_INLIERS:
        return 0.0
    spread = min(1.0, found.coverage / FULL_COVERAGE)
    self_inliers = page.retry_self_inliers if retry else page.self_inliers
    return min(1.0, found.inliers / self_inliers) * spread


Ranked = list[tuple[IndexedPage, list[tuple[int, int]]]]
"""Reference pages with the ratio-test pairs ``features`` has with each, most pairs first."""


def _ranked(
    features: PageFeatures,
    pages: Sequence[IndexedPage],
    known: Mapping[PageKey, list[tuple[int, int]]] | None = None,
) -> Ranked:
    """``known``: pairs already found (by ``_likely_page``), not matched again."""
    known = known or {}
    paired = [
        (page, known[page.key] if page.key in known else ratio_matches(features, page.features))
        for page in pages
    ]
    return sorted(paired, key=lambda item: len(item[1]), reverse=True)  # stable on ties


def _with_siblings(pages: Sequence[IndexedPage], index: ReferenceIndex) -> list[IndexedPage]:
    """``pages`` in their order, each followed by its siblings not already there."""
    out: list[IndexedPage] = []
    seen: set[PageKey] = set()
    for page in pages:
        for key in index.siblings.get(page.key, (page.key,)):
            if key not in seen:
                seen.add(key)
                out.append(index.page(key))
    return out


def _search(
    features: PageFeatures,
    index: ReferenceIndex,
    ranked: Ranked,
    *,
    retry: bool = False,
) -> tuple[IndexedPage, FeatureMatch] | None:
    """The best-scoring fit among the first ``CANDIDATES`` sibling groups of ``ranked``."""
    best: tuple[float, IndexedPage, FeatureMatch] | None = None
    tried_groups: set[tuple[PageKey, ...]] = set()
    for page, pairs in ranked:
        group = index.siblings.get(page.key, (page.key,))
        if group in tried_groups:
            continue
        tried_groups.add(group)
        found = match_homography(features, page.features, pairs)
        score = _score(found, page, retry=retry)
        if score >= MATCH_MIN_SCORE and (best is None or score > best[0]):
            best = (score, page, found)
        if len(tried_groups) >= CANDIDATES:
            break
    return None if best is None else (best[1], best[2])


def _pick_sibling(
    image: np.ndarray,
    features: PageFeatures,
    best: tuple[IndexedPage, FeatureMatch],
    index: ReferenceIndex,
) -> tuple[IndexedPage, FeatureMatch]:
    """Among near-identical template pages, the one whose distinguishing print (a person
    number, a page number) the aligned page shows."""
    page, found = best
    group = index.siblings.get(page.key, (page.key,))
    if len(group) < 2:
        return best
    half = np.diag([0.5, 0.5, 1.0])
    small = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    choice: tuple[float, IndexedPage, FeatureMatch] | None = None
    for key in group:
        candidate = index.page(key)
        fit = found if key == page.key else match_homography(features, candidate.features)
        if fit.homography is None:
            continue
        mask = index.sibling_masks[key]
        warped = cv2.warpPerspective(
            small,
            half @ fit.homography @ np.linalg.inv(half),
            (mask.shape[1], mask.shape[0]),
            flags=cv2.INTER_LINEAR,
            borderValue=255,
        )
        ref = cv2.resize(
            candidate.reference.image, (mask.shape[1], mask.shape[0]), interpolation=cv2.INTER_AREA
        )
        diff = cv2.absdiff(cv2.GaussianBlur(warped, (5, 5), 0), cv2.GaussianBlur(ref, (5, 5), 0))
        cost = float(np.mean(diff[mask])) if mask.any() else 0.0
        if choice is None or cost < choice[0]:
            choice = (cost, candidate, fit)
    return best if choice is None else (choice[1], choice[2])


def classify_pages(images: Sequence[np.ndarray], index: ReferenceIndex) -> list[PageMatch]:
    """Classify a document's pages (see the module docstring for the rules)."""
    matches: list[PageMatch] = []
    hint: PageKey | None = None
    for position, image in enumerate(images):
        found = classify_page(image, index, position=position, hint=hint)
        matches.append(found)
        hint = (found.key[0], found.key[1] + 1) if found.key else None
    return resolve_pages(matches)


def resolve_pages(matches: Sequence[PageMatch]) -> list[PageMatch]:
    """Apply the document-level rules: one form type, one input page per template page,
    cover sheets before the first form page."""
    form = document_form_type(matches)
    out = list(matches)
    best_for: dict[PageKey, int] = {}
    for i, found in enumerate(out):
        if found.role is not PageRole.FORM:
            continue
        if found.form_type != form:
            out[i] = replace(found, role=PageRole.UNKNOWN, key=None, homography=None)
            continue
        assert found.key is not None
        other = best_for.get(found.key)
        if other is None:
            best_for[found.key] = i
        elif out[other].score >= found.score:
            out[i] = replace(found, role=PageRole.UNKNOWN, key=None, homography=None)
        else:
            out[other] = replace(out[other], role=PageRole.UNKNOWN, key=None, homography=None)
            best_for[found.key] = i
    first_form = next((i for i, m in enumerate(out) if m.role is PageRole.FORM), len(out))
    for i in range(first_form):
        # Only a page that matched nothing is a cover sheet; a demoted duplicate or a page
        # of another form stays unknown.
        if out[i].role is PageRole.UNKNOWN and matches[i].role is PageRole.UNKNOWN:
            out[i] = replace(out[i], role=PageRole.COVER)
    return out


def document_form_type(matches: Sequence[PageMatch]) -> FormType | str:
    """The form with the most matched pages (ties: the higher total score)."""
    counts: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for found in matches:
        if found.role is PageRole.FORM and found.form_type is not None:
            counts[found.form_type] += 1
            totals[found.form_type] += found.score  # type: ignore[assignment]
    if not counts:
        return FormType.UNKNOWN
    return max(counts, key=lambda f: (counts[f], totals[f]))
