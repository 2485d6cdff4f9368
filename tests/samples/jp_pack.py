"""A throwaway Japanese form pack for the generator's tests: a one-page blank made with
reportlab (IPAGothic embedded, a few widgets), its template, schema and rules by hand.

The zones are the widgets' rectangles (PDF points, top-left origin). The report date's zone
holds the printed ``令和　年　月　日`` (digits go in its gaps); the birth date's holds
``年　月　日`` with the era ticked in the squares of ``birth_era``; the onset date's zone is
empty (the date is written whole, era and all)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

NAME = "jp_test_notice"
IPAGOTHIC = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"
PAGE_HEIGHT = 842.0  # A4
ERAS = {"meiji": "明治", "taisho": "大正", "showa": "昭和", "heisei": "平成", "reiwa": "令和"}

Box = tuple[float, float, float, float]
# name -> (label, zone in top-left points, kind, extra template keys)
TEXT_FIELDS: dict[str, tuple[str, Box, str, dict[str, Any]]] = {
    "report_date": ("報告年月日", (150, 80, 400, 100), "era_date", {"era": "reiwa"}),
    "patient_name": ("氏名", (150, 120, 400, 140), "text", {"lang": "jpn"}),
    "patient_name_kana": ("フリガナ", (150, 150, 400, 170), "katakana", {}),
    "birth_date": ("生年月日", (330, 180, 520, 200), "era_date", {"era_field": "birth_era"}),
    "postal_code": ("郵便番号", (150, 240, 300, 260), "jp_postal", {}),
    "prefecture": ("都道府県", (150, 270, 300, 290), "prefecture", {}),
    "address": ("住所", (150, 300, 540, 320), "text", {"lang": "jpn"}),
    "phone": ("電話番号", (150, 330, 330, 350), "jp_phone", {}),
    "occupation": ("職業", (150, 360, 400, 380), "text", {"lang": "jpn"}),
    "onset_date": ("発病年月日", (150, 460, 400, 480), "era_date", {}),  # era written too
}
ACCOUNT_CELLS = [(150.0 + 20 * i, 400.0, 168.0 + 20 * i, 420.0) for i in range(7)]
SCHEMA_FORMATS = {
    "report_date": "date",
    "birth_date": "date",
    "onset_date": "date",
    "postal_code": "jp_postal",
    "phone": "jp_phone",
    "patient_name_kana": "katakana",
    "prefecture": "prefecture",
    "bank_account": "bank_account",
}


def _square(left: float, top: float, side: float = 10.0) -> Box:
    return (left, top, left + side, top + side)


BIRTH_ERA_BOXES = {era: _square(150 + 36 * i, 185) for i, era in enumerate(ERAS)}
SEX_BOXES = {"male": _square(150, 215), "female": _square(190, 215)}
FEVER_BOX = _square(150, 440)


def make_japanese_pack(root: Path) -> Path:
    """Write the pack under ``root`` (``root/<NAME>/``) and return its folder."""
    folder = root / NAME
    folder.mkdir(parents=True)
    _blank(folder / "blank.pdf")
    fields: list[dict[str, Any]] = []
    properties: dict[str, Any] = {}
    for name, (label, zone, kind, extra) in TEXT_FIELDS.items():
        fields.append({"name": name, "page": 1, "kind": kind, "region": list(zone), **extra})
        properties[name] = {"type": ["string", "null"], "title": label}
    fields.append(
        {"name": "bank_account", "page": 1, "kind": "bank_account",
         "boxes": [list(c) for c in ACCOUNT_CELLS]}
    )  # fmt: skip
    properties["bank_account"] = {"type": ["string", "null"], "title": "口座番号"}
    for name, fmt in SCHEMA_FORMATS.items():
        properties[name]["format"] = fmt
    for name, title, boxes in (
        ("birth_era", "元号", BIRTH_ERA_BOXES),
        ("sex", "性別", SEX_BOXES),
    ):
        options = [{"value": value, "box": list(box)} for value, box in boxes.items()]
        fields.append({"name": name, "page": 1, "kind": "choice", "options": options})
        properties[name] = {"enum": [*boxes, None], "title": title}
    fields.append(
        {"name": "fever", "page": 1, "kind": "checkbox",
         "options": [{"value": True, "box": list(FEVER_BOX)}]}
    )  # fmt: skip
    properties["fever"] = {"type": ["boolean", "null"], "title": "発熱"}
    template = {
        "form_type": NAME,
        "record_type": NAME,
        "version": "test",
        "title": "テスト届出票",
        "page_size": [595.0, PAGE_HEIGHT],
        "pages": [{"number": 1, "carries_fields": True}],
        "fields": fields,
    }
    (folder / "template.yaml").write_text(
        yaml.safe_dump(template, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    schema = {"type": "object", "properties": properties}
    (folder / "schema.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    order = "[[birth_date, onset_date], [onset_date, report_date]]"  # birth before report too
    rules = f"required: [patient_name]\ndate_order: {order}\n"
    (folder / "rules.yaml").write_text(rules, encoding="utf-8")
    (folder / "SOURCES.md").write_text("Made by tests/samples/jp_pack.py.\n", encoding="utf-8")
    return folder


def _blank(path: Path) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("IPAGothic", IPAGOTHIC))
    page = canvas.Canvas(str(path), pagesize=(595.0, PAGE_HEIGHT))
    page.setFont("IPAGothic", 14)
    page.drawString(200, PAGE_HEIGHT - 50, "テスト届出票")

    def y(top: float) -> float:  # reportlab's origin is the bottom left
        return PAGE_HEIGHT - top

    page.setFont("IPAGothic", 10)
    for name, (label, (x0, top, x1, bottom), _kind, _extra) in TEXT_FIELDS.items():
        page.drawString(40, y(bottom) + 5, label)
        page.rect(x0, y(bottom), x1 - x0, bottom - top)
        if name == "report_date":
            for x, text in ((x0 + 4, "令和"), (x0 + 70, "年"), (x0 + 130, "月"), (x0 + 190, "日")):
                page.drawString(x, y(bottom) + 5, text)
        elif name == "birth_date":
            for x, text in ((x0 + 60, "年"), (x0 + 120, "月"), (x0 + 180, "日")):
                page.drawString(x, y(bottom) + 5, text)
        else:  # a widget, as a recreated form has, on every free-text zone
            page.acroForm.textfield(
                name=name, x=x0, y=y(bottom), width=x1 - x0, height=bottom - top,
                borderWidth=0, fillColor=None, fontSize=10,
            )  # fmt: skip
    for boxes, words in ((BIRTH_ERA_BOXES, ERAS), (SEX_BOXES, {"male": "男", "female": "女"})):
        for value, (x0, top, x1, bottom) in boxes.items():
            page.rect(x0, y(bottom), x1 - x0, bottom - top)
            page.drawString(x1 + 2, y(bottom) + 1, words[value])
    x0, top, x1, bottom = FEVER_BOX
    page.rect(x0, y(bottom), x1 - x0, bottom - top)
    page.drawString(x1 + 2, y(bottom) + 1, "発熱")
    page.drawString(40, y(420) + 5, "口座番号")
    for x0, top, x1, bottom in ACCOUNT_CELLS:
        page.rect(x0, y(bottom), x1 - x0, bottom - top)
    page.showPage()
    page.save()
