"""Names shared by the DAGs: the Airflow asset that says "records changed", the OCR pool
and the Celery queue the OCR tasks go to."""

from __future__ import annotations

RECORDS_ASSET_URI = "faxflow://records"
RECORDS_ASSET_NAME = "faxflow_records"
OCR_POOL = "ocr"
OCR_QUEUE = "ocr"
