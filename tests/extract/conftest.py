"""Shared fixtures of the extract tests: the real templates, their reference renders and
the classification index (built once per session: rendering 23 pages takes seconds)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from extract.classify import ReferenceIndex, build_index
from extract.reference import ReferencePage, reference_pages
from extract.template import FormTemplate, load_templates
from faxflow.model import FormType
from faxflow.settings import DEFAULT_TEMPLATES_DIR

DPI = 200


@pytest.fixture(scope="session")
def templates() -> Mapping[FormType, FormTemplate]:
    found = load_templates(DEFAULT_TEMPLATES_DIR)
    if FormType.CDC_PUI_2020 not in found:
        pytest.skip("the CDC template is not in this checkout")
    return found


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("template-cache")


@pytest.fixture(scope="session")
def index(templates: Mapping[FormType, FormTemplate], cache_root: Path) -> ReferenceIndex:
    return build_index(templates, dpi=DPI, cache_root=cache_root)


@pytest.fixture(scope="session")
def cdc_pages(
    templates: Mapping[FormType, FormTemplate], cache_root: Path
) -> tuple[ReferencePage, ...]:
    return reference_pages(templates[FormType.CDC_PUI_2020], dpi=DPI, cache_root=cache_root)
