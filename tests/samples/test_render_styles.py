"""A split's writing styles really show on the rendered page: block capitals, writing past
the box, words off the baseline, and marks anywhere in, across or around the box."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from samples.layout import CheckSlot
from samples.render import Hand, Writer
from samples.splits import FONT_ROOT, MARK_STYLES

DPI = 200
PX = DPI / 72
BOX = (100.0, 100.0, 110.0, 110.0)  # a printed 10 pt check box, in points
HAND = Hand(
    font=str(FONT_ROOT / "opentype/bwht/BecauseWeBuild-Regular.otf"),
    points=11.0,
    ink=0,
    mark="x",
    date_style="m/d/yy",
    classic=False,
)


def _page() -> Image.Image:
    return Image.new("L", (round(300 * PX), round(200 * PX)), 255)


def _write(hand: Hand, text: str, box: tuple[float, float, float, float], seed: int = 1):
    page = _page()
    Writer([page], dpi=DPI, hand=hand, rng=np.random.default_rng(seed)).text_in(1, box, text)
    return np.asarray(page) < 128


def _mark(mark: str, seed: int) -> np.ndarray:
    """The ink of one mark on an empty page (the printed square itself is not drawn)."""
    page = _page()
    hand = dataclasses.replace(HAND, mark=mark)
    Writer([page], dpi=DPI, hand=hand, rng=np.random.default_rng(seed)).check(CheckSlot(1, BOX))
    return np.asarray(page) < 128


def _box_px(inset: float = 0.0) -> tuple[int, int, int, int]:
    x0, top, x1, bottom = (round(v * PX) for v in BOX)
    i = round(inset * PX)
    return x0 + i, top + i, x1 - i, bottom - i


def test_an_overflowing_hand_writes_past_the_box_and_a_fitting_one_does_not() -> None:
    box = (20.0, 40.0, 70.0, 60.0)  # 50 pt: room for this name only when shrunk to fit
    text = "Kalamazoo Co. HD"
    right_edge = round(box[2] * PX)
    fitting = _write(HAND, text, box)
    assert fitting.any() and not fitting[:, right_edge + 2 :].any()
    overflowing = _write(dataclasses.replace(HAND, overflow=True), text, box)
    past = np.nonzero(overflowing[:, right_edge + 2 :].any(axis=0))[0]
    assert len(past) and past.max() > 5 * PX  # letters more than 5 pt past the edge


def test_a_block_capital_hand_writes_upper_case() -> None:
    box = (20.0, 40.0, 200.0, 60.0)
    capitals = _write(dataclasses.replace(HAND, block_capitals=True), "Maria O'Brien", box)
    assert np.array_equal(capitals, _write(HAND, "MARIA O'BRIEN", box))
    assert not np.array_equal(capitals, _write(HAND, "Maria O'Brien", box))


def test_a_drifting_hand_leaves_the_baseline_word_by_word() -> None:
    typed = dataclasses.replace(HAND, font=str(FONT_ROOT / "truetype/dejavu/DejaVuSans.ttf"))
    box = (20.0, 40.0, 280.0, 60.0)
    text = "ILIL LILI ILLI LLII IILL"  # every column of I and L ends on the baseline

    def bottoms(ink: np.ndarray) -> np.ndarray:
        """The lowest ink row of every inked column."""
        columns = np.nonzero(ink.any(axis=0))[0]
        return np.array([np.nonzero(ink[:, c])[0].max() for c in columns])

    straight = bottoms(_write(typed, text, box, seed=3))
    drifting = bottoms(_write(dataclasses.replace(typed, drift=1.6), text, box, seed=3))
    assert np.ptp(straight) <= 1
    assert np.ptp(drifting) >= 3  # about a point at 200 dpi


def test_a_circle_goes_around_the_box_and_leaves_it_empty() -> None:
    x0, top, x1, bottom = _box_px()
    for seed in range(30):
        ink = _mark("circle", seed)
        assert not ink[top - 1 : bottom + 2, x0 - 1 : x1 + 2].any(), seed
        rows, cols = np.nonzero(ink)
        assert rows.min() < top and rows.max() > bottom and cols.min() < x0 and cols.max() > x1


def test_a_thin_tick_covers_about_a_quarter_of_the_box() -> None:
    x0, top, x1, bottom = _box_px()
    box_area = (x1 - x0) * (bottom - top)
    for seed in range(30):
        rows, cols = np.nonzero(_mark("thin_tick", seed))
        extent = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
        assert 0.1 * box_area <= extent <= 0.5 * box_area, seed


@pytest.mark.parametrize("mark", [m for m in MARK_STYLES if m not in {"circle", "thin_tick"}])
def test_marks_land_anywhere_and_sometimes_spill_over_the_border(mark: str) -> None:
    x0, top, x1, bottom = _box_px()
    side = x1 - x0
    centres, spilled = [], 0
    for seed in range(40):
        ink = _mark(mark, seed)
        rows, cols = np.nonzero(ink)
        assert len(rows), seed
        centres.append((cols.mean(), rows.mean()))
        inside = ink[top:bottom, x0:x1].sum()
        assert inside > 0, seed  # a mark in or across the square, never beside it
        spilled += inside < ink.sum()
    spread = np.ptp(np.array(centres), axis=0)
    assert (spread > 0.35 * side).all()  # not centred: the centre wanders over the box
    assert 4 <= spilled < 40  # some spill over the border, not all
