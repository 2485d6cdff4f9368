"""Closed vocabularies (extract/vocabularies.py): lists of a field's answers as data, named
by a template's ``closed_vocabulary``, and how they help a zone's reading.

GIVEN a relationship (続柄) zone naming ``jp_relationships`` WHEN it is read THEN an answer
of the list is kept, a reading outside it is read again restricted to the list's
characters, and what is still outside it keeps its reading, capped, with an issue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from extract import confidence as conf
from extract.extractor import read_page
from extract.reference import POINTS_PER_INCH, ReferencePage
from extract.template import FormTemplate
from extract.vocabularies import (
    as_listed,
    in_vocabulary,
    load_vocabulary,
    vocabulary_whitelist,
)
from faxflow.errors import TemplateError
from faxflow.settings import Settings
from tests.builders import one_page_template

IPAGOTHIC = Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf")
DPI = 200


def test_the_shipped_relationships_list_holds_the_registers_answers() -> None:
    words = load_vocabulary("jp_relationships")
    assert {"世帯主", "妻", "子", "長男", "次女", "父", "母", "弟", "祖母", "孫"} <= set(words)
    assert "第" not in vocabulary_whitelist("jp_relationships")  # 弟's look-alike
    assert "弟" in vocabulary_whitelist("jp_relationships")


def test_answers_compare_without_white_space_and_width() -> None:
    assert in_vocabulary("長 男", "jp_relationships")
    assert as_listed("長 男", "jp_relationships") == "長男"
    assert not in_vocabulary("第", "jp_relationships")
    assert as_listed("第", "jp_relationships") is None
    assert not in_vocabulary(None, "jp_relationships")


def test_an_unknown_list_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="lower-case"):
        load_vocabulary("../etc/passwd")
    with pytest.raises(TemplateError, match="cannot read"):
        load_vocabulary("no_such_list")


def _template(folder: Path, **extra: Any) -> FormTemplate:
    properties = {"relationship": {"type": ["string", "null"]}}
    field = {"name": "relationship", "kind": "text", "lang": "jpn", "region": [90, 28, 200, 50]}
    return one_page_template(folder, properties, [{**field, **extra}])


def test_a_template_names_a_list_for_text_fields_only(tmp_path: Path) -> None:
    spec = _template(tmp_path, closed_vocabulary="jp_relationships").fields[0]
    assert spec.closed_vocabulary == "jp_relationships"
    with pytest.raises(ValueError, match="no_such_list"):
        _template(tmp_path, closed_vocabulary="no_such_list")
    with pytest.raises(ValueError, match="needs kind text"):
        _template(tmp_path, closed_vocabulary="jp_relationships", kind="name")


def _px(value: float) -> int:
    return round(value * DPI / POINTS_PER_INCH)


def _page(written: str | None) -> np.ndarray:
    page = Image.new("L", (_px(300), _px(80)), 255)
    draw = ImageDraw.Draw(page)
    draw.text((_px(20), _px(32)), "続柄", font=ImageFont.truetype(str(IPAGOTHIC), _px(9)), fill=0)
    draw.line([(_px(90), _px(50)), (_px(200), _px(50))], fill=0, width=2)
    if written:
        face = ImageFont.truetype(str(IPAGOTHIC), _px(12))
        draw.text((_px(110), _px(32)), written, font=face, fill=0)
    return np.asarray(page)


@pytest.mark.skipif(not IPAGOTHIC.is_file(), reason="fonts-ipafont is not installed")
@pytest.mark.parametrize("written", ["弟", "長女", "祖母"])
def test_an_answer_of_the_list_reads_as_written(
    tmp_path: Path, settings: Settings, written: str
) -> None:
    template = _template(tmp_path, closed_vocabulary="jp_relationships")
    reference = ReferencePage("test_vocabulary_strip", 1, _page(None), DPI)
    results, issues = read_page(
        _page(written), reference, template.fields, settings=settings, page_number=1
    )
    assert results["relationship"].value == written
    assert issues == []


@pytest.mark.skipif(not IPAGOTHIC.is_file(), reason="fonts-ipafont is not installed")
def test_a_word_outside_the_list_goes_to_a_person(tmp_path: Path, settings: Settings) -> None:
    """友人 (a friend) is in no register's list: whatever the restricted reread makes of it,
    the field is never trusted, and a changed reading says where it came from."""
    template = _template(tmp_path, closed_vocabulary="jp_relationships")
    reference = ReferencePage("test_vocabulary_strip", 1, _page(None), DPI)
    results, issues = read_page(
        _page("友人"), reference, template.fields, settings=settings, page_number=1
    )
    field = results["relationship"]
    if in_vocabulary(field.value, "jp_relationships"):
        assert field.confidence <= conf.VOCABULARY_REREAD_CONFIDENCE
        assert field.provenance[0].step == "reread.vocabulary"
        assert issues == []
    else:
        assert field.confidence <= conf.VOCABULARY_MISS_CONFIDENCE
        assert [(i.field, i.code) for i in issues] == [("relationship", "not_in_vocabulary")]
        assert "友" not in issues[0].message  # the message never quotes the value
