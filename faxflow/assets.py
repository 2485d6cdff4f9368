"""Names shared by the DAGs: the Airflow assets that say "records changed" and "files
arrived in the inbox" (with its watcher's name), the OCR pool and the Celery queue the OCR
tasks go to."""

from __future__ import annotations

RECORDS_ASSET_URI = "faxflow://records"
RECORDS_ASSET_NAME = "faxflow_records"
OCR_POOL = "ocr"
OCR_QUEUE = "ocr"
INBOX_ASSET_URI = "faxflow://inbox"
INBOX_ASSET_NAME = "faxflow_inbox"
INBOX_WATCHER_NAME = "faxflow_inbox_arrivals"
