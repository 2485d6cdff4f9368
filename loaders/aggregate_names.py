"""Names and one-line descriptions of the analysts' aggregates.

Kept free of heavy imports: the CLI reads them for ``--help`` without loading pandas.
"""

from __future__ import annotations

DESCRIPTIONS: dict[str, str] = {
    "infections_by_day": "infection reports per day by jurisdiction, county and case status",
    "epi_curve": "the epidemic curve: cases by onset date, county and case status",
    "severity": "hospitalisations, ICU admissions, ventilation and deaths by county",
    "benefits_by_county": "benefit applications per county, day and programme",
    "processing_by_centre": "received / accepted / needs review / rejected and median "
    "minutes to record, per centre and day",
    "corrections_by_field": "reviewer corrections per form and field, most corrected first",
    "field_automation": "fields no person touched (automation rate), documents fully automated "
    "and reviewers' seconds, per centre and day",
    "qa_accuracy": "production accuracy of auto-accepted fields measured by blind QA, per "
    "form and field, with its 95 % interval",
}
