from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from faxflow.eras import ERAS, era_of, japanese_date


def test_days_are_written_in_their_era() -> None:
    assert japanese_date(date(2026, 12, 7)) == "令和8年12月7日"
    assert japanese_date(date(2019, 5, 1)) == "令和元年5月1日"
    assert japanese_date(date(2019, 4, 30)) == "平成31年4月30日"
    assert japanese_date(date(1989, 1, 7)) == "昭和64年1月7日"
    assert japanese_date(date(1989, 1, 8)) == "平成元年1月8日"
    assert japanese_date(date(1926, 12, 24)) == "大正15年12月24日"


def test_a_day_before_the_gregorian_meiji_dates_stays_iso() -> None:
    assert japanese_date(date(1850, 3, 4)) == "1850-03-04"
    assert japanese_date(date(1872, 12, 31)) == "1872-12-31"
    assert japanese_date(date(1873, 1, 1)) == "明治6年1月1日"


@given(st.dates(min_value=date(1873, 1, 1), max_value=date(2100, 12, 31)))
def test_every_day_since_meiji_has_one_era_and_a_positive_year(day: date) -> None:
    era = era_of(day)
    assert era is not None
    assert era.start <= day
    later = [e for e in ERAS if e.start > era.start]
    assert not later or day < later[0].start
    assert day.year - era.year_one + 1 >= 1


def test_each_era_starts_the_day_after_the_last_one_ends() -> None:
    for before, after in pairwise(ERAS):
        assert era_of(after.start - timedelta(days=1)) == before
        assert era_of(after.start) == after
