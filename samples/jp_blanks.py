"""The two Japanese blank forms of issue #23, recreated as fillable A4 PDFs.

* ``jp_covid19_notification``: the MHLW 新型コロナウイルス感染症 発生届, items as the
  Ordinance for Enforcement of the Infectious Diseases Control Act, Article 4, fixes them,
  in the layout every notifiable disease's 発生届 shares (addressee, report date, doctor,
  items 1-18);
* ``jp_special_cash_payment``: the municipal 特別定額給付金申請書 of 2020 (householder,
  household members, bank account, attachments).

They are recreations, not copies: the wording and order of the published forms, drawn
afresh with reportlab in IPA fonts (``fonts-ipafont``). Every field is an AcroForm widget
named in English snake_case after the pack's schema property, with the printed label as its
tooltip (``/TU``), so ``faxflow forms new`` drafts the pack with Japanese titles. What a
person marks has a printed square under its button; digits the real forms box (postal
codes, the account number) have one printed cell and one widget ``<name>_<i>`` per digit.
A single-choice group (sex, era, category …) is a radio group whose export values are the
schema's enum values.

The drawing is deterministic (reportlab's ``invariant`` mode: fixed dates and ids), so
``faxflow samples jp-blanks --out DIR`` reproduces the packs' committed ``blank.pdf``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

GOTHIC = "IPAGothic"
MINCHO = "IPAMincho"
FONT_FILES = {
    GOTHIC: Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"),
    MINCHO: Path("/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf"),
}
WIDTH, HEIGHT = A4
LEFT, RIGHT = 36.0, WIDTH - 36.0
SQUARE = 9.0
"""Side of a printed checkbox square, points (pdfplumber finds 5-14 pt squares)."""
CELL_WIDTH, CELL_HEIGHT = 14.0, 18.0
"""A printed digit cell (taller than wide: not taken for a checkbox square)."""
ERAS = (
    ("meiji", "明治"),
    ("taisho", "大正"),
    ("showa", "昭和"),
    ("heisei", "平成"),
    ("reiwa", "令和"),
)
"""The era squares of a birth date, as the schema's enum values and the printed words."""
DATE_GAPS = (24.0, 18.0, 18.0)
"""Points left blank before 年, 月 and 日 of a printed date: where the digits go."""


def register_fonts() -> None:
    """Register the IPA fonts with reportlab (embedded as subsets in each PDF)."""
    for name, path in FONT_FILES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))


@dataclass
class Sheet:
    """One A4 page being drawn, in PDF points with the origin top-left (as the
    templates' boxes are); ``widgets`` lists every widget name in drawing order."""

    canvas: Canvas
    widgets: list[str] = field(default_factory=list)

    # -- print ----------------------------------------------------------------------

    def text(
        self, x: float, top: float, words: str, size: float = 9.0, font: str = MINCHO
    ) -> float:
        """Print ``words`` with their em box's top at ``top``; the x where they end."""
        self.canvas.setFont(font, size)
        self.canvas.drawString(x, HEIGHT - top - size * 0.88, words)
        return x + pdfmetrics.stringWidth(words, font, size)

    def centred(self, top: float, words: str, size: float, font: str = GOTHIC) -> None:
        self.canvas.setFont(font, size)
        self.canvas.drawCentredString(WIDTH / 2, HEIGHT - top - size * 0.88, words)

    def wrapped(self, x: float, top: float, words: str, width: float, size: float = 8.0) -> float:
        """Print ``words`` broken into lines of ``width`` (Japanese breaks anywhere); the
        top of the line after them."""
        line = ""
        for char in words:
            # a closing mark never starts a line (kinsoku): it hangs past the margin
            too_wide = pdfmetrics.stringWidth(line + char, MINCHO, size) > width
            if too_wide and char not in "。、）」":
                self.text(x, top, line, size)
                top, line = top + size * 1.4, ""
            line += char
        if line:
            self.text(x, top, line, size)
            top += size * 1.4
        return top

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.6) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.line(x0, HEIGHT - y0, x1, HEIGHT - y1)

    def box(self, x0: float, top: float, x1: float, bottom: float, width: float = 0.6) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.rect(x0, HEIGHT - bottom, x1 - x0, bottom - top, stroke=1, fill=0)

    # -- widgets --------------------------------------------------------------------

    def field(self, name: str, tip: str, x0: float, top: float, x1: float, bottom: float) -> None:
        """A text widget over the blank (x0, top)-(x1, bottom), drawn without a border:
        the paper shows only what is printed."""
        self.canvas.acroForm.textfield(
            name=name,
            tooltip=tip,
            x=x0,
            y=HEIGHT - bottom,
            width=x1 - x0,
            height=bottom - top,
            borderWidth=0,
            borderColor=None,
            fillColor=None,
            fontName="Helvetica",
            fontSize=10,
            maxlen=0,
        )
        self.widgets.append(name)

    def square(self, name: str, tip: str, x: float, top: float, value: str | None = None) -> None:
        """A printed square with a checkbox (``value`` None) or one radio button on it."""
        self.box(x, top, x + SQUARE, top + SQUARE, width=0.7)
        common = {
            "name": name,
            "tooltip": tip,
            "x": x,
            "y": HEIGHT - top - SQUARE,
            "size": SQUARE,
            "buttonStyle": "cross",
            "shape": "square",
            "borderWidth": 0,
            "borderColor": None,
            "fillColor": None,
            "fieldFlags": "",
        }
        if value is None:
            self.canvas.acroForm.checkbox(**common)
        else:
            self.canvas.acroForm.radio(value=value, **{**common, "fieldFlags": "radio"})
        if name not in self.widgets:
            self.widgets.append(name)

    def checkbox(
        self, name: str, word: str, x: float, top: float, size: float = 9.0, tip: str = ""
    ) -> float:
        """A square and its printed word (the tooltip unless ``tip`` says more); the x
        where the word ends."""
        self.square(name, tip or word, x, top + (size - SQUARE) / 2 + 1)
        return self.text(x + SQUARE + 2, top, word, size)

    def choices(
        self,
        name: str,
        tip: str,
        x: float,
        top: float,
        options: Sequence[tuple[str, str]],
        *,
        size: float = 9.0,
        gap: float = 10.0,
    ) -> float:
        """A radio group printed as ``□word □word …`` on one line; the x where it ends."""
        for value, word in options:
            self.square(name, tip, x, top + (size - SQUARE) / 2 + 1, value=value)
            x = self.text(x + SQUARE + 2, top, word, size) + gap
        return x - gap

    def comb(
        self, name: str, tip: str, x: float, top: float, count: int, dash_after: int | None = None
    ) -> float:
        """``count`` printed digit cells, one widget ``<name>_<i>`` each, a dash printed
        after cell ``dash_after`` (〒123-4567); the x where the cells end."""
        for index in range(count):
            self.box(x, top, x + CELL_WIDTH, top + CELL_HEIGHT)
            self.field(
                f"{name}_{index}",
                tip,
                x + 0.8,
                top + 0.8,
                x + CELL_WIDTH - 0.8,
                top + CELL_HEIGHT - 0.8,
            )
            x += CELL_WIDTH
            if dash_after is not None and index == dash_after - 1:
                self.line(x + 2, top + CELL_HEIGHT / 2, x + 8, top + CELL_HEIGHT / 2, 0.8)
                x += 10
        return x

    def date(
        self, name: str, tip: str, x: float, top: float, era: str | None, size: float = 9.0
    ) -> float:
        """A printed ``令和　年　月　日`` (``era`` None: ``　年　月　日``) with one text
        widget over all of it: the zone read is the whole line, print and digits; the x
        where it ends."""
        start = x
        if era is not None:
            x = self.text(x, top, era, size) + 2
        for gap, unit in zip(DATE_GAPS, "年月日", strict=True):
            x = self.text(x + gap, top, unit, size)
        # the printed words sit in the widget's lower half: the template keeps the zone
        self.field(name, tip, start - 1, top - 7, x + 2, top + size + 2)
        return x


# --------------------------------------------------------------------------------------
# 新型コロナウイルス感染症 発生届
# --------------------------------------------------------------------------------------

NOTIFICATION_CATEGORIES = (
    ("confirmed", "患者（確定例）"),
    ("asymptomatic", "無症状病原体保有者"),
    ("suspected", "疑似症患者"),
    ("dead_confirmed", "感染症死亡者の死体"),
    ("dead_suspected", "感染症死亡疑い者の死体"),
)
SYMPTOMS = (
    ("symptom_fever", "発熱"),
    ("symptom_cough", "咳"),
    ("symptom_sore_throat", "咽頭痛"),
    ("symptom_dyspnoea", "呼吸困難"),
    ("symptom_pneumonia", "肺炎像"),
    ("symptom_fatigue", "倦怠感"),
    ("symptom_smell_taste", "嗅覚・味覚障害"),
)
DIAGNOSIS_METHODS = (
    ("diagnosis_isolation", "分離・同定による病原体の検出"),
    ("diagnosis_pcr", "検体から直接のPCR法による病原体の遺伝子の検出"),
    ("diagnosis_antigen", "抗原検査による病原体の抗原の検出"),
)
NOTIFICATION_DATES = (
    ("first_visit_date", "13 初診年月日"),
    ("diagnosis_date", "14 診断（検案）年月日"),
    ("infection_date", "15 感染したと推定される年月日"),
    ("onset_date", "16 発病年月日（＊）"),
    ("death_date", "17 死亡年月日（※）"),
)
LAW = (
    "感染症の予防及び感染症の患者に対する医療に関する法律第12条第1項（同条第6項において"
    "準用する場合を含む。）の規定により、以下のとおり届け出る。"
)


def draw_notification(sheet: Sheet) -> None:
    """The 発生届 on one A4 page."""
    s = sheet
    s.text(LEFT, 24, "別記様式６－１", 8)
    s.centred(40, "新型コロナウイルス感染症　発生届", 15)
    s.field("health_centre", "届出先保健所", LEFT + 4, 62, LEFT + 130, 80)
    s.line(LEFT, 80, LEFT + 130, 80, 0.5)
    s.text(LEFT + 134, 68, "保健所長　殿", 11)
    top = s.wrapped(LEFT, 90, LAW, RIGHT - LEFT)
    s.text(330, top + 8, "報告年月日", 9)
    s.date("report_date", "報告年月日", 390, top + 8, "令和")
    top += 28
    doctor = (
        ("doctor_name", "医師の氏名", "医師の氏名", 400.0),
        ("facility_name", "従事する病院・診療所の名称", "病院・診療所の名称", RIGHT),
        ("facility_address", "上記病院・診療所の所在地（※）", "病院・診療所の所在地", RIGHT),
        ("facility_phone", "電話番号（※）", "病院・診療所の電話番号", 340.0),
    )
    s.text(410, top + 3, "（署名又は記名押印のこと）", 7)
    for name, label, tip, end in doctor:
        start = max(s.text(LEFT, top, label, 9) + 8, 180.0)
        s.field(name, tip, start, top - 8, end, top + 11)
        s.line(start, top + 12, end, top + 12, 0.5)
        top += 22
    s.text(
        LEFT,
        top - 4,
        "（※病院・診療所に従事していない医師にあっては、その住所・電話番号を記載）",
        7,
    )
    top += 12

    s.text(LEFT, top, "１　診断（検案）した者（死体）の類型", 9.5, GOTHIC)
    s.choices(
        "category",
        "診断（検案）した者（死体）の類型",
        LEFT + 12,
        top + 16,
        NOTIFICATION_CATEGORIES,
        gap=12,
    )
    top += 38
    _notification_person_table(s, top)
    _notification_findings(s, top + 188)


def _notification_person_table(s: Sheet, top: float) -> None:
    """Items 2-10: the person, in the bordered table of the published form."""
    head, row = 14.0, 50.0
    columns = (LEFT, 190.0, 232.0, 398.0, 476.0, RIGHT)
    heads = ("２ 当該者氏名", "３ 性別", "４ 生年月日", "５ 診断時の年齢", "６ 当該者職業")
    s.box(LEFT, top, RIGHT, top + head + row, 0.9)
    s.line(LEFT, top + head, RIGHT, top + head)
    for x, words in zip(columns, heads, strict=False):
        s.line(x, top, x, top + head + row)
        s.text(x + 3, top + 3, words, 8, GOTHIC)
    y = top + head
    s.text(LEFT + 3, y + 3, "フリガナ", 6.5)
    s.field("patient_kana", "当該者氏名（フリガナ）", LEFT + 34, y + 1, columns[1] - 3, y + 14)
    s.line(LEFT, y + 16, columns[1], y + 16, 0.3)
    s.field("patient_name", "当該者氏名", LEFT + 3, y + 19, columns[1] - 3, y + row - 3)
    s.choices("sex", "性別", columns[1] + 6, y + 8, (("male", "男"),), size=10)
    s.choices("sex", "性別", columns[1] + 6, y + 26, (("female", "女"),), size=10)
    s.choices("birth_era", "当該者生年月日の元号", columns[2] + 4, y + 6, ERAS, size=7.5, gap=3.5)
    s.date("birth_date", "当該者生年月日", columns[2] + 30, y + 26, None, size=9)
    s.text(columns[3] + 3, y + 3, "（０歳は月齢）", 6.5)
    s.field("age", "診断時の年齢", columns[3] + 4, y + 14, columns[3] + 34, y + 30)
    s.choices("age_unit", "年齢の単位", columns[3] + 38, y + 14, (("years", "歳"),), size=8)
    s.choices("age_unit", "年齢の単位", columns[3] + 38, y + 30, (("months", "か月"),), size=8)
    s.field("occupation", "当該者職業", columns[4] + 3, y + 14, RIGHT - 3, y + row - 4)

    top += head + row
    rows = (54.0, 26.0, 34.0)
    label_right = 120.0
    s.box(LEFT, top, RIGHT, top + sum(rows), 0.9)
    s.line(label_right, top, label_right, top + sum(rows))
    # 7: address, with postal code cells, prefecture and the rest, and the telephone
    s.text(LEFT + 3, top + 4, "７ 当該者住所", 8, GOTHIC)
    x = s.text(label_right + 4, top + 6, "〒", 9) + 3
    x = s.comb("patient_postal", "当該者郵便番号", x, top + 3, 7, dash_after=3)
    s.field("patient_prefecture", "当該者住所（都道府県）", x + 10, top + 3, x + 80, top + 21)
    s.text(x + 82, top + 7, "都道府県", 8)
    s.field("patient_address", "当該者住所", label_right + 4, top + 28, 400, top + 48)
    s.line(400, top + 26, 400, top + rows[0])
    s.line(label_right, top + 26, RIGHT, top + 26, 0.3)
    s.text(404, top + 30, "電話", 8)
    s.field("patient_phone", "当該者電話番号", 424, top + 28, RIGHT - 3, top + 48)
    top += rows[0]
    s.line(LEFT, top, RIGHT, top)
    s.text(LEFT + 3, top + 7, "８ 当該者所在地", 8, GOTHIC)
    s.field("whereabouts", "当該者所在地", label_right + 4, top + 3, RIGHT - 3, top + 21)
    top += rows[1]
    s.line(LEFT, top, RIGHT, top)
    s.text(LEFT + 3, top + 4, "９ 保護者氏名", 8, GOTHIC)
    s.field("guardian_name", "保護者氏名", label_right + 4, top + 5, 270, top + 25)
    s.line(270, top, 270, top + rows[2])
    s.text(273, top + 4, "10 保護者住所", 8, GOTHIC)
    s.field("guardian_address", "保護者住所", 330, top + 5, RIGHT - 3, top + 25)
    s.text(LEFT + 3, top + 19, "（9、10は患者が未成年の", 6)
    s.text(LEFT + 3, top + 25.5 - 0.5, "場合のみ記入）", 6)


def _notification_findings(s: Sheet, top: float) -> None:
    """Items 11-18: symptoms and diagnosis left, the dates right, infection below."""
    middle = 318.0
    height = 190.0
    s.box(LEFT, top, RIGHT, top + height, 0.9)
    s.line(middle, top, middle, top + height)
    s.text(LEFT + 3, top + 4, "11 症状", 8.5, GOTHIC)
    y = top + 18
    for index, (name, word) in enumerate(SYMPTOMS):
        column, line = divmod(index, 4)
        s.checkbox(name, word, LEFT + 8 + column * 120, y + line * 15, tip=f"症状：{word}")
    x = s.checkbox("symptom_other", "その他", LEFT + 128, y + 45, tip="症状：その他")
    x = s.text(x + 2, y + 45, "（", 9)
    s.field("symptom_other_detail", "症状（その他）", x, y + 39, middle - 16, y + 56)
    s.text(middle - 14, y + 45, "）", 9)

    y = top + 90
    s.line(LEFT, y - 4, middle, y - 4)
    s.text(LEFT + 3, y, "12 診断方法", 8.5, GOTHIC)
    for index, (name, words) in enumerate(DIAGNOSIS_METHODS):
        s.checkbox(name, words, LEFT + 8, y + 14 + index * 15, 8, tip=f"診断方法：{words}")
    y += 14 + 3 * 15
    x = s.text(LEFT + 20, y + 2, "検体（", 8)
    s.field("diagnosis_specimen", "診断方法：検体", x, y - 4, middle - 16, y + 14)
    s.text(middle - 14, y + 2, "）", 8)

    y = top + 6
    for name, label in NOTIFICATION_DATES:
        s.text(middle + 4, y, label, 8, GOTHIC)
        s.date(name, label.split(" ", 1)[1], middle + 48, y + 13, "令和")
        y += 32
        s.line(middle, y - 5, RIGHT, y - 5, 0.3)
    s.text(middle + 4, y - 3, "（＊）発病年月日は無症状の場合記入不要", 6.5)

    top += height
    s.box(LEFT, top, RIGHT, top + 70, 0.9)
    x = s.text(LEFT + 3, top + 5, "18 感染原因・感染経路・感染地域", 8.5, GOTHIC)
    x = s.text(x + 8, top + 5, "（", 9)
    x = s.choices(
        "infection_certainty",
        "感染原因等の確定・推定",
        x,
        top + 5,
        (("confirmed", "確定"), ("estimated", "推定")),
        gap=6,
    )
    s.text(x, top + 5, "）", 9)
    y = top + 22
    x = s.text(LEFT + 8, y, "感染経路：", 8.5)
    x = s.choices(
        "infection_route",
        "感染経路",
        x + 2,
        y,
        (("droplet", "飛沫・飛沫核感染"), ("contact", "接触感染"), ("other", "その他")),
        size=8.5,
    )
    x = s.text(x + 1, y, "（", 8.5)
    s.field("infection_route_other", "感染経路（その他）", x, y - 5, RIGHT - 14, y + 12)
    s.text(RIGHT - 12, y, "）", 8.5)
    y += 20
    x = s.text(LEFT + 8, y, "感染地域：", 8.5)
    x = s.choices("infection_region", "感染地域", x + 2, y, (("domestic", "日本国内"),), size=8.5)
    x = s.text(x + 1, y, "（", 8.5)
    s.field("infection_prefecture", "感染地域（都道府県）", x, y - 5, x + 80, y + 12)
    x = s.text(x + 82, y, "都道府県）", 8.5) + 12
    x = s.choices("infection_region", "感染地域", x, y, (("abroad", "国外"),), size=8.5)
    x = s.text(x + 1, y, "（", 8.5)
    s.field("infection_country", "感染地域（国名）", x, y - 5, RIGHT - 30, y + 12)
    s.text(RIGHT - 28, y, "国）", 8.5)
    s.text(LEFT, top + 78, "この届出は診断後直ちに行ってください", 8)


# --------------------------------------------------------------------------------------
# 特別定額給付金申請書
# --------------------------------------------------------------------------------------

MEMBER_ROWS = 6
"""Rows of the household table (the published forms print four to eight)."""


def draw_payment(sheet: Sheet) -> None:
    """The 特別定額給付金申請書 on one A4 page."""
    s = sheet
    s.centred(34, "特別定額給付金申請書（請求書）", 16)
    s.field("municipality", "申請先市区町村", LEFT + 4, 60, LEFT + 130, 78)
    s.line(LEFT, 78, LEFT + 130, 78, 0.5)
    s.text(LEFT + 134, 66, "市区町村長　宛", 11)
    s.text(360, 90, "申請日", 9)
    s.date("application_date", "申請日", 396, 90, "令和")
    top = s.wrapped(
        LEFT,
        108,
        "特別定額給付金の給付を受けたいので、下記のとおり申請（請求）します。"
        "なお、給付金の受給に当たっては、下記の注意事項を了知しています。",
        RIGHT - LEFT,
    )
    top = _payment_householder(s, top + 6)
    top = _payment_members(s, top + 12)
    top = _payment_bank(s, top + 12)
    s.text(LEFT, top + 10, "添付書類", 9.5, GOTHIC)
    s.checkbox(
        "documents_attached",
        "本人確認書類の写し・振込先口座が確認できる書類（通帳等）の写しを添付しました",
        LEFT + 8,
        top + 26,
        tip="本人確認書類・通帳の写し添付",
    )
    s.wrapped(
        LEFT,
        top + 48,
        "※申請できるのは、基準日（令和2年4月27日）において住民基本台帳に記録されている"
        "世帯主です。給付対象者は、基準日において住民基本台帳に記録されている者です。",
        RIGHT - LEFT,
        7.5,
    )


def _payment_householder(s: Sheet, top: float) -> float:
    """申請・受給者（世帯主）: kana, name, birth date, address, telephone."""
    label_right = 120.0
    rows = (
        ("フリガナ", 20.0),
        ("氏名", 28.0),
        ("生年月日", 24.0),
        ("住所", 46.0),
        ("電話番号", 24.0),
    )
    s.text(LEFT, top, "申請・受給者（世帯主）", 9.5, GOTHIC)
    top += 14
    total = sum(h for _, h in rows)
    s.box(LEFT, top, RIGHT, top + total, 0.9)
    s.line(label_right, top, label_right, top + total)
    y = top
    for label, height in rows:
        s.text(LEFT + 4, y + height / 2 - 4.5, label, 9, GOTHIC)
        inner = (label_right + 4, y + 2, RIGHT - 4, y + height - 2)
        if label == "フリガナ":
            s.field("householder_kana", "世帯主氏名（フリガナ）", *inner)
        elif label == "氏名":
            s.field("householder_name", "世帯主氏名", *inner)
        elif label == "生年月日":
            x = s.choices(
                "householder_birth_era", "世帯主生年月日の元号", label_right + 6, y + 7, ERAS, gap=6
            )
            s.date("householder_birth_date", "世帯主生年月日", x + 16, y + 7, None)
        elif label == "住所":
            x = s.text(label_right + 6, y + 6, "〒", 9) + 3
            s.comb("householder_postal", "世帯主郵便番号", x, y + 3, 7, dash_after=3)
            s.field("householder_address", "世帯主住所", label_right + 4, y + 23, RIGHT - 4, y + 42)
        else:
            s.field(
                "householder_phone", "世帯主電話番号", label_right + 4, y + 2, 330, y + height - 2
            )
        y += height
        if y < top + total:
            s.line(LEFT, y, RIGHT, y, 0.4)
    return top + total


def _payment_members(s: Sheet, top: float) -> float:
    """The household table: name, relationship, birth date, a mark per applicant."""
    s.text(LEFT, top, "世帯構成員（給付対象者）", 9.5, GOTHIC)
    s.text(
        LEFT + 130, top + 1.5, "※生年月日は「昭和50年1月1日」のように元号から記入してください", 7
    )
    top += 14
    columns = (LEFT, 60.0, 220.0, 300.0, 480.0, RIGHT)
    heads = ("", "氏名", "続柄", "生年月日", "給付対象者")
    head, row = 16.0, 28.0
    bottom = top + head + MEMBER_ROWS * row
    s.box(LEFT, top, RIGHT, bottom, 0.9)
    for x, words in zip(columns, heads, strict=False):
        s.line(x, top, x, bottom)
        if words:
            s.text(x + 4, top + 4, words, 8.5, GOTHIC)
    for number in range(1, MEMBER_ROWS + 1):
        y = top + head + (number - 1) * row
        s.line(LEFT, y, RIGHT, y, 0.4)
        s.text(LEFT + 8, y + 8, str(number), 9)
        stem = f"member_{number}"
        s.field(
            f"{stem}_name",
            f"世帯構成員{number} 氏名",
            columns[1] + 3,
            y + 3,
            columns[2] - 3,
            y + row - 3,
        )
        s.field(
            f"{stem}_relationship",
            f"世帯構成員{number} 続柄",
            columns[2] + 3,
            y + 3,
            columns[3] - 3,
            y + row - 3,
        )
        s.field(
            f"{stem}_birth_date",
            f"世帯構成員{number} 生年月日",
            columns[3] + 3,
            y + 3,
            columns[4] - 3,
            y + row - 3,
        )
        s.square(
            f"{stem}_applies",
            f"世帯構成員{number} 給付対象者",
            (columns[4] + RIGHT) / 2 - SQUARE / 2,
            y + (row - SQUARE) / 2,
        )
    return bottom


def _payment_bank(s: Sheet, top: float) -> float:
    """受取方法: the bank account the payment goes to."""
    s.text(LEFT, top, "受取方法（振込先口座）", 9.5, GOTHIC)
    top += 14
    label_right = 120.0
    rows = (28.0, 26.0, 26.0)
    total = sum(rows)
    s.box(LEFT, top, RIGHT, top + total, 0.9)
    s.line(label_right, top, label_right, top + total)
    y = top
    s.text(LEFT + 4, y + 8, "金融機関名", 9, GOTHIC)
    s.field("bank_name", "金融機関名", label_right + 4, y + 3, 250, y + 23)
    s.text(252, y + 3, "銀行・金庫・信組", 7)
    s.text(252, y + 13, "信連・農協・漁協", 7)
    s.line(316, y, 316, y + rows[0])
    s.text(320, y + 8, "支店名", 9, GOTHIC)
    s.field("branch_name", "支店名", 352, y + 3, 478, y + 23)
    s.text(480, y + 3, "本店・支店", 7)
    s.text(480, y + 13, "出張所・本所・支所", 7)
    y += rows[0]
    s.line(LEFT, y, RIGHT, y, 0.4)
    s.text(LEFT + 4, y + 7, "口座番号", 9, GOTHIC)
    x = s.choices(
        "account_type",
        "預金種別",
        label_right + 8,
        y + 7,
        (("ordinary", "普通"), ("current", "当座")),
        gap=8,
    )
    s.line(x + 10, y, x + 10, y + rows[1])
    s.comb("account_number", "口座番号", x + 20, y + 3, 7)
    s.text(x + 20 + 7 * CELL_WIDTH + 6, y + 8, "（右詰めで記入）", 7)
    y += rows[1]
    s.line(LEFT, y, RIGHT, y, 0.4)
    s.text(LEFT + 4, y + 7, "口座名義（カタカナ）", 8, GOTHIC)
    s.field(
        "account_holder_kana",
        "口座名義（カタカナ）",
        label_right + 4,
        y + 3,
        RIGHT - 4,
        y + rows[2] - 3,
    )
    return top + total


# --------------------------------------------------------------------------------------
# Writing the blanks
# --------------------------------------------------------------------------------------

BLANKS: dict[str, tuple[str, Callable[[Sheet], None]]] = {
    "jp_covid19_notification": ("新型コロナウイルス感染症 発生届", draw_notification),
    "jp_special_cash_payment": ("特別定額給付金申請書", draw_payment),
}
"""Pack name -> (the form's title, what draws its page)."""


def write_blank(name: str, path: Path) -> list[str]:
    """Draw the blank of pack ``name`` to ``path``; its widget names in drawing order."""
    title, draw = BLANKS[name]
    register_fonts()
    path.parent.mkdir(parents=True, exist_ok=True)
    # invariant: fixed creation date and document id, so the same code writes the same bytes
    canvas = Canvas(str(path), pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("faxflow (recreated blank form)")
    canvas.setCreator("faxflow samples/jp_blanks.py")
    sheet = Sheet(canvas)
    draw(sheet)
    canvas.showPage()
    canvas.save()
    return sheet.widgets


def write_blanks(out: Path) -> dict[str, Path]:
    """Both blanks as ``out/<pack>.pdf``."""
    written: dict[str, Path] = {}
    for name in BLANKS:
        written[name] = out / f"{name}.pdf"
        write_blank(name, written[name])
    return written
