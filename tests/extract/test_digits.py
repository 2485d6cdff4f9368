"""The comb-box digit classifier: glyph cutting, the shipped model, saving and training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from extract.digit_training import (
    hand_fonts,
    render_digit,
    train_digit_model,
    training_fonts,
    typed_fonts,
)
from extract.digits import (
    GLYPH_PX,
    MODEL_PATH,
    DigitModel,
    glyph_features,
    glyph_of,
    load_digit_model,
    read_digit_cells,
    save_digit_model,
)
from samples.splits import get_split
from tests.extract.synthetic import fax

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FACES = [
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),  # dotted zero
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf"),
]


def _cell(digit: str, font: Path = DEJAVU, size: int = 28) -> np.ndarray:
    """A clean 35 x 50 box cell with one typed digit, as read_comb cuts them."""
    image = Image.new("L", (35, 50), 255)
    ImageDraw.Draw(image).text((9, 10), digit, font=ImageFont.truetype(str(font), size), fill=0)
    return np.array(image)


def test_a_white_cell_or_a_speck_is_no_glyph() -> None:
    assert glyph_of(np.full((50, 35), 255, np.uint8)) is None
    specked = np.full((50, 35), 255, np.uint8)
    specked[20:22, 10:12] = 0  # four pixels: below MIN_GLYPH_PIXELS
    assert glyph_of(specked) is None
    assert glyph_of(np.zeros((0, 0), np.uint8)) is None


def test_a_glyph_is_scaled_into_its_square_whatever_the_size() -> None:
    small, large = glyph_of(_cell("4", size=20)), glyph_of(_cell("4", size=32))
    assert small is not None and large is not None
    assert small.image.shape == (GLYPH_PX, GLYPH_PX) and small.image.max() == pytest.approx(1.0)
    # the same shape at two sizes: nearly the same normalised image
    assert float(np.abs(small.image - large.image).mean()) < 0.08
    one, eight = glyph_of(_cell("1")), glyph_of(_cell("8"))
    assert one is not None and eight is not None and one.aspect < eight.aspect


def test_a_streak_tail_below_the_digit_does_not_shrink_it() -> None:
    cell = _cell("8")
    plain = glyph_of(cell)
    rows = np.nonzero((cell < 128).any(axis=1))[0]
    columns = np.nonzero((cell < 128).any(axis=0))[0]
    tailed = cell.copy()
    x = int(columns.mean())
    tailed[rows.max() : rows.max() + 6, x] = 0  # a 1 px fax streak running on below
    cut = glyph_of(tailed)
    assert plain is not None and cut is not None
    assert float(np.abs(plain.image - cut.image).mean()) < 0.03


def test_specks_beside_the_digit_are_left_out() -> None:
    cell = _cell("7")
    plain = glyph_of(cell)
    specked = cell.copy()
    specked[2:4, 1:3] = 0  # a speck in the box's corner, far from the glyph
    with_speck = glyph_of(specked)
    assert plain is not None and with_speck is not None
    assert np.array_equal(plain.image, with_speck.image)


def test_features_are_a_fixed_length_vector_of_finite_numbers() -> None:
    glyph = glyph_of(_cell("5"))
    assert glyph is not None
    features = glyph_features(glyph)
    assert features.shape == glyph_features(glyph_of(_cell("2")) or glyph).shape
    assert features.dtype == np.float32 and np.isfinite(features).all()


def test_the_shipped_model_reads_clean_digits_in_common_faces() -> None:
    cells = [_cell(str(d), face, size) for face in FACES for size in (24, 32) for d in range(10)]
    truth = [str(d) for _ in FACES for _ in (24, 32) for d in range(10)]
    guesses = read_digit_cells(cells)
    right = sum(g is not None and g.digit == t for g, t in zip(guesses, truth, strict=True))
    assert right >= 0.98 * len(truth), f"{right} of {len(truth)}"


def test_the_shipped_model_reads_damaged_renderings_it_never_saw() -> None:
    # Another seed than training used: fresh tilts, blurs, specks and fax halving.
    rng = np.random.default_rng(20261127)
    faces = [f for f in training_fonts() if f.suffix == ".ttf"][:12]
    assert faces, "no DejaVu or Liberation faces installed"
    cells, truth = [], []
    for face in faces:
        for digit in range(10):
            cells.append(render_digit(rng, face, digit))
            truth.append(str(digit))
    guesses = read_digit_cells(cells)
    right = sum(g is not None and g.digit == t for g, t in zip(guesses, truth, strict=True))
    assert right >= 0.93 * len(truth), f"{right} of {len(truth)}"


def test_blank_cells_get_no_guess_and_keep_their_place() -> None:
    blank = np.full((50, 35), 255, np.uint8)
    guesses = read_digit_cells([_cell("3"), blank, _cell("9")])
    assert guesses[1] is None
    assert guesses[0] is not None and guesses[0].digit == "3"
    assert guesses[2] is not None and guesses[2].digit == "9"
    assert 0.0 < guesses[0].probability <= 1.0
    assert read_digit_cells([blank, blank]) == [None, None]


def test_saved_models_load_without_pickle_and_give_the_same_probabilities(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    layers = (
        (rng.normal(size=(4, 3)), rng.normal(size=3)),
        (rng.normal(size=(3, 10)), rng.normal(size=10)),
    )
    path = tmp_path / "model.npz"
    save_digit_model(path, [layers], {"note": "test"})
    model = load_digit_model(path)
    direct = DigitModel(members=(layers,), about={})
    rows = rng.normal(size=(5, 4))
    assert model.about == {"note": "test"}
    np.testing.assert_allclose(model.probabilities(rows), direct.probabilities(rows), rtol=1e-5)
    np.testing.assert_allclose(model.probabilities(rows).sum(axis=1), 1.0)
    with np.load(path, allow_pickle=False) as data:  # nothing in it needs pickle
        assert set(data.files) == {"about", "m0_w0", "m0_b0", "m0_w1", "m0_b1"}


def test_a_file_without_members_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "empty.npz"
    np.savez_compressed(path, about=np.array("{}"))
    with pytest.raises(ValueError, match="no digit model"):
        load_digit_model(path)


def test_the_shipped_model_says_how_it_was_trained() -> None:
    about = load_digit_model(MODEL_PATH).about
    assert len(about["fonts"]) >= 40  # type: ignore[arg-type]
    assert about["hidden_layers"] == [192, 64]
    assert about["hand_fonts"] == [f.name for f in hand_fonts()]


def test_only_the_tune_splits_hand_printed_faces_are_trained_on() -> None:
    """The locked split's faces measure how the model reads hands it never saw."""
    names = {f.name for f in training_fonts()}
    assert {f.name for f in hand_fonts()} == {
        Path(f).name for f in get_split("tune").spec.hand_fonts
    }
    assert {f.name for f in hand_fonts()} <= names
    locked = get_split("locked").spec
    assert not names & {Path(f).name for f in (*locked.hand_fonts, *locked.typed_fonts)}
    assert not set(typed_fonts()) & set(hand_fonts())


def _hand_printed_boxes(face: Path, written: str, seed: int) -> list[np.ndarray]:
    """``written`` printed one digit per 35 x 50 box in a hand-printed ``face`` at the
    sizes hand-printing runs to (9-13 pt at 200 dpi), the row faxed at standard
    resolution, then cut into its box cells."""
    rng = np.random.default_rng(seed)
    row = Image.new("L", (35 * len(written), 50), 255)
    draw = ImageDraw.Draw(row)
    for k, digit in enumerate(written):
        size = int(rng.integers(25, 37))
        centre = (35 * k + 17 + int(rng.integers(-3, 4)), 27 + int(rng.integers(-3, 4)))
        draw.text(centre, digit, font=ImageFont.truetype(str(face), size), fill=0, anchor="mm")
    faxed = fax(np.array(row), seed=seed, standard=True)
    return [faxed[:, 35 * k : 35 * (k + 1)] for k in range(len(written))]


@pytest.mark.parametrize("face", hand_fonts(), ids=lambda f: f.stem)
def test_the_shipped_model_reads_faxed_hand_printed_digits(face: Path) -> None:
    """GIVEN a phone number and a date printed by hand in a tune-split face and faxed,
    WHEN the boxes are read one by one, THEN the digits are the ones written, and a
    digit read wrong is never read surely."""
    written = "98965531740" + "2019032947"
    guesses = read_digit_cells(_hand_printed_boxes(face, written, seed=11), digits_only=True)
    read = "".join(g.digit if g is not None else "?" for g in guesses)
    right = sum(a == b for a, b in zip(read, written, strict=True))
    assert right >= len(written) - 1, f"{read} for {written}"
    wrong_but_sure = [
        g
        for g, t in zip(guesses, written, strict=True)
        if g and g.digit != t and g.probability > 0.9
    ]
    assert not wrong_but_sure


def test_training_writes_a_model_that_reads_its_own_faces(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "digits.npz"
    report = train_digit_model(
        out, fonts=[DEJAVU, FACES[2]], per_font=12, seeds=(0,), hidden_layers=(32,)
    )
    assert report.fonts == 2 and report.samples > 200
    assert 0.5 < report.held_out_accuracy <= 1.0
    model = load_digit_model(out)
    assert model.about["fonts"] == [DEJAVU.name, FACES[2].name]
    guesses = read_digit_cells([_cell(str(d)) for d in range(10)], model)
    assert sum(g is not None and g.digit == str(d) for d, g in enumerate(guesses)) >= 8


def test_training_is_the_same_for_the_same_seeds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Renderings and perceptrons come from fixed seeds: training twice on the same faces,
    hand-printed ones included, writes the same weights."""
    hand = hand_fonts()[-1]
    paths = [tmp_path / "one.npz", tmp_path / "two.npz"]
    for path in paths:
        report = train_digit_model(
            path, fonts=[DEJAVU, hand], hands=[hand], per_font=2, seeds=(5,), hidden_layers=(16,)
        )
    assert report.hand_fonts == 1 and 0 < report.hand_held_out < report.held_out
    one, two = (load_digit_model(p) for p in paths)
    assert one.about == two.about and one.about["hand_fonts"] == [hand.name]
    for (w1, b1), (w2, b2) in zip(one.members[0], two.members[0], strict=True):
        assert np.array_equal(w1, w2) and np.array_equal(b1, b2)


def test_the_train_command_writes_a_model_and_says_how_well_it_reads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from faxflow.cli import app

    out = tmp_path / "digits.npz"
    result = CliRunner().invoke(app, ["digits", "train", "--out", str(out), "--per-font", "1"])
    assert result.exit_code == 0, result.output
    assert "held-out renderings read right" in result.output
    assert len(load_digit_model(out).members) == 3


def test_slashes_and_brackets_are_told_apart_from_digits() -> None:
    marks = [_cell(m, face) for m in "/()" for face in FACES]
    guesses = read_digit_cells(marks)
    assert sum(g is not None and g.digit == "" for g in guesses) >= 0.8 * len(marks)
    # a comb box holds a digit whatever it looks like: the best digit is given
    forced = read_digit_cells(marks, digits_only=True)
    assert all(g is not None and g.digit.isdigit() for g in forced)


def test_training_without_scikit_learn_says_what_to_install(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    from typer.testing import CliRunner

    from faxflow.cli import app

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "sklearn" else real(name, *a)
    )
    result = CliRunner().invoke(app, ["digits", "train", "--out", str(tmp_path / "m.npz")])
    assert result.exit_code == 4
    assert "pip install -e '.[train]'" in result.output
    assert not (tmp_path / "m.npz").exists()
