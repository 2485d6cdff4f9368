"""The tune / locked split of the generator's styles, read from ``samples/splits.yaml``.

A *split* names the fonts, hand-printed faces and name locales its documents may use and
the range its seeds come from; the classes of style (typed and hand-printed writing, block
capitals, overflow, drift, every mark style, the wider value styles) are shared, with their
shares, by both. Extraction may be tuned on the ``tune`` split; the ``locked`` split is for
measuring only. ``classic`` is the generator as it was before the split (DejaVu and
Liberation, centred marks, census-like values): the committed ``samples/set`` was made with
it, and :data:`CLASSIC` selects it.

Each document draws one :class:`WritingStyle` from its split; the truth file records it so
evaluation can group by it. A copy of a Japanese form pack (:mod:`samples.pack_fill`) draws
a :class:`JapaneseHand` instead, from the split's ``jp_*`` fonts and ranges: typed faces are
disjoint between splits like the others; the one allowed hand-printed Japanese face is
shared, and the splits' hands then differ in size and drift (``splits.yaml`` says why).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from faxflow.errors import ConfigError

SPLITS_FILE = Path(__file__).with_name("splits.yaml")
FONT_ROOT = Path("/usr/share/fonts")
CLASSIC = "classic"  # the generator before the split; not in splits.yaml
TYPED = "typed"
HAND_PRINTED = "hand_printed"
WRITINGS = (TYPED, HAND_PRINTED)
MARK_STYLES = ("x", "tick", "thin_tick", "fill", "circle", "slash")
DATE_STYLES = (
    "mm/dd/yyyy", "m/d/yy", "m/d/yyyy", "m-d-yyyy", "mm-dd-yy", "iso", "long", "short_month",
)  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerWriting(_Strict):
    typed: float = Field(ge=0, le=1)
    hand_printed: float = Field(ge=0, le=1)

    def of(self, writing: str) -> float:
        return self.typed if writing == TYPED else self.hand_printed


class StyleShares(_Strict):
    hand_printed_share: float = Field(ge=0, le=1)
    block_capitals_share: PerWriting
    overflow_share: PerWriting
    drift_share: PerWriting
    marks: tuple[str, ...]
    date_styles: dict[str, float]
    jp_full_width_share: PerWriting  # Japanese copies: digits and letters full-width

    @model_validator(mode="after")
    def _known(self) -> StyleShares:
        unknown = set(self.marks) - set(MARK_STYLES) | set(self.date_styles) - set(DATE_STYLES)
        if unknown:
            raise ValueError(f"unknown mark or date styles: {sorted(unknown)}")
        if not self.marks or sum(self.date_styles.values()) <= 0:
            raise ValueError("marks and date_styles must not be empty")
        return self


class ValueShares(_Strict):
    other_locale_name_share: float = Field(ge=0, le=1)
    modern_given_name_share: float = Field(ge=0, le=1)
    hyphenated_surname_share: float = Field(ge=0, le=1)
    apostrophe_surname_share: float = Field(ge=0, le=1)
    unrelated_email_share: float = Field(ge=0, le=1)
    other_id_shape_share: float = Field(ge=0, le=1)


Span = tuple[float, float]


class SplitSpec(_Strict):
    seed_offset: int = Field(ge=0)
    typed_fonts: tuple[str, ...] = Field(min_length=1)
    hand_fonts: tuple[str, ...] = Field(min_length=1)
    name_locales: tuple[str, ...] = Field(min_length=1)
    # Japanese packs: a face is a path under FONT_ROOT, "#<index>" for a face of a .ttc
    jp_typed_fonts: tuple[str, ...] = Field(min_length=1)
    jp_hand_fonts: tuple[str, ...] = Field(min_length=1)
    jp_typed_points: Span
    jp_hand_points: Span
    jp_hand_char_size: float = Field(ge=0, le=0.3)
    jp_hand_drift: Span

    @model_validator(mode="after")
    def _ordered(self) -> SplitSpec:
        for span in (self.jp_typed_points, self.jp_hand_points, self.jp_hand_drift):
            if not 0 <= span[0] <= span[1]:
                raise ValueError(f"range {list(span)} must be 0 <= low <= high")
        return self


class SplitsFile(_Strict):
    seed_span: int = Field(gt=0)
    splits: dict[str, SplitSpec]
    styles: StyleShares
    values: ValueShares

    @model_validator(mode="after")
    def _disjoint(self) -> SplitsFile:
        if CLASSIC in self.splits:
            raise ValueError(f"{CLASSIC!r} is the generator before the split, not a split")
        names = sorted(self.splits)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                one, two = self.splits[a], self.splits[b]
                shared = (
                    set(one.typed_fonts) & set(two.typed_fonts)
                    | set(one.hand_fonts) & set(two.hand_fonts)
                    | set(one.name_locales) & set(two.name_locales)
                )
                shared |= set(one.jp_typed_fonts) & set(two.jp_typed_fonts)
                if shared:
                    raise ValueError(f"splits {a} and {b} share {sorted(shared)}")
                # one hand-printed Japanese face is allowed (splits.yaml): splits sharing it
                # must at least write it differently
                same_hand = (one.jp_hand_points, one.jp_hand_drift) == (
                    two.jp_hand_points,
                    two.jp_hand_drift,
                )
                if set(one.jp_hand_fonts) & set(two.jp_hand_fonts) and same_hand:
                    raise ValueError(
                        f"splits {a} and {b} share a Japanese hand face at the same sizes and drift"
                    )
                if abs(one.seed_offset - two.seed_offset) < self.seed_span:
                    raise ValueError(f"splits {a} and {b} have overlapping seed ranges")
        return self


@dataclass(frozen=True, slots=True)
class Split:
    """One split with the shared style and value shares."""

    name: str
    spec: SplitSpec
    styles: StyleShares
    values: ValueShares
    seed_span: int

    def document_seed(self, seed: int) -> int:
        """The seed documents of run seed ``seed`` are made from: in this split's range."""
        if not 0 <= seed < self.seed_span:
            raise ConfigError(f"--seed must be in 0..{self.seed_span - 1} for a split")
        return self.spec.seed_offset + seed

    def seed_range(self) -> range:
        return range(self.spec.seed_offset, self.spec.seed_offset + self.seed_span)


@dataclass(frozen=True, slots=True)
class WritingStyle:
    """How one document is written; recorded in its truth file as ``writing``."""

    writing: str  # "typed" or "hand_printed"
    font: str  # absolute path of the face
    block_capitals: bool
    overflow: bool
    drift: bool
    mark: str

    def as_truth(self) -> dict[str, Any]:
        data = asdict(self)
        data["font"] = Path(self.font).stem
        return data


@cache
def load_splits(path: Path = SPLITS_FILE) -> dict[str, Split]:
    """Every split of ``splits.yaml``, validated (fonts exist, splits disjoint)."""
    try:
        data = SplitsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path.name} is not a valid split file: {exc}") from exc
    return {
        name: Split(name, spec, data.styles, data.values, data.seed_span)
        for name, spec in data.splits.items()
    }


def get_split(name: str) -> Split:
    splits = load_splits()
    if name not in splits:
        raise ConfigError(f"unknown split {name!r}; choose {', '.join([*splits, CLASSIC])}")
    return splits[name]


def font_path(relative: str) -> str:
    path = FONT_ROOT / relative
    if not path.is_file():
        raise ConfigError(f"font {path} is missing; `make test` installs the font packages")
    return str(path)


def font_face(entry: str) -> tuple[str, int]:
    """A ``jp_*_fonts`` entry as (absolute path, face index): ``path#index`` for a face of
    a font collection (``.ttc``), else index 0."""
    relative, _, index = entry.partition("#")
    return font_path(relative), int(index or 0)


@dataclass(frozen=True, slots=True)
class JapaneseHand:
    """How one copy of a Japanese pack is written: typed in one face and size, or printed
    by hand in the split's hand face, each character of its own size (``char_size``: the
    share it may vary by) and off the baseline by up to ``drift`` points."""

    writing: str  # "typed" or "hand_printed"
    font: str  # absolute path
    index: int  # face index in a font collection
    points: float
    char_size: float
    drift: float
    mark: str
    full_width: bool = False  # digits and Latin letters typed full-width (３年４月)

    def as_truth(self) -> dict[str, Any]:
        return {
            "writing": self.writing,
            "font": Path(self.font).stem,
            "mark": self.mark,
            "drift": self.drift > 0,
            "full_width": self.full_width,
        }


def draw_japanese_hand(split: Split, rng: np.random.Generator) -> JapaneseHand:
    """One Japanese copy's hand, drawn from ``split`` (typed or hand-printed in the split's
    share, boxes marked in any of the split's mark styles)."""
    spec, shares = split.spec, split.styles
    hand = rng.random() < shares.hand_printed_share
    fonts = spec.jp_hand_fonts if hand else spec.jp_typed_fonts
    path, index = font_face(fonts[int(rng.integers(len(fonts)))])
    low, high = spec.jp_hand_points if hand else spec.jp_typed_points
    points = float(rng.uniform(low, high))
    mark = shares.marks[int(rng.integers(len(shares.marks)))]
    writing = HAND_PRINTED if hand else TYPED
    full_width = bool(rng.random() < shares.jp_full_width_share.of(writing))
    if not hand:
        return JapaneseHand(TYPED, path, index, points, 0.0, 0.0, mark, full_width)
    drift = float(rng.uniform(*spec.jp_hand_drift))
    size = spec.jp_hand_char_size
    return JapaneseHand(HAND_PRINTED, path, index, points, size, drift, mark, full_width)


def draw_style(split: Split, rng: np.random.Generator) -> WritingStyle:
    """One document's writing style, drawn from ``split``."""
    shares = split.styles
    writing = HAND_PRINTED if rng.random() < shares.hand_printed_share else TYPED
    fonts = split.spec.hand_fonts if writing == HAND_PRINTED else split.spec.typed_fonts
    return WritingStyle(
        writing=writing,
        font=font_path(fonts[int(rng.integers(len(fonts)))]),
        block_capitals=bool(rng.random() < shares.block_capitals_share.of(writing)),
        overflow=bool(rng.random() < shares.overflow_share.of(writing)),
        drift=bool(rng.random() < shares.drift_share.of(writing)),
        mark=shares.marks[int(rng.integers(len(shares.marks)))],
    )
