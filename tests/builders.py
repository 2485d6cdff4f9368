"""Hand-made document results and sources, for tests that store or show documents without
running OCR (the loader tests and the dashboard tests build on these).

Document ``n`` always has the id :func:`doc_id` ``(n)`` and a file name that says which
form it is (``fax-<n>.tif`` or ``application-<n>.pdf``), so a test can name its documents
by number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from extract.template import FormTemplate
from faxflow.model import (
    RECORD_TYPE_BY_FORM,
    DocumentResult,
    FieldResult,
    FileKind,
    FormType,
    Issue,
    PageReport,
    PageRole,
    SourceDocument,
    Status,
)
from faxflow.schemas import empty_record
from faxflow.settings import Settings

SOURCE_NAMES = {
    FormType.CDC_PUI_2020: "fax-{n}.tif",
    FormType.MDHHS_DHS1171: "application-{n}.pdf",
}
CDC_TEMPLATE_PAGES = (1, 2)
DHS1171_TEMPLATE_PAGES = tuple(range(1, 22))


def doc_id(n: int) -> str:
    """The 64-hex-digit document id of test document ``n``."""
    return f"{n:064x}"


def field_result(
    value: Any,
    confidence: float,
    bbox: tuple[int, int, int, int],
    *,
    page: int = 1,
    raw: str | None = None,
) -> FieldResult:
    """One field's evidence; the OCR text is the value's text unless ``raw`` is given."""
    return FieldResult(
        value=value,
        confidence=confidence,
        page=page,
        bbox=bbox,
        raw_text=raw if raw is not None else (None if value is None else str(value)),
    )


def form_result(
    n: int,
    form_type: FormType,
    *,
    status: Status,
    values: Mapping[str, Any],
    fields: Mapping[str, FieldResult],
    issues: Sequence[Issue] = (),
    template_pages: Sequence[int],
    template_version: str | None = None,
) -> DocumentResult:
    """Test document ``n``: a ``form_type`` result whose record has every schema property,
    ``values`` set, and one form page per entry of ``template_pages`` (the template page
    that input page matched)."""
    record_type = RECORD_TYPE_BY_FORM[form_type]
    record = empty_record(record_type)
    record.update(values)
    return DocumentResult(
        document_id=doc_id(n),
        source_name=SOURCE_NAMES[form_type].format(n=n),
        form_type=form_type,
        record_type=record_type,
        page_count=len(template_pages),
        status=status,
        record=record,
        fields=dict(fields),
        issues=list(issues),
        pages=[
            PageReport(
                number=number, role=PageRole.FORM, form_type=form_type, template_page=template
            )
            for number, template in enumerate(template_pages, start=1)
        ],
        template_version=template_version,
    )


def source_for(result: DocumentResult, *, centre: str, received: datetime) -> SourceDocument:
    """The arrival facts of a hand-made result: a TIFF of 1234 bytes from ``centre``."""
    return SourceDocument(
        document_id=result.document_id,
        path=Path("/nonexistent") / result.source_name,
        source_name=result.source_name,
        kind=FileKind.TIFF,
        page_count=result.page_count,
        size_bytes=1234,
        centre_id=centre,
        received_at=received,
    )


def pack_settings(tmp_path: Path, name: str, *, renames: Mapping[str, str]) -> Settings:
    """Settings with one throwaway form pack, ``name``, drafted by ``forms new``'s code from
    a test-made fillable PDF, then edited as data: each of ``renames`` (old -> new field
    name, a ``new:format`` suffix adds a JSON-schema format) applied to its files."""
    from extract.pack_draft import draft_pack, write_pack
    from tests.fillable import make_fillable_pdf

    blank = make_fillable_pdf(tmp_path / f"{name}.pdf")
    folder = write_pack(draft_pack(name, blank), blank, tmp_path / "packs", command="test")
    for old, new in renames.items():
        new_name, _, fmt = new.partition(":")
        # the renamed field drops the format its old name gave it (``zip``): it is free
        # text, or in the format the suffix gives
        schema = folder / "schema.json"
        data = json.loads(schema.read_text())
        prop = data["properties"][old]
        for key in ("format", "pattern"):
            prop.pop(key, None)
        if fmt:
            prop["format"] = fmt
        schema.write_text(json.dumps(data))
        _set_format(folder, old, None)
        for file in ("schema.json", "labels.yaml", "template.yaml"):
            path = folder / file
            path.write_text(path.read_text().replace(old, new_name))
        _set_format(folder, new_name, fmt or None)
        _set_kind(folder, new_name, fmt or "text")
    return Settings(forms_dir=tmp_path / "packs", var_dir=tmp_path / "var")


def add_properties(folder: Path, properties: Mapping[str, dict[str, Any]]) -> None:
    """Add schema properties that are not on the pack's form (``not_on_form``), as a pack
    may for values it gets from elsewhere: a quick way to give a test pack other types."""
    import yaml

    schema = json.loads((folder / "schema.json").read_text())
    schema["properties"].update(properties)
    (folder / "schema.json").write_text(json.dumps(schema))
    template = yaml.safe_load((folder / "template.yaml").read_text())
    template.setdefault("not_on_form", {}).update({name: "added by a test" for name in properties})
    (folder / "template.yaml").write_text(yaml.safe_dump(template, sort_keys=False))


def pack_result(n: int, form: str, record: dict[str, Any], status: Status) -> DocumentResult:
    """Test document ``n`` of form pack ``form`` with ``record`` and its fields."""
    return DocumentResult(
        document_id=doc_id(n),
        source_name=f"{form}-{n}.tif",
        form_type=form,
        record_type=form,
        page_count=1,
        status=status,
        record=record,
        fields={name: FieldResult(value=value, confidence=0.9) for name, value in record.items()},
        pages=[PageReport(number=1, role=PageRole.FORM, form_type=form, template_page=1)],
        template_version="draft",
    )


def _set_format(folder: Path, name: str, fmt: str | None) -> None:
    """Check ``name`` in ``fmt`` in the pack's rules.yaml (no format: no check)."""
    import yaml

    rules = yaml.safe_load((folder / "rules.yaml").read_text()) or {}
    formats = rules.get("formats") or {}
    formats.pop(name, None)
    if fmt:
        formats[name] = fmt
    rules["formats"] = formats
    (folder / "rules.yaml").write_text(yaml.safe_dump(rules, sort_keys=False))


def _set_kind(folder: Path, name: str, kind: str) -> None:
    import yaml

    labels = yaml.safe_load((folder / "labels.yaml").read_text())
    labels["fields"][name]["kind"] = kind
    (folder / "labels.yaml").write_text(yaml.safe_dump(labels, sort_keys=False))
    template = yaml.safe_load((folder / "template.yaml").read_text())
    for spec in template["fields"]:
        if spec["name"] == name:
            spec["kind"] = kind
    (folder / "template.yaml").write_text(yaml.safe_dump(template, sort_keys=False))


def japanese_fap_settings(tmp_path: Path) -> Settings:
    """Settings whose packs folder holds a copy of the FAP supplement pack that counts in
    the Japanese calendar too (``calendar: japanese``), its housing question and its
    answers titled in Japanese."""
    import shutil

    folder = tmp_path / "forms" / "mi_fap_supplement"
    shutil.copytree(Path(__file__).resolve().parents[1] / "forms" / folder.name, folder)
    aggregates = (folder / "aggregates.yaml").read_text()
    (folder / "aggregates.yaml").write_text(aggregates + "calendar: japanese\n")
    schema = json.loads((folder / "schema.json").read_text())
    schema["properties"]["anyone_pays_housing_expenses"]["title"] = "住居費の支払い"
    schema["properties"]["anyone_pays_housing_expenses"]["x-enum-titles"] = {
        "yes": "はい",
        "no": "いいえ",
    }
    (folder / "schema.json").write_text(json.dumps(schema, ensure_ascii=False))
    return Settings(forms_dir=tmp_path / "forms", var_dir=tmp_path / "var")


def one_page_template(
    folder: Path, properties: Mapping[str, dict[str, Any]], fields: Sequence[dict[str, Any]]
) -> FormTemplate:
    """A one-page template of ``fields`` (each without its page) over a pack schema of
    ``properties`` written to ``folder``, validated as the loader would, without a blank."""
    schema = {"type": "object", "properties": dict(properties)}
    (folder / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    return FormTemplate.model_validate(
        {
            "form_type": "test_pack",
            "record_type": "test_pack",
            "version": "2026.12.1",
            "title": "test",
            "pages": [{"number": 1, "carries_fields": True}],
            "fields": [{"page": 1, **f} for f in fields],
            "folder": folder,
        }
    )
