"""Synthetic, internally consistent records for the two forms (no real person).

Values come from a seeded :class:`faker.Faker` and a seeded NumPy generator, so a seed
always gives the same people. Records are in the spec's normal forms (ISO dates, 10-digit
phones, 9-digit SSNs, two-letter states, e-mail lower-cased, money as a float); how each
value is *written* on the page (date style, phone punctuation, state name or code) is the
renderer's choice, not the record's.

A split's documents (:mod:`samples.splits`) draw from wider distributions
(:class:`ValueOptions`): names from other Faker locales transliterated to ASCII, modern given
names (``data/modern_given_names.txt``), hyphenated and apostrophe surnames
(``data/apostrophe_surnames.txt``), agency names as people write them, e-mail addresses not
built from the person's name, and IDs in other shapes. The classic generator (no options)
draws exactly as it did before the split.

Consistency rules: age follows from birth date and report date; onset <= specimen <= report;
admission <= discharge; a date of death only when ``died`` is yes; hospital details blank
when not hospitalised; pregnancy only for women of child-bearing age; household members
younger than the applicant by at least 15 years when they are children.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from faker import Faker

from faxflow.model import FormType, RecordType
from faxflow.schemas import empty_record, load_schema
from samples.splits import ValueShares

DATA_DIR = Path(__file__).with_name("data")
# Letters NFKD does not take apart into a base letter and accents.
_NOT_DECOMPOSED = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "Đ": "D", "æ": "ae",
     "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "ð": "d", "þ": "th"}
)  # fmt: skip
# Agency names as people write them on a form ({county}, {state} code, {state_name}).
AGENCY_PATTERNS = (
    "{county} County HD", "{county} Co. HD", "{county} County Health Dept.",
    "{county} County Health Department", "{county} Co Health Dept", "{county} HD",
    "{state} Dept. of Health", "{state_name} DOH", "{state_name} Dept of Health",
    "{state} DHHS", "{state_name} Department of Health", "{county} Cnty Health",
    "{county} County Public Health", "{state} Dept. of Health & Human Services",
)  # fmt: skip
EMAIL_DOMAINS_WIDE = (
    "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "aol.com", "icloud.com",
    "comcast.net", "att.net", "sbcglobal.net", "msn.com", "live.com", "protonmail.com",
)  # fmt: skip

# A few real county names per state (public geography, not personal data).
COUNTIES: dict[str, tuple[str, ...]] = {
    "MI": (
        "Wayne",
        "Oakland",
        "Macomb",
        "Kent",
        "Genesee",
        "Washtenaw",
        "Ingham",
        "Ottawa",
        "Kalamazoo",
        "Saginaw",
        "Livingston",
        "Muskegon",
        "St. Clair",
        "Jackson",
        "Monroe",
        "Berrien",
        "Calhoun",
        "Allegan",
        "Eaton",
        "Bay",
        "Marquette",
        "Isabella",
    ),
    "OH": ("Lucas", "Franklin", "Cuyahoga", "Hamilton"),
    "IN": ("Allen", "Marion", "Lake", "Elkhart"),
    "IL": ("Cook", "DuPage", "Lake", "Will"),
    "WI": ("Milwaukee", "Dane", "Brown"),
}
STATE_NAMES = {"MI": "Michigan", "OH": "Ohio", "IN": "Indiana", "IL": "Illinois", "WI": "Wisconsin"}
AREA_CODES = {
    "MI": ("313", "248", "586", "616", "810", "734", "517", "269", "989", "906"),
    "OH": ("419", "614", "216"),
    "IN": ("260", "317", "219"),
    "IL": ("312", "630", "847"),
    "WI": ("414", "608", "920"),
}
ZIP_RANGES = {
    "MI": (48001, 49971),
    "OH": (43001, 45999),
    "IN": (46001, 47997),
    "IL": (60001, 62999),
    "WI": (53001, 54990),
}
RELATIONSHIPS_CHILD = ("son", "daughter", "child", "grandchild", "stepson", "stepdaughter")
RELATIONSHIPS_ADULT = (
    "spouse",
    "husband",
    "wife",
    "mother",
    "father",
    "brother",
    "sister",
    "partner",
    "friend",
    "aunt",
    "uncle",
)
SEX_OF_RELATION = {
    "son": "male", "stepson": "male", "husband": "male", "father": "male", "brother": "male",
    "uncle": "male", "daughter": "female", "stepdaughter": "female", "wife": "female",
    "mother": "female", "sister": "female", "aunt": "female",
}  # fmt: skip
# The race boxes, from the schema (the one list of them); how often each is ticked.
RACES: tuple[str, ...] = tuple(
    load_schema(RecordType.INFECTION_REPORT)["properties"]["race"]["items"]["enum"]
)
_RACE_SHARE = {
    "asian": 0.07,
    "black": 0.2,
    "white": 0.6,
    "american_indian_alaska_native": 0.03,
    "native_hawaiian_pacific_islander": 0.02,
    "unknown": 0.05,
    "other": 0.03,
}
RACE_WEIGHTS = tuple(_RACE_SHARE[race] for race in RACES)
OTHER_RACE_TEXT = ("Arab American", "Middle Eastern", "Multiracial", "Chaldean", "Hmong")


@dataclass(frozen=True, slots=True)
class ValueOptions:
    """A split's value distributions: the shares of each wider style and the Faker
    locales other names come from."""

    shares: ValueShares
    locales: tuple[str, ...]


def to_ascii(text: str) -> str:
    """``text`` as a US form would hold it: accents dropped, other letters spelled out."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_NOT_DECOMPOSED))
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c))
        .encode("ascii", "ignore")
        .decode()
    )


@cache
def _data_lines(name: str) -> tuple[str, ...]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def modern_given_names(sex: str | None) -> tuple[str, ...]:
    rows = [line.split(",") for line in _data_lines("modern_given_names.txt")]
    wanted = {sex, "either"} if sex in {"male", "female"} else {"male", "female", "either"}
    return tuple(name for name, of in rows if of in wanted)


def apostrophe_surnames() -> tuple[str, ...]:
    return _data_lines("apostrophe_surnames.txt")


@cache
def _locale_faker(locale: str) -> Faker:
    return Faker(locale)


class PersonMaker:
    """Draws values from one seeded Faker and one seeded NumPy generator; with ``values``,
    from a split's wider distributions too."""

    def __init__(self, seed: int, values: ValueOptions | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.values = values

    # -- small draws ----------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(
        self, items: tuple[Any, ...] | list[Any], weights: tuple[float, ...] | None = None
    ) -> Any:
        if weights is None:
            return items[int(self.rng.integers(len(items)))]
        p = np.asarray(weights, dtype=float)
        return items[int(self.rng.choice(len(items), p=p / p.sum()))]

    def day_between(self, start: date, end: date) -> date:
        span = max(0, (end - start).days)
        return start + timedelta(days=int(self.rng.integers(0, span + 1)))

    def phone(self, state: str = "MI") -> str:
        area = self.pick(AREA_CODES.get(state, AREA_CODES["MI"]))
        exchange = f"{int(self.rng.integers(2, 10))}{int(self.rng.integers(0, 100)):02d}"
        return f"{area}{exchange}{int(self.rng.integers(0, 10000)):04d}"

    def ssn(self) -> str:
        # Faker's ssn() avoids the never-issued areas 000, 666 and 900-999.
        return str(self.fake.ssn()).replace("-", "")

    def zip_code(self, state: str) -> str:
        low, high = ZIP_RANGES[state]
        code = f"{int(self.rng.integers(low, high + 1)):05d}"
        return f"{code}-{int(self.rng.integers(1, 10000)):04d}" if self.chance(0.15) else code

    def first_name(self, sex: str | None) -> str:
        if self.values is not None:
            shares = self.values.shares
            if self.chance(shares.modern_given_name_share):
                return str(self.pick(modern_given_names(sex)))
            if self.chance(shares.other_locale_name_share):
                return self._locale_name(first=True, sex=sex)
        if sex == "male":
            return str(self.fake.first_name_male())
        if sex == "female":
            return str(self.fake.first_name_female())
        return str(self.fake.first_name())

    def last_name(self) -> str:
        if self.values is None:
            return str(self.fake.last_name())
        shares = self.values.shares
        if self.chance(shares.apostrophe_surname_share):
            return str(self.pick(apostrophe_surnames()))
        one = (
            self._locale_name(first=False, sex=None)
            if self.chance(shares.other_locale_name_share)
            else str(self.fake.last_name())
        )
        if self.chance(shares.hyphenated_surname_share):
            return f"{one}-{self.fake.last_name()}"
        return one

    def _locale_name(self, *, first: bool, sex: str | None) -> str:
        """A name from one of the split's locales, in ASCII (a romanised one where the
        locale writes names in another script)."""
        assert self.values is not None
        fake = _locale_faker(self.pick(self.values.locales))
        fake.seed_instance(int(self.rng.integers(0, 2**31 - 1)))
        if hasattr(fake, "first_romanized_name"):
            name = fake.first_romanized_name() if first else fake.last_romanized_name()
        elif not first:
            name = fake.last_name()
        elif sex == "male":
            name = fake.first_name_male()
        elif sex == "female":
            name = fake.first_name_female()
        else:
            name = fake.first_name()
        ascii_name = " ".join(to_ascii(str(name)).split())
        # A name in a script with no ASCII spelling keeps only its marks: an Armenian
        # double surname left a bare '-', written on the form as the surname.
        if not any(c.isalpha() for c in ascii_name):
            return str(self.fake.last_name())
        return ascii_name

    def agency(self, county: str, state: str) -> str:
        """A health department named the way its staff write it."""
        pattern = str(self.pick(AGENCY_PATTERNS))
        return pattern.format(county=county, state=state, state_name=STATE_NAMES[state])

    def email(self, first: str, last: str) -> str:
        if self.values is not None and self.chance(self.values.shares.unrelated_email_share):
            return self._unrelated_email()
        domain = self.pick(("gmail.com", "yahoo.com", "outlook.com", "example.org", "mail.com"))
        local = self.pick(
            (
                f"{first}.{last}",
                f"{first[0]}{last}",
                f"{first}{last[:3]}",
                f"{last}{int(self.rng.integers(1, 99))}",
            )
        )
        return f"{local}@{domain}".lower().replace("'", "").replace(" ", "")

    def _unrelated_email(self) -> str:
        """An address with nothing of the person's name in it (a nickname, a word and a
        year, someone else's user name)."""
        word, other = str(self.fake.word()), str(self.fake.word())
        number = int(self.rng.integers(1, 2025))
        local = self.pick(
            (
                f"{word}{other}{number % 100}",
                f"{word}_{other}",
                f"{word}.{number}",
                str(self.fake.user_name()),
                f"{other}{word[:1]}{number}",
            )
        )
        domain = self.pick(EMAIL_DOMAINS_WIDE)
        return f"{local}@{domain}".lower()

    def other_id(self, state: str, kind: str) -> str:
        """An ID in a shape other than the classic one (the schemas allow any string)."""
        digits = int(self.rng.integers(10**5, 10**9))
        year = self.pick(("20", "2020"))
        shapes = {
            "cdc": (f"{state}-{year}-{digits % 10**6:06d}", f"{digits}", f"{state}{digits:09d}"),
            "local": (
                f"{year}-{digits % 10**6:06d}", f"{state}{year}{digits % 10**5:05d}",
                f"{digits % 10**7}", f"{state} {digits % 10**6}",
            ),
            "nndss": (f"{digits % 10**8}", f"{digits % 10**6:06d}", f"N{digits % 10**7}"),
        }  # fmt: skip
        return str(self.pick(shapes[kind]))

    def wide(self, share: str) -> bool:
        """Whether this value takes a split's wider style (never on the classic path)."""
        return self.values is not None and self.chance(getattr(self.values.shares, share))


def age_on(birth: date, when: date) -> int:
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --------------------------------------------------------------------------------------
# CDC PUI / case report
# --------------------------------------------------------------------------------------


def infection_report(maker: PersonMaker) -> dict[str, Any]:
    """One consistent case report in normal form."""
    m = maker
    r = empty_record(RecordType.INFECTION_REPORT)
    state = m.pick(("MI", "MI", "MI", "OH", "IN", "IL", "WI"))
    report = m.day_between(date(2020, 2, 10), date(2020, 7, 31))
    sex = m.pick(("male", "female", "unknown", "other"), (0.48, 0.48, 0.03, 0.01))
    if m.chance(0.04):
        birth = report - timedelta(days=int(m.rng.integers(20, 360)))
    else:
        birth = m.day_between(date(1925, 1, 1), report - timedelta(days=366))
    r["patient_first_name"] = m.first_name(sex)
    r["patient_last_name"] = m.last_name()
    r["date_of_birth"] = _iso(birth)
    years = age_on(birth, report)
    if m.chance(0.9):
        if years >= 1:
            r["age"], r["age_units"] = years, "yr"
        else:
            months = (report.year - birth.year) * 12 + report.month - birth.month
            months -= report.day < birth.day
            r["age"], r["age_units"] = (
                (months, "mo") if months >= 1 else ((report - birth).days, "day")
            )

    state_id = f"{state}{int(m.rng.integers(10**8, 10**9))}"
    r["cdc_ncov_id"] = state_id if m.chance(0.85) else None
    r["reporting_jurisdiction"] = STATE_NAMES[state] if m.chance(0.5) else state
    county = m.pick(COUNTIES[state])
    r["reporting_health_department"] = (
        (f"{county} Co. HD" if len(county) < 10 else f"{county} HD") if m.chance(0.85) else None
    )
    if r["reporting_health_department"] and m.wide("other_id_shape_share"):
        r["reporting_health_department"] = m.agency(county, state)
    if r["cdc_ncov_id"] and m.wide("other_id_shape_share"):
        r["cdc_ncov_id"] = state_id = m.other_id(state, "cdc")
    if r["cdc_ncov_id"] and m.chance(0.25):
        r["contact_id"] = f"{state_id}-{int(m.rng.integers(1, 20)):02d}"
    r["case_state_local_id"] = (
        f"{state}-20-{int(m.rng.integers(1, 99999)):05d}" if m.chance(0.7) else None
    )
    if r["case_state_local_id"] and m.wide("other_id_shape_share"):
        r["case_state_local_id"] = m.other_id(state, "local")
    r["nndss_case_id"] = f"{int(m.rng.integers(10**6, 10**7))}" if m.chance(0.45) else None
    if r["nndss_case_id"] and m.wide("other_id_shape_share"):
        r["nndss_case_id"] = m.other_id(state, "nndss")

    sex_i = m.pick(("male", "female"))
    r["interviewer_last_name"] = m.last_name()
    r["interviewer_first_name"] = m.first_name(sex_i)
    r["interviewer_affiliation"] = f"{county} County Health Dept" if m.chance(0.8) else None
    if r["interviewer_affiliation"] and m.values is not None:
        r["interviewer_affiliation"] = m.agency(county, state)
    r["interviewer_telephone"] = m.phone(state) if m.chance(0.85) else None
    r["interviewer_email"] = (
        m.email(r["interviewer_first_name"], r["interviewer_last_name"]) if m.chance(0.6) else None
    )

    status = m.pick(("pui", "lab_confirmed", None), (0.35, 0.6, 0.05))
    r["case_status"] = status
    r["report_date_pui"] = _iso(report) if status == "pui" or m.chance(0.3) else None
    r["report_date_case"] = _iso(report) if status == "lab_confirmed" else None
    r["county_of_residence"] = county if m.chance(0.9) else None
    r["state_of_residence"] = state if m.chance(0.9) else None

    if m.chance(0.9):
        races = {m.pick(RACES, RACE_WEIGHTS)}
        named = tuple(r for r in RACES if r not in {"unknown", "other"})
        if races <= set(named) and m.chance(0.08):  # "unknown" is never ticked with a race
            races.add(m.pick(named))
        r["race"] = sorted(races)
        if "other" in races:
            r["race_other_specify"] = m.pick(OTHER_RACE_TEXT)
    r["ethnicity"] = m.pick(
        ("hispanic_latino", "non_hispanic_latino", "not_specified", None), (0.15, 0.7, 0.08, 0.07)
    )
    r["sex"] = sex

    symptomatic = m.pick(("symptomatic", "asymptomatic", "unknown", None), (0.8, 0.1, 0.05, 0.05))
    r["symptom_status"] = symptomatic
    onset = None
    if symptomatic == "symptomatic" and m.chance(0.85):
        onset = report - timedelta(days=int(m.rng.integers(2, 21)))
        r["onset_date"] = _iso(onset)
    earliest = onset or report - timedelta(days=10)
    if status == "lab_confirmed" and m.chance(0.85):
        r["first_positive_specimen_date"] = _iso(m.day_between(earliest, report))
    if onset and m.chance(0.35):
        r["symptom_resolution_date"] = _iso(m.day_between(onset + timedelta(days=3), report))

    ynu = ("yes", "no", "unknown", None)
    hospitalized = m.pick(ynu, (0.3, 0.6, 0.05, 0.05))
    r["hospitalized"] = hospitalized
    r["pneumonia"] = m.pick(
        ynu, (0.35, 0.5, 0.1, 0.05) if hospitalized == "yes" else (0.1, 0.7, 0.1, 0.1)
    )
    r["ards"] = m.pick(
        ynu, (0.2, 0.6, 0.1, 0.1) if hospitalized == "yes" else (0.02, 0.7, 0.1, 0.18)
    )
    r["other_diagnosis"] = m.pick(ynu, (0.1, 0.6, 0.15, 0.15))
    r["abnormal_chest_xray"] = m.pick(ynu, (0.3, 0.4, 0.15, 0.15))
    if hospitalized == "yes":
        admitted = m.day_between(earliest, report)
        r["admission_date"] = _iso(admitted)
        if m.chance(0.6):
            r["discharge_date"] = _iso(m.day_between(admitted, report + timedelta(days=20)))
        r["icu"] = m.pick(ynu, (0.3, 0.6, 0.05, 0.05))
        r["mechanical_ventilation"] = m.pick(
            ynu, (0.5, 0.4, 0.05, 0.05) if r["icu"] == "yes" else (0.02, 0.9, 0.04, 0.04)
        )
        if r["mechanical_ventilation"] == "yes" and m.chance(0.8):
            r["mechanical_ventilation_days"] = int(m.rng.integers(1, 25))
        r["ecmo"] = m.pick(ynu, (0.05, 0.85, 0.05, 0.05))
        r["died"] = m.pick(ynu, (0.15, 0.75, 0.05, 0.05))
    else:
        r["icu"] = m.pick(("no", None), (0.6, 0.4))
        r["mechanical_ventilation"] = m.pick(("no", None), (0.6, 0.4))
        r["ecmo"] = m.pick(("no", None), (0.6, 0.4))
        r["died"] = m.pick(("no", "unknown", None), (0.7, 0.05, 0.25))
    if r["died"] == "yes" and m.chance(0.9):
        start = date.fromisoformat(r["admission_date"]) if r["admission_date"] else earliest
        r["date_of_death"] = _iso(m.day_between(start, report + timedelta(days=25)))
        if r["discharge_date"] and r["date_of_death"] < r["discharge_date"]:
            r["discharge_date"] = r["date_of_death"]
    r["healthcare_worker"] = m.pick(ynu, (0.1, 0.8, 0.03, 0.07))
    r["healthcare_facility_china"] = m.pick(ynu, (0.01, 0.85, 0.04, 0.1))

    any_symptoms = symptomatic == "symptomatic"
    for name in (
        "symptom_fever",
        "symptom_subjective_fever",
        "symptom_chills",
        "symptom_myalgia",
        "symptom_rhinorrhea",
        "symptom_sore_throat",
        "symptom_cough",
        "symptom_shortness_of_breath",
        "symptom_nausea_vomiting",
        "symptom_headache",
        "symptom_abdominal_pain",
        "symptom_diarrhea",
    ):
        weights = (0.45, 0.4, 0.07, 0.08) if any_symptoms else (0.02, 0.7, 0.08, 0.2)
        r[name] = m.pick(ynu, weights)
    for name in (
        "condition_chronic_lung_disease",
        "condition_diabetes",
        "condition_cardiovascular_disease",
        "condition_chronic_renal_disease",
        "condition_chronic_liver_disease",
        "condition_immunocompromised",
        "condition_neurologic",
        "condition_other_chronic_disease",
        "condition_current_smoker",
        "condition_former_smoker",
    ):
        r[name] = m.pick(ynu, (0.15, 0.65, 0.08, 0.12))
    if sex == "female" and 15 <= years <= 45:
        r["condition_pregnant"] = m.pick(ynu, (0.1, 0.75, 0.05, 0.1))
    else:
        r["condition_pregnant"] = m.pick(("no", None), (0.4, 0.6))
    return r


# --------------------------------------------------------------------------------------
# DHS-1171 assistance application
# --------------------------------------------------------------------------------------


def benefit_application(maker: PersonMaker) -> dict[str, Any]:
    """One consistent application in normal form, with 0-4 other household members."""
    m = maker
    r = empty_record(RecordType.BENEFIT_APPLICATION)
    signed = m.day_between(date(2017, 9, 1), date(2020, 12, 31))
    # The blank form is printed with Food Assistance already ticked: the page shows it.
    r["applying_food_assistance"] = True
    r["applying_child_care"] = m.chance(0.25)
    r["applying_cash_assistance"] = m.chance(0.35)
    r["living_situation"] = m.pick(("house", "homeless", "other", None), (0.8, 0.07, 0.07, 0.06))
    state = "MI"
    homeless = r["living_situation"] == "homeless"
    if not homeless or m.chance(0.3):
        r["residential_street"] = str(m.fake.street_address())
        r["residential_city"] = str(m.fake.city())
        r["residential_state"] = state
        r["residential_zip"] = m.zip_code(state)
        r["residential_county"] = m.pick(COUNTIES[state]) if m.chance(0.85) else None
    if homeless or m.chance(0.25):
        r["mailing_street"] = (
            f"PO Box {int(m.rng.integers(1, 9999))}"
            if m.chance(0.5)
            else str(m.fake.street_address())
        )
        r["mailing_city"] = str(m.fake.city())
        r["mailing_state"] = state
        r["mailing_zip"] = m.zip_code(state)
        r["mailing_county"] = m.pick(COUNTIES[state]) if m.chance(0.6) else None

    sex = m.pick(("male", "female"))
    first = m.first_name(sex)
    last = m.last_name()
    middle = f" {m.fake.random_uppercase_letter()}." if m.chance(0.4) else ""
    birth = m.day_between(signed - timedelta(days=80 * 365), signed - timedelta(days=18 * 366))
    r["applicant_full_name"] = f"{first}{middle} {last}"
    r["applicant_birth_date"] = _iso(birth) if m.chance(0.95) else None
    r["applicant_sex"] = sex if m.chance(0.95) else None
    r["applicant_ssn"] = m.ssn() if m.chance(0.9) else None
    r["applicant_marital_status"] = m.pick(
        ("married", "never_married", "divorced", "widowed", "separated", None),
        (0.3, 0.35, 0.15, 0.05, 0.08, 0.07),
    )
    r["applicant_us_citizen"] = m.pick((True, False, None), (0.88, 0.07, 0.05))

    r["home_phone"] = m.phone(state) if m.chance(0.45) else None
    r["cell_phone"] = m.phone(state) if m.chance(0.75) else None
    r["work_phone"] = m.phone(state) if m.chance(0.2) else None
    r["email"] = m.email(first, last) if m.chance(0.5) else None
    if m.chance(0.85):
        cash = (
            float(m.rng.integers(0, 500000)) / 100
            if m.chance(0.4)
            else float(m.rng.integers(0, 3000))
        )
        r["total_cash_assets"] = cash
    if m.chance(0.85):
        r["monthly_gross_income"] = (
            float(m.rng.integers(0, 700000)) / 100
            if m.chance(0.4)
            else float(m.rng.integers(0, 6000))
        )

    members = []
    married = r["applicant_marital_status"] == "married"
    for index in range(int(m.pick((0, 1, 2, 3, 4), (0.3, 0.25, 0.2, 0.15, 0.1)))):
        if index == 0 and married:
            relation = m.pick(("spouse", "husband", "wife"))
            opposite = "female" if sex == "male" else "male"
            msex = SEX_OF_RELATION.get(relation, opposite)
            mbirth = m.day_between(birth - timedelta(days=3650), birth + timedelta(days=3650))
            mbirth = min(mbirth, signed - timedelta(days=18 * 366))
        elif age_on(birth, signed) >= 33 and m.chance(0.75):
            relation = m.pick(RELATIONSHIPS_CHILD)
            msex = SEX_OF_RELATION.get(relation) or m.pick(("male", "female"))
            low = max(birth + timedelta(days=15 * 366), signed - timedelta(days=18 * 365))
            mbirth = m.day_between(low, signed - timedelta(days=30))
        else:
            relation = m.pick(RELATIONSHIPS_ADULT)
            msex = SEX_OF_RELATION.get(relation) or m.pick(("male", "female"))
            mbirth = m.day_between(date(1935, 1, 1), signed - timedelta(days=18 * 366))
        mlast = last if relation not in RELATIONSHIPS_ADULT[4:] or m.chance(0.5) else m.last_name()
        members.append(
            {
                "full_name": f"{m.first_name(msex)} {mlast}",
                "birth_date": _iso(mbirth) if m.chance(0.95) else None,
                "relationship": relation if m.chance(0.95) else None,
                "sex": msex if m.chance(0.95) else None,
                "ssn": m.ssn() if m.chance(0.8) else None,
            }
        )
    r["household_members"] = members
    r["signature_date"] = _iso(signed) if m.chance(0.92) else None
    return r


def make_record(
    form_type: FormType, seed: int, values: ValueOptions | None = None
) -> dict[str, Any]:
    """The record of one synthetic document of ``form_type`` for ``seed`` (drawn from a
    split's wider ``values`` when given, else as the classic generator did)."""
    maker = PersonMaker(seed, values)
    if form_type is FormType.CDC_PUI_2020:
        return infection_report(maker)
    return benefit_application(maker)
