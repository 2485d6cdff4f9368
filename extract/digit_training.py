"""Training the comb-box digit classifier (:mod:`extract.digits`) from rendered digits.

The training data is made here, from the font faces the machine has (DejaVu, Liberation,
Noto Mono and the URW base-35 faces that stand in for Helvetica, Times and Courier when a
filled PDF is rendered) and the hand-printed faces of the generator's *tune* split
(``samples/splits.yaml``; the *locked* split's faces are never trained on, so that they
measure how well the model reads hands it never saw): each digit is drawn at 20-41 px
(8-15 pt at 200 dpi; 24-48 px in a hand face, whose digits are smaller), tilted, blurred,
halved in vertical resolution like a standard fax, binarised, thinned or thickened, and
given the damage a box cell shows after the blank form is subtracted — specks, the tail
of a fax streak, a remnant of the box's floor. A hand-printed face is drawn more often
and varied the way one pen differs from another: its slant, its stroke width, its
proportions and the wobble of its strokes. No filled form is used, so the model is not
fitted to faxflow's own sample generator.

scikit-learn trains the perceptrons (``pip install -e '.[train]'``); only their weights
are kept, so reading needs NumPy only.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from extract.digits import NOT_A_DIGIT, DigitModel, glyph_features, glyph_of, save_digit_model

TYPED_FONT_GLOBS = (
    "/usr/share/fonts/truetype/dejavu/*.ttf",
    "/usr/share/fonts/truetype/liberation/*.ttf",
    "/usr/share/fonts/truetype/noto/*.ttf",
    "/usr/share/fonts/opentype/urw-base35/*.otf",
)
# Faces without ordinary digits (symbols, dingbats, math, a chancery script).
SKIP_FACES = ("Math", "Symbol", "D050000L", "Z003")
CELL_W, CELL_H = 35, 50  # a DHS-1171 box cell at 200 dpi, as read_comb cuts it
HIDDEN_LAYERS = (192, 64)
# What else people write among digits; class NOT_A_DIGIT learns them, so that a date's
# slashes or a phone number's brackets are told apart from 1s and 7s.
OTHER_MARKS = "/-().,:"
SLASH_SHARE = 0.5
SEEDS = (0, 1, 2)
HAND_SPLIT = "tune"  # the split whose hand-printed faces are trained on (never "locked")
HAND_WEIGHT = 8
"""A hand-printed face is rendered this many times as often as a typed one: the typed
faces are many and alike, the hand faces few and each unlike the others."""


def typed_fonts() -> list[Path]:
    """Every usable typed font face on this machine, in a stable order."""
    found = []
    for pattern in TYPED_FONT_GLOBS:
        folder, glob = pattern.rsplit("/", 1)
        found += [
            p for p in sorted(Path(folder).glob(glob)) if not any(s in p.name for s in SKIP_FACES)
        ]
    return found


def hand_fonts() -> list[Path]:
    """The hand-printed faces of the generator's tune split, as ``splits.yaml`` lists them
    (a missing face is a :class:`~faxflow.errors.ConfigError`)."""
    from samples.splits import font_path, get_split

    return [Path(font_path(name)) for name in get_split(HAND_SPLIT).spec.hand_fonts]


def training_fonts() -> list[Path]:
    """The typed faces, then the tune split's hand-printed ones."""
    return typed_fonts() + hand_fonts()


def render_digit(
    rng: np.random.Generator, font: Path, digit: int | str, *, hand: bool = False
) -> np.ndarray:
    """One damaged rendering of ``digit`` (or another mark) in ``font`` on a white cell
    (uint8, ink dark); a ``hand`` face is also varied as one writer differs from another."""
    # Hand-printed faces draw their digits smaller for the same size in points.
    face = ImageFont.truetype(
        str(font), int(rng.integers(24, 49) if hand else rng.integers(20, 42))
    )
    canvas = Image.new("L", (CELL_W * 2, CELL_H * 2), 255)
    ImageDraw.Draw(canvas).text(
        (CELL_W * 0.6 + int(rng.integers(-3, 4)), CELL_H * 0.5 + int(rng.integers(-4, 5))),
        str(digit),
        font=face,
        fill=int(rng.integers(0, 70)),
    )
    image = np.array(canvas)
    turn = cv2.getRotationMatrix2D((CELL_W, CELL_H), float(rng.normal(0, 1.5)), 1.0)
    turn[0, 1] += float(rng.normal(0, 0.05))  # shear: slanted typewriters, skewed feeds
    if hand:
        image = _as_another_writer(rng, image)
        turn = cv2.getRotationMatrix2D((CELL_W, CELL_H), float(rng.normal(0, 3.0)), 1.0)
        # Writers lean either way, but a 1 leaning as far as a slash would be one.
        turn[0, 1] += float(rng.normal(0, 0.08))
        turn[0, :] = turn[0, :] * float(rng.uniform(0.8, 1.2))  # narrow or wide hands
    image = cv2.warpAffine(image, turn, (CELL_W * 2, CELL_H * 2), borderValue=255)
    if rng.random() < 0.6:
        image = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.3, 1.2)))
    if rng.random() < 0.3:  # standard fax: half the vertical resolution
        half = cv2.resize(
            image, (image.shape[1], image.shape[0] // 2), interpolation=cv2.INTER_AREA
        )
        image = cv2.resize(half, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_NEAREST)
    if rng.random() < 0.5:  # a fax is black and white
        image = np.where(image < rng.uniform(110, 200), 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        kernel = np.ones((2, 2), np.uint8)
        image = cv2.erode(image, kernel) if rng.random() < 0.5 else cv2.dilate(image, kernel)
    _damage(rng, image)
    return image


WOBBLE_SMOOTHING_PX = 8.0  # the distortion bends whole strokes, not single pixels
WOBBLE_PX = 2.5  # how far at most a stroke is bent


def _as_another_writer(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """The glyph as another pen writes it: its strokes bent a little by a smooth random
    field (loops open or close, strokes bow) and drawn with the face's pen or a broader one."""
    height, width = image.shape
    shift = []
    for _ in range(2):
        field = cv2.GaussianBlur(
            rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), WOBBLE_SMOOTHING_PX
        )
        field = field * (float(rng.uniform(0, WOBBLE_PX)) / (float(np.abs(field).max()) + 1e-6))
        shift.append(field)
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    image = cv2.remap(image, xs + shift[0], ys + shift[1], cv2.INTER_LINEAR, borderValue=(255,))
    # The faces are drawn with fine pens already; thinning them more erases strokes.
    pen = int(rng.integers(0, 3))  # 0: the face's own pen; 1, 2: a broader one
    if pen:
        image = cv2.erode(image, np.ones((pen + 1, pen + 1), np.uint8))
    return image


def _damage(rng: np.random.Generator, image: np.ndarray) -> None:
    """What subtraction leaves around a digit in a box, drawn in place."""
    ys, xs = np.nonzero(image < 128)
    if len(xs) and rng.random() < 0.15:  # the tail of a fax streak above or below
        x = int(rng.integers(xs.min(), xs.max() + 1))
        length = int(rng.integers(3, 10))
        if rng.random() < 0.5:
            image[ys.max() : ys.max() + length, x : x + 1] = 0
        else:
            image[max(0, ys.min() - length) : ys.min(), x : x + 1] = 0
    if len(xs) and rng.random() < 0.1:  # a remnant of the box's floor (and a corner)
        y = int(ys.max() + rng.integers(2, 7))
        x0 = max(0, int(xs.min() - rng.integers(0, 8)))
        x1 = int(xs.max() + rng.integers(0, 8))
        image[y : y + int(rng.integers(1, 3)), x0:x1] = 0
        if rng.random() < 0.5:
            image[max(0, y - int(rng.integers(3, 8))) : y + 1, x0 : x0 + 2] = 0
    if rng.random() < 0.3:  # specks
        for _ in range(int(rng.integers(1, 4))):
            y, x = int(rng.integers(0, image.shape[0])), int(rng.integers(0, image.shape[1]))
            image[y : y + 2, x : x + 2] = 0
    if len(xs) and rng.random() < 0.2:  # a streak through the glyph
        x = int(rng.integers(xs.min(), xs.max() + 1))
        y0 = max(0, int(ys.min() - rng.integers(0, 12)))
        y1 = int(ys.max() + rng.integers(0, 12))
        image[y0:y1, x : x + int(rng.integers(1, 3))] = 0


def _other_mark(rng: np.random.Generator) -> str:
    """A mark written among digits: half of them slashes, which dates are full of and
    which a hand-printed 1 resembles; the rest any of :data:`OTHER_MARKS`."""
    if rng.random() < SLASH_SHARE:
        return "/"
    return OTHER_MARKS[int(rng.integers(len(OTHER_MARKS)))]


def training_set(
    fonts: Sequence[Path], per_font: int, seed: int, *, hands: Sequence[Path] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows and labels: ``per_font`` renderings of each digit per face (``HAND_WEIGHT``
    times as many per face of ``hands``, the hand-printed faces among ``fonts``), and as many
    of other marks (label NOT_A_DIGIT)."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for font in fonts:
        hand = font in hands
        for label in range(NOT_A_DIGIT + 1):
            for _ in range(per_font * HAND_WEIGHT if hand else per_font):
                mark: int | str = label
                if label == NOT_A_DIGIT:
                    mark = _other_mark(rng)
                glyph = glyph_of(render_digit(rng, font, mark, hand=hand))
                if glyph is not None:
                    rows.append(glyph_features(glyph))
                    labels.append(label)
    return np.stack(rows), np.asarray(labels, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class TrainingReport:
    fonts: int
    hand_fonts: int
    samples: int
    held_out: int
    held_out_accuracy: float
    hand_held_out: int  # of ``held_out``, renderings in the hand-printed faces
    hand_held_out_accuracy: float  # 0.0 when no hand-printed face was trained on


def train_digit_model(
    out: Path,
    *,
    fonts: Sequence[Path] | None = None,
    hands: Sequence[Path] | None = None,
    per_font: int = 30,
    seeds: Sequence[int] = SEEDS,
    hidden_layers: tuple[int, ...] = HIDDEN_LAYERS,
) -> TrainingReport:
    """Train one perceptron per seed on fresh renderings, write the ensemble to ``out``
    and score it on renderings none of them saw (another seed).

    Without ``fonts``, the typed faces and the tune split's hand-printed faces are used;
    ``hands`` names the hand-printed faces among ``fonts`` (default: those of the tune
    split when ``fonts`` is not given, none otherwise)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    if fonts is None:
        hands = hand_fonts() if hands is None else hands
        fonts = typed_fonts() + list(hands)
    fonts, hands = list(fonts), [h for h in (hands or ()) if h in fonts]
    if not fonts:
        raise FileNotFoundError("no font faces found under " + ", ".join(TYPED_FONT_GLOBS))
    members = []
    samples = 0
    for seed in seeds:
        rows, labels = training_set(fonts, per_font, seed, hands=hands)
        samples += len(labels)
        net = MLPClassifier(
            hidden_layer_sizes=hidden_layers, alpha=1e-3, max_iter=400, random_state=seed
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit(rows, labels)
        members.append(tuple(zip(net.coefs_, net.intercepts_, strict=True)))
    about: dict[str, object] = {
        "fonts": [f.name for f in fonts],
        "hand_fonts": [f.name for f in hands],
        "hand_weight": HAND_WEIGHT,
        "per_font": per_font,
        "seeds": list(seeds),
        "hidden_layers": list(hidden_layers),
    }
    save_digit_model(out, members, about)
    model = DigitModel(
        members=tuple(
            tuple((np.asarray(w, np.float32), np.asarray(b, np.float32)) for w, b in m)
            for m in members
        ),
        about=about,
    )
    held_out_per_font = max(2, per_font // 5)
    held_out_seed = max(seeds) + 1000
    typed = [f for f in fonts if f not in hands]
    rows, labels = training_set(typed, held_out_per_font, seed=held_out_seed)
    right = int((model.probabilities(rows).argmax(axis=1) == labels).sum())
    held_out = len(labels)
    hand_right = hand_count = 0
    if hands:
        rows, labels = training_set(hands, held_out_per_font, seed=held_out_seed, hands=hands)
        hand_right = int((model.probabilities(rows).argmax(axis=1) == labels).sum())
        hand_count = len(labels)
    return TrainingReport(
        fonts=len(fonts),
        hand_fonts=len(hands),
        samples=samples,
        held_out=held_out + hand_count,
        held_out_accuracy=(right + hand_right) / max(1, held_out + hand_count),
        hand_held_out=hand_count,
        hand_held_out_accuracy=hand_right / hand_count if hand_count else 0.0,
    )
