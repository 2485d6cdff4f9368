"""The central aggregation database (see ``loaders/README.md``).

Entry points other packages use:

- :mod:`loaders.db`: ``engine_for(url=None)``, ``upgrade(url_or_engine)``,
  ``downgrade(url_or_engine, "base")``, ``session_scope(engine)``;
- :mod:`loaders.load`: ``load_document(engine, result, *, source=None, page_images=None)``;
- :mod:`loaders.review`: ``review_queue``, ``get_document``, ``apply_correction``,
  ``undo_correction``, ``approve``, ``reject``, ``reopen``, ``reveal``;
- :mod:`loaders.audit`: ``record_audit(engine, *, actor, action, ...)``;
- :mod:`loaders.ledger`: ``SqlLedger(engine)``;
- :mod:`loaders.duplicates`: ``find_possible_duplicates(engine, *, record_type, ...)``;
- :mod:`loaders.queries`: ``find_documents(engine, *, form_type, status, since, until)``;
- :mod:`loaders.aggregates`: ``AGGREGATES`` (name → ``function(engine) -> DataFrame``);
- :mod:`loaders.pack_aggregates`: ``pack_tables(settings)``, each form pack's counts (by its
  ``aggregates.yaml``) and records export; :mod:`loaders.pack_views`: ``ensure_pack_views``;
- :mod:`loaders.tables`: the SQLAlchemy model (``Document``, ``User``, ``AuditEvent`` …).
"""
