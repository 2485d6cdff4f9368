"""Finding stored documents by form type, status, centre and arrival day."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from faxflow.errors import ConfigError
from faxflow.model import Status
from loaders.load import load_document
from loaders.queries import find_documents
from tests.loaders.conftest import at, benefit_result, infection_result, source_for


def test_find_documents(engine: Engine) -> None:
    a = infection_result(1, status=Status.NEEDS_REVIEW)
    b = infection_result(2)
    c = benefit_result(3)
    load_document(engine, a, source=source_for(a, centre="A", received=at(3, 23, 59)))
    load_document(engine, b, source=source_for(b, centre="B", received=at(1)))
    load_document(engine, c, source=source_for(c, centre="A", received=at(4, 0, 0)))
    ids = [b.document_id, a.document_id, c.document_id]
    assert find_documents(engine) == ids
    assert find_documents(engine, form_type="cdc_pui_2020") == ids[:2]
    assert find_documents(engine, status="needs_review") == [a.document_id]
    assert find_documents(engine, centre="A") == [a.document_id, c.document_id]
    assert find_documents(engine, since="2020-03-02", until="2020-03-03") == [a.document_id]
    assert find_documents(engine, since="2020-03-04") == [c.document_id]
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        find_documents(engine, since="03/02/2020")
