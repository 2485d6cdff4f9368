"""Classification: every template page under rotation, skew, scale and shift; cover and
blank pages; reordered pages; near-identical DHS person pages; duplicates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from extract.classify import classify_page, classify_pages, document_form_type
from faxflow.model import FormType, PageRole
from tests.extract.synthetic import Style, fax, fill_page, move

BLANK = np.full((2200, 1700), 255, dtype=np.uint8)


def _cover() -> np.ndarray:
    import cv2

    page = BLANK.copy()
    cv2.putText(page, "FAX COVER SHEET", (200, 300), cv2.FONT_HERSHEY_SIMPLEX, 3, 0, 6)
    for row in range(12):
        cv2.putText(
            page,
            f"To: clinic {row} from: lab, pages: 3",
            (200, 500 + 90 * row),
            cv2.FONT_HERSHEY_SIMPLEX,
            1.5,
            0,
            3,
        )
    return page


@pytest.mark.parametrize(
    "motion",
    [
        {"angle": 3.0},
        {"scale": 1.05, "shift": (30, 30)},
        {"scale": 0.95, "shift": (-30, 20)},
        {"quarter_turns": 2},
        {"quarter_turns": 1, "angle": -2.0},
    ],
    ids=["skew3", "scale105-shift", "scale95-shift", "rot180", "rot90-skew"],
)
def test_every_cdc_page_is_recognised_when_moved(index, cdc_pages, motion) -> None:  # type: ignore[no-untyped-def]
    for ref in cdc_pages:
        moved = fax(move(ref.image, **motion), seed=ref.number)
        found = classify_page(moved, index)
        assert found.role is PageRole.FORM
        assert found.key == ref.key
        assert found.homography is not None


def test_every_dhs_page_is_recognised(index) -> None:  # type: ignore[no-untyped-def]
    pages = [p for p in index.pages if p.key[0] is FormType.MDHHS_DHS1171]
    if not pages:
        pytest.skip("the DHS template is not in this checkout")
    rng = np.random.default_rng(5)
    for page in pages:
        moved = move(
            page.reference.image,
            angle=float(rng.uniform(-2, 2)),
            shift=(int(rng.integers(-30, 30)), int(rng.integers(-30, 30))),
        )
        found = classify_page(fax(moved, seed=page.key[1]), index)
        assert found.key == page.key, f"DHS page {page.key[1]} read as {found.key}"


def test_near_identical_person_pages_are_told_apart(index) -> None:  # type: ignore[no-untyped-def]
    groups = {g for g in index.siblings.values() if len(g) > 1}
    if not groups:
        pytest.skip("no near-identical template pages in this checkout")
    for group in groups:
        for key in group:
            moved = move(index.page(key).reference.image, angle=1.0, shift=(12, -8))
            assert classify_page(moved, index).key == key


def test_cover_blank_and_reordered_pages(index, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    page1, page2 = (fax(move(p.image, angle=1.5), seed=p.number) for p in cdc_pages)
    matches = classify_pages([_cover(), page2, BLANK, page1], index)
    assert [m.role for m in matches] == [
        PageRole.COVER,
        PageRole.FORM,
        PageRole.BLANK,
        PageRole.FORM,
    ]
    assert [m.template_page for m in matches] == [None, 2, None, 1]
    assert document_form_type(matches) is FormType.CDC_PUI_2020


def test_a_page_sent_twice_keeps_the_better_copy(index, cdc_pages) -> None:  # type: ignore[no-untyped-def]
    clean = cdc_pages[0].image
    noisy = fax(move(clean, angle=2.5, scale=0.96), seed=3, standard=True)
    matches = classify_pages([noisy, clean], index)
    assert matches[1].role is PageRole.FORM and matches[1].template_page == 1
    assert matches[0].role is PageRole.UNKNOWN


def test_unknown_document(index) -> None:  # type: ignore[no-untyped-def]
    matches = classify_pages([_cover(), BLANK], index)
    assert [m.role for m in matches] == [PageRole.COVER, PageRole.BLANK]
    assert document_form_type(matches) is FormType.UNKNOWN


def test_a_first_page_is_found_without_matching_every_template_page(
    index, cdc_pages, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Most documents start on a form's first page: it is tried before the search, so
    classifying it costs a match per form, not one per template page; any other page
    still gets the full search and is not taken for a first page."""
    import extract.classify as classify

    calls: list[int] = []
    real = classify.ratio_matches

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(classify, "ratio_matches", counted)
    monkeypatch.setattr("extract.align.ratio_matches", counted)
    first_pages = sum(1 for p in index.pages if p.key[1] == 1)
    first, second = cdc_pages[0], cdc_pages[1]
    found = classify_page(fax(move(first.image, angle=1.5), seed=3), index)
    assert found.key == first.key
    assert len(calls) <= first_pages + 2  # + a sibling check at most
    calls.clear()
    found = classify_page(fax(move(second.image, angle=1.5), seed=4), index)
    assert found.key == second.key
    assert len(calls) >= len(index.pages)


CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DENSE_WRITING = "東京都新宿区西新宿二丁目八番一号都庁第一本庁舎四十五階" * 3


def _densely_written(templates, page) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The page with every text field written full in 12 pt kanji and every option marked."""
    template = templates[page.key[0]]
    values = {
        spec.name: [o.value for o in spec.options] if spec.options else DENSE_WRITING
        for spec in template.fields_on_page(page.number)
    }
    return fill_page(
        page.image,
        template,
        page.number,
        values,
        dpi=200,
        style=Style(size_pt=12.0, face=str(CJK_FONT)),
    )


def test_a_page_that_matches_nothing_is_matched_again_against_its_best_ranked_pages_only(
    index, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """GIVEN a fax cover sheet (no template page), WHEN it is classified, THEN every
    template page is matched once with the first keypoints (a first page's pairs are not
    computed again for the search) and only RETRY_POOL pages, with their siblings, again
    with RETRY_FEATURES; before, every page was matched twice more."""
    import extract.classify as classify

    if len(index.pages) <= classify.RETRY_POOL:
        pytest.skip("too few template pages for a pool smaller than the index")
    queries: list[int] = []  # which keypoint set each match used: 0 first, 1 the retry's
    retry_sets: list[object] = []
    real_matches, real_features = classify.ratio_matches, classify.page_features

    def counted(query, ref):  # type: ignore[no-untyped-def]
        queries.append(int(any(query is made for made in retry_sets)))
        return real_matches(query, ref)

    def tagged(image, **kwargs):  # type: ignore[no-untyped-def]
        features = real_features(image, **kwargs)
        if kwargs.get("features", classify.ORB_FEATURES) != classify.ORB_FEATURES:
            retry_sets.append(features)
        return features

    monkeypatch.setattr(classify, "ratio_matches", counted)
    monkeypatch.setattr(classify, "page_features", tagged)
    found = classify_page(_cover(), index)
    assert found.role is PageRole.UNKNOWN
    assert queries.count(0) == len(index.pages)
    most_siblings = max((len(group) for group in index.siblings.values()), default=1)
    assert 0 < queries.count(1) <= classify.RETRY_POOL * most_siblings
    assert queries.count(1) < len(index.pages)


def test_a_densely_written_page_that_matches_nothing_is_found_with_more_keypoints(  # type: ignore[no-untyped-def]
    templates, cdc_pages, cache_root, monkeypatch
) -> None:
    """GIVEN the CDC first page written full in kanji (whose corners outnumber and outscore
    the print's) and faxed at standard resolution, and a threshold it misses with as many
    keypoints as the reference has, WHEN it is classified, THEN the retry with
    RETRY_FEATURES finds its page above that threshold; with no more keypoints than the
    reference (what classification did before the retry) it is unknown."""
    import extract.classify as classify

    if not CJK_FONT.is_file():
        pytest.skip("no CJK font installed")
    cdc = {FormType.CDC_PUI_2020: templates[FormType.CDC_PUI_2020]}
    page = cdc_pages[0]
    image = fax(move(_densely_written(templates, page), angle=1.0), seed=1, standard=True)
    retry_features = classify.RETRY_FEATURES
    monkeypatch.setattr(classify, "MATCH_MIN_SCORE", 1.5 * classify.MATCH_MIN_SCORE)

    def classified(features: int) -> classify.PageMatch:
        monkeypatch.setattr(classify, "RETRY_FEATURES", features)
        monkeypatch.setattr(classify, "_INDEX_CACHE", {})  # self-inliers depend on it
        index = classify.build_index(cdc, dpi=200, cache_root=cache_root)
        return classify_page(image, index)

    without = classified(classify.ORB_FEATURES)
    assert without.role is PageRole.UNKNOWN
    found = classified(retry_features)
    assert found.key == page.key and found.score >= classify.MATCH_MIN_SCORE
