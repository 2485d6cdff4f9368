"""Names shared by the DAGs: the Airflow asset that says "records changed"."""

from __future__ import annotations

RECORDS_ASSET_URI = "faxflow://records"
RECORDS_ASSET_NAME = "faxflow_records"
OCR_POOL = "ocr"
