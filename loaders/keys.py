"""Key rotation: every stored SSN re-encrypted under a new key, in batches, resumably.

Set ``FAXFLOW_ENCRYPTION_KEY=<new key>,<old key>`` on every worker and the dashboard: from
then on new values are encrypted with the new key and both keys read (cryptography's
``MultiFernet``), so nothing stops while ``faxflow keys rotate`` runs. It walks every
encrypted column — the typed tables' SSN columns (those with a ``<name>_masked`` twin),
``fields.cipher`` and ``fields.machine_cipher``, ``review_events.cipher`` — in primary-key
order, one transaction per batch, and re-encrypts each token the new key alone cannot
read. A run that stops (killed, database gone) leaves every finished batch done; running
it again skips what is already under the new key. When it reports nothing left, drop the
old key from the setting.

Tokens are re-encrypted without their clear value leaving this module (``rotate``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.engine import Engine

from faxflow.errors import ConfigError
from faxflow.settings import Settings
from loaders.crypto import cipher, current_key_cipher
from loaders.db import session_scope
from loaders.tables import (
    RECORD_TABLES,
    fields,
    household_members,
    masked_column,
    review_events,
)

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500


@dataclass
class RotationReport:
    """What a rotation did, per ``table.column``: tokens re-encrypted, and tokens that
    were already under the new key (done by an earlier, interrupted run, or new)."""

    rotated: dict[str, int] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)

    @property
    def total_rotated(self) -> int:
        return sum(self.rotated.values())


def encrypted_columns() -> Iterator[tuple[sa.Table, list[sa.Column[object]]]]:
    """Every table holding Fernet tokens, with its token columns."""
    for table in (*RECORD_TABLES.values(), household_members):
        columns = [c for c in table.c if masked_column(c.name) in table.c]
        if columns:
            yield table, columns
    yield fields, [fields.c.cipher, fields.c.machine_cipher]
    yield review_events, [review_events.c.cipher]


def _is_current(first: Fernet, token: str) -> bool:
    try:
        first.decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def rotate_keys(
    engine: Engine,
    settings: Settings,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[str, int], None] | None = None,
) -> RotationReport:
    """Re-encrypt every stored token under the first key of ``settings``; see the module
    docstring. ``progress(table, rows)`` is called after each batch."""
    if batch_size < 1:
        raise ConfigError("the batch size must be at least 1")
    every = cipher(settings)
    first = current_key_cipher(settings)
    report = RotationReport()
    for table, columns in encrypted_columns():
        [key] = list(table.primary_key.columns)  # every token table has a one-column key
        after: object = None
        while True:
            query = sa.select(key, *columns).order_by(key).limit(batch_size)
            if after is not None:
                query = query.where(key > after)
            with session_scope(engine, write=True) as session:
                rows = session.execute(query).all()
                for row in rows:
                    changes: dict[str, str] = {}
                    for column in columns:
                        token = row._mapping[column]
                        name = f"{table.name}.{column.name}"
                        if not token:
                            continue
                        if _is_current(first, token):
                            report.current[name] = report.current.get(name, 0) + 1
                            continue
                        changes[column.name] = every.rotate(token.encode("ascii")).decode("ascii")
                        report.rotated[name] = report.rotated.get(name, 0) + 1
                    if changes:
                        session.execute(
                            sa.update(table).where(key == row._mapping[key]).values(**changes)
                        )
            if progress is not None and rows:
                progress(table.name, len(rows))
            if len(rows) < batch_size:
                break
            after = rows[-1]._mapping[key]
    log.info("key rotation: %d tokens re-encrypted", report.total_rotated)
    return report
