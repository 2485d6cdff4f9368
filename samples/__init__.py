"""Synthetic filled faxes and scans with ground truth, and the accuracy evaluator.

- :mod:`samples.people`   consistent synthetic records (Faker, seeded)
- :mod:`samples.layout`   where each field is written, read from the blank PDFs themselves
- :mod:`samples.splits`   the tune / locked split of writing and value styles (splits.yaml)
- :mod:`samples.render`   writes a record onto the blank pages (fonts, jitter, check marks)
- :mod:`samples.degrade`  fax and scanner degradation profiles; TIFF/PDF writer
- :mod:`samples.generate` one document + truth file; a whole deterministic set
- :mod:`samples.evaluate` per-field exact-match scoring of pipeline results against truth
- :mod:`samples.cli`      ``faxflow samples generate`` and ``faxflow eval``
"""
