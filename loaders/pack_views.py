"""Typed views of form packs' records, derived from each pack's ``schema.json``.

``form_records`` holds every pack's record as JSON (``loaders/README.md`` says why). For
analysts and exports each pack gets a view ``form_<name>``: ``document_id``, the
document's status and one column per schema property, typed from the property (text,
integer, number, boolean; arrays and objects stay JSON). SQLAlchemy compiles the JSON
paths for the database in use (``json_extract`` on SQLite, ``->>`` on PostgreSQL).

The views are (re)created by :func:`ensure_pack_views` whenever a command migrates the
database: cheap, idempotent, and a changed schema gets a changed view without a migration.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from faxflow.packs import FormPack, find_packs
from faxflow.settings import Settings
from loaders.tables import documents, form_records, masked_column

VIEW_PREFIX = "form_"


def view_name(pack: FormPack) -> str:
    """The view of a pack's records (pack names are ``[a-z][a-z0-9_]*``: safe as SQL)."""
    return f"{VIEW_PREFIX}{pack.name}"


def typed_element(prop: dict[str, Any], element: Any) -> Any:
    """A JSON element of a pack's record typed as its schema property says."""
    declared = prop.get("type", [])
    types = ({declared} if isinstance(declared, str) else set(declared)) - {"null"}
    if "enum" in prop and not types:
        types = {type(v).__name__ for v in prop["enum"] if v is not None}
    if types == {"integer"}:
        return element.as_integer()
    if types == {"number"}:
        return element.as_float()
    if types in ({"boolean"}, {"bool"}):
        return element.as_boolean()
    if types & {"array", "object"}:
        return element.as_json()
    return element.as_string()


def pack_view_select(pack: FormPack) -> sa.Select[Any]:
    """The SELECT behind a pack's view."""
    from loaders.records import is_sensitive

    record = form_records.c.record
    columns: list[Any] = [form_records.c.document_id, documents.c.status]
    for name, prop in pack.schema["properties"].items():
        if is_sensitive(name):
            columns.append(record[masked_column(name)].as_string().label(masked_column(name)))
            continue  # the token is not for analysts
        columns.append(typed_element(prop, record[name]).label(name))
    return (
        sa.select(*columns)
        .select_from(form_records.join(documents))
        .where(form_records.c.form_type == pack.name)
    )


def ensure_pack_views(
    engine: Engine, settings: Settings, *, missing_only: bool = False
) -> list[str]:
    """(Re)create the views of every form pack that has its own schema: its records
    (``form_<name>``) and, when it declares ``aggregates.yaml``, its counts
    (``form_<name>_counts``, :mod:`loaders.pack_aggregates`); the views made.
    ``missing_only``: create only views that do not exist yet (a pack added since the
    last refresh), without touching the others, which readers may be using."""
    from loaders.pack_aggregates import counts_select, counts_view_name

    made: list[str] = []
    existing = set(sa.inspect(engine).get_view_names()) if missing_only else set()
    with engine.begin() as connection:
        for pack in find_packs(settings).values():
            if pack.builtin:
                continue  # typed tables of its own
            selects = {view_name(pack): pack_view_select(pack)}
            if pack.aggregates is not None:
                selects[counts_view_name(pack)] = counts_select(pack)
            for name, query in selects.items():
                if name in existing:
                    continue
                select = query.compile(
                    dialect=connection.dialect, compile_kwargs={"literal_binds": True}
                )
                connection.exec_driver_sql(f'DROP VIEW IF EXISTS "{name}"')
                connection.exec_driver_sql(f'CREATE VIEW "{name}" AS {select}')
                made.append(name)
    return made
