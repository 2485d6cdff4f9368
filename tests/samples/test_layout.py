"""Where values go: found from the blank forms, and the renderer really writes there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faxflow.model import FormType, RecordType
from faxflow.schemas import load_schema
from samples import render
from samples.layout import DateSlot, TextSlot, form_layout
from samples.people import make_record
from samples.render import blank_pages, fill_pages

DPI = 100
FORMS = [
    (FormType.CDC_PUI_2020, RecordType.INFECTION_REPORT),
    (FormType.MDHHS_DHS1171, RecordType.BENEFIT_APPLICATION),
]


@pytest.mark.parametrize(("form_type", "record_type"), FORMS)
def test_every_schema_field_has_a_place(form_type: FormType, record_type: RecordType) -> None:
    layout = form_layout(form_type)
    properties = load_schema(record_type)["properties"]
    for name, prop in properties.items():
        if name == "household_members":
            for index in range(4):
                for sub in prop["items"]["properties"]:
                    assert f"household_members[{index}].{sub}" in layout
        else:
            assert name in layout, name
            places = layout[name]
            assert places.slots or places.options, name
    for name, places in layout.items():
        for slot in (*places.slots, *places.options.values()):
            box = slot.parts[0] if isinstance(slot, DateSlot) else getattr(slot, "box", None)
            if box is not None:
                x0, top, x1, bottom = box
                assert 0 <= x0 < x1 <= 612 and 0 <= top < bottom <= 792, name


@pytest.mark.parametrize(("form_type", "record_type"), FORMS)
def test_no_two_options_share_a_box(form_type: FormType, record_type: RecordType) -> None:
    seen: dict[tuple[int, tuple[int, ...]], str] = {}
    for name, places in form_layout(form_type).items():
        for value, slot in places.options.items():
            key = (slot.page, tuple(round(v) for v in slot.box))
            assert key not in seen, f"{name}={value} and {seen.get(key)} share a box"
            seen[key] = f"{name}={value}"


def test_layout_does_not_read_the_extraction_templates() -> None:
    """The evaluation must not share the extractor's assumptions."""
    source = (Path(__file__).parents[2] / "samples" / "layout.py").read_text()
    assert "template.yaml" not in source.replace("``extract/templates/*/template.yaml``", "")
    assert "extract.template" not in source


def _ink(page: np.ndarray, box: tuple[float, float, float, float], pad: float) -> int:
    s = DPI / 72
    x0, top, x1, bottom = box
    region = page[
        max(0, int((top - pad) * s)) : int((bottom + pad / 2) * s),
        max(0, int((x0 - pad) * s)) : int((x1 + pad) * s),
    ]
    return int((region < 128).sum())


@pytest.mark.parametrize(("form_type", "_record_type"), FORMS)
def test_values_are_written_in_their_places_and_blanks_stay_blank(
    form_type: FormType, _record_type: RecordType
) -> None:
    """GIVEN a synthetic record WHEN it is written on the blank form THEN new ink appears
    in the place of every filled field and none in the place of a blank one."""
    blank = blank_pages(form_type, DPI)
    layout = form_layout(form_type)
    checked = 0
    for seed in (1, 2):
        record = make_record(form_type, seed)
        filled = fill_pages(form_type, record, {}, dpi=DPI, rng=np.random.default_rng(seed))
        added = [
            np.where((f < 100) & (b > 160), 0, 255).astype(np.uint8)
            for f, b in zip(filled, blank, strict=True)
        ]
        flat = dict(record)
        for index, member in enumerate(record.get("household_members", [])):
            for prop, value in member.items():
                flat[f"household_members[{index}].{prop}"] = value
        for name, value in flat.items():
            places = layout.get(name)
            if places is None or name == "applying_food_assistance":
                continue
            for option, slot in places.options.items():
                chosen = value if isinstance(value, list) else [value]
                ink = _ink(added[slot.page - 1], slot.box, pad=1)
                marked = option in {str(v) for v in chosen}
                assert (ink > 3) == marked, f"{name}: option {option} marked={marked}"
                checked += 1
            for slot in places.slots:
                box = (
                    slot.box
                    if isinstance(slot, TextSlot)
                    else (
                        (slot.parts[0][0], slot.parts[0][1], slot.parts[2][2], slot.parts[2][3])
                        if isinstance(slot, DateSlot)
                        else (
                            slot.cells[0][0],
                            slot.cells[0][1],
                            slot.cells[-1][2],
                            slot.cells[-1][3],
                        )
                    )
                )
                if value is not None:  # written: ink on or just above the place
                    assert _ink(added[slot.page - 1], box, pad=4) > 5, f"{name} p{slot.page}"
                else:  # blank: nothing inside the place itself (neighbours may brush it)
                    inner = (box[0] + 1, box[1] + 1, box[2] - 1, box[3] - 1.5)
                    assert _ink(added[slot.page - 1], inner, pad=0) <= 2, f"{name} p{slot.page}"
                checked += 1
    assert checked > 100


@pytest.mark.parametrize(("form_type", "_record_type"), FORMS)
def test_every_value_fits_its_space(
    form_type: FormType, _record_type: RecordType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No written value runs past the end of its line or box (cramped date slots get a
    two-digit year, long text a smaller size)."""
    overflows: list[tuple[str, float]] = []
    original = render.Writer.fitted_font

    def measured(self: render.Writer, text: str, width: float, height: float, **kw: object):
        font = original(self, text, width, height, **kw)  # type: ignore[arg-type]
        if font.getlength(text) > self.px(width) + 0.5:
            overflows.append((text, width))
        return font

    monkeypatch.setattr(render.Writer, "fitted_font", measured)
    for seed in range(25):
        record = make_record(form_type, seed)
        fill_pages(form_type, record, {}, dpi=72, rng=np.random.default_rng(seed))
    assert overflows == []
