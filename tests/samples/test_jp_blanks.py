"""The recreated Japanese blank forms (samples/jp_blanks.py): the committed blank.pdf is
what the code draws, every schema property has its widget, every mark its printed square,
and a faxed blank is recognised as its own form among all the others."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extract.from_pdf import group_widgets, load_label_map, read_layouts, read_widgets
from samples.jp_blanks import BLANKS, write_blank

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
PACKS = sorted(BLANKS)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _blank(name: str) -> Path:
    return FORMS_DIR / name / "blank.pdf"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[str]]]:
    out = tmp_path_factory.mktemp("jp-blanks")
    return {name: (out / f"{name}.pdf", write_blank(name, out / f"{name}.pdf")) for name in PACKS}


@pytest.mark.parametrize("name", PACKS)
def test_the_committed_blank_is_what_the_code_draws(name: str, drawn) -> None:  # type: ignore[no-untyped-def]
    """Same pages, widgets (names, kinds, places, tooltips) and bytes: the drawing is
    deterministic (reportlab's invariant mode), so the blank can be regenerated."""
    path, names = drawn[name]
    committed, fresh = read_widgets(_blank(name)), read_widgets(path)
    assert fresh == committed
    assert len(read_layouts(path)) == len(read_layouts(_blank(name))) == 1
    assert {w.name for w in fresh} == set(names)
    assert path.read_bytes() == _blank(name).read_bytes()


@pytest.mark.parametrize("name", PACKS)
def test_every_property_has_its_widget_with_a_japanese_tooltip(name: str) -> None:
    schema = json.loads((FORMS_DIR / name / "schema.json").read_text(encoding="utf-8"))
    labels = load_label_map(FORMS_DIR / name / "labels.yaml")
    groups = group_widgets(read_widgets(_blank(name)))
    widgets = {g.name for g in groups}
    assert set(labels.fields) == set(schema["properties"])
    for field, source in labels.fields.items():
        named = [source.widget] if source.widget else [o.widget for o in source.options or []]
        assert named and set(named) <= widgets, field
    for group in groups:
        assert group.tooltip is not None and JAPANESE.search(group.tooltip), group.name
    for prop in schema["properties"].values():
        assert JAPANESE.search(prop["title"]), prop


@pytest.mark.parametrize("name", PACKS)
def test_marks_have_printed_squares_and_digits_printed_cells(name: str) -> None:
    """A button sits on a square printed on the page (a fax shows the page, not the
    widget); comb widgets sit in printed cells, seven for a postal code or an account."""
    layout = read_layouts(_blank(name))[0]
    groups = group_widgets(read_widgets(_blank(name)))
    for group in groups:
        if group.is_button:
            rect = group.rects[0]
            assert any(
                all(abs(a - b) < 1.5 for a, b in zip(square, rect, strict=True))
                for square in layout.squares
            ), group.name
    combs = {g.name: len(g.rects) for g in groups if g.is_comb}
    expected = {
        "jp_covid19_notification": {"patient_postal": 7},
        "jp_special_cash_payment": {"householder_postal": 7, "account_number": 7},
    }
    assert combs == expected[name]


def test_the_cli_writes_both_blanks(tmp_path: Path) -> None:
    from faxflow.cli import app

    result = CliRunner().invoke(app, ["samples", "jp-blanks", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{n}.pdf" for n in PACKS]


def test_a_faxed_blank_is_classified_as_its_own_form() -> None:
    """Each blank, rendered and faxed, matches its own page and no other form's among the
    built-in forms, the FAP pack and each other; the other forms' pages still match
    theirs with the Japanese pages in the index."""
    from extract.classify import build_index, classify_page
    from extract.from_pdf import template_from_pdf
    from extract.reference import reference_pages
    from extract.template import load_templates
    from faxflow.model import PageRole
    from faxflow.settings import DEFAULT_TEMPLATES_DIR
    from tests.extract.synthetic import fax, move

    templates = dict(load_templates(DEFAULT_TEMPLATES_DIR))
    # The packs' geometry only (their pages), so the test needs no kind the template
    # model may not know yet: classification reads the blank, not the fields.
    for name in [*PACKS, "mi_fap_supplement"]:
        folder = FORMS_DIR / name
        drafted = template_from_pdf(folder / "blank.pdf", name, record_type=name).template
        templates[name] = drafted.model_copy(update={"folder": folder, "proposals": []})
    index = build_index(templates, dpi=200)
    for name in PACKS:
        (page,) = reference_pages(templates[name], dpi=200)
        for standard in (False, True):  # fine and standard (half the rows) resolution
            moved = move(page.image, angle=1.5, shift=(20, -15))
            found = classify_page(fax(moved, seed=7, standard=standard), index)
            assert found.role is PageRole.FORM and found.key == (name, 1), (name, found.key)
            assert found.score >= 0.4, (name, standard, found.score)
    for name in ("cdc_pui_2020", "mi_fap_supplement"):
        first = reference_pages(templates[name], dpi=200)[0]
        found = classify_page(fax(move(first.image, angle=-1.0), seed=3), index)
        assert found.key == (name, 1), (name, found.key)


@pytest.mark.parametrize("name", PACKS)
def test_forms_new_drafts_the_committed_schema_but_for_the_hand_edits(name: str) -> None:
    """The pack is its draft plus the edits docs/forms.md lists: the same properties in
    the same order, the same Japanese titles and enums; only formats, types, bounds and
    the enums' Japanese titles (x-enum-titles) added."""
    from extract.pack_draft import draft_pack

    drafted = draft_pack(name, _blank(name)).schema
    committed = json.loads((FORMS_DIR / name / "schema.json").read_text(encoding="utf-8"))
    assert drafted["title"] == committed["title"] == BLANKS[name][0]
    assert list(drafted["properties"]) == list(committed["properties"])
    for prop_name, prop in committed["properties"].items():
        draft = drafted["properties"][prop_name]
        assert (draft["title"], draft.get("enum")) == (prop["title"], prop.get("enum"))
        edited = {k for k in prop if prop[k] != draft.get(k)}
        assert edited <= {"format", "type", "minimum", "maximum", "x-enum-titles"}, prop_name
