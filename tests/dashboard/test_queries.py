"""The filter menus of the review queue, read with one query of distinct values.

GIVEN the fixture documents (three waiting for review, one accepted)
WHEN  the queue's menu choices are read, and again after reviewers act
THEN  they hold exactly the centres, forms and open issue codes of the documents still
      waiting, the same as reading the whole queue would give.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from dashboard.queries import QueueChoices, queue_choices
from loaders.review import apply_correction, approve, review_queue
from tests.dashboard.conftest import Fixture


def _from_whole_queue(engine: Engine) -> QueueChoices:
    """What the menus offered when the page read the whole queue a second time."""
    everything = review_queue(engine)
    return QueueChoices(
        centres=tuple(sorted({i.centre_id for i in everything if i.centre_id})),
        form_types=tuple(sorted({i.form_type for i in everything})),
        issue_codes=tuple(sorted({c for i in everything for c in i.issue_codes})),
    )


def test_the_choices_are_the_values_of_the_documents_waiting(engine: Engine, docs: Fixture) -> None:
    choices = queue_choices(engine)

    assert choices == QueueChoices(
        centres=("centre-a", "centre-b"),
        form_types=("cdc_pui_2020", "mdhhs_dhs1171"),
        issue_codes=("age_mismatch", "date_after_report", "low_confidence", "page_missing"),
    )
    assert choices == _from_whole_queue(engine)


def test_a_resolved_issue_and_a_decided_document_leave_the_menus(
    engine: Engine, docs: Fixture
) -> None:
    # Correcting the age resolves the only age_mismatch issue; the document stays waiting.
    apply_correction(engine, docs.later_case, "age", 59, reviewer="reviewer")
    # Approving the only waiting document of centre-a takes its centre and codes away.
    approve(engine, docs.xss_case, reviewer="reviewer")

    choices = queue_choices(engine)

    assert choices == QueueChoices(
        centres=("centre-b",),
        form_types=("cdc_pui_2020", "mdhhs_dhs1171"),
        issue_codes=("low_confidence",),
    )
    assert choices == _from_whole_queue(engine)


def test_an_empty_queue_offers_nothing(engine: Engine, docs: Fixture) -> None:
    for document_id in (docs.xss_case, docs.later_case, docs.benefit):
        approve(engine, document_id, reviewer="reviewer")

    assert queue_choices(engine) == QueueChoices(centres=(), form_types=(), issue_codes=())
