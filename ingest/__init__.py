"""Intake: from a file (or a watched folder) to checked, page-at-a-time input.

* :func:`ingest.filetype.detect_kind` — PDF / TIFF / PNG / JPEG by magic bytes.
* :func:`ingest.source.open_source` — every pre-check, the SHA-256 document id and the
  page count, without rasterising (refusals raise ``InputRejected`` with a stable code).
* :func:`ingest.raster.iter_pages` — one 8-bit grey page at a time, square pixels at
  ``settings.page_dpi``, the source resolution recorded.
* :mod:`ingest.intake` — the watched folder: ``discover`` → ``claim`` → ``inspect`` →
  process → ``finish`` / ``quarantine``, ``recover`` after a crash, ``run_once`` for all
  of it, ``check_invariant`` to prove nothing was lost or counted twice.
* :mod:`ingest.ledger` — ``MemoryLedger`` and the durable ``JsonlLedger``.
"""
