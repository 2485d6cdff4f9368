"""Real faxes nobody on the project made (libtiff's CCITT test set and others)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from faxflow.errors import ErrorCode, InputRejected
from faxflow.ledger import LedgerStatus
from faxflow.settings import Settings
from ingest.intake import IntakeFolders, check_invariant, run_once
from ingest.ledger import JsonlLedger
from ingest.raster import iter_pages
from ingest.source import open_source
from tests.ingest.conftest import dark_fraction

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

INPUT_CODES = {
    c
    for c in ErrorCode
    if c.value
    in {
        "E_EMPTY",
        "E_CORRUPT",
        "E_ENCRYPTED",
        "E_TOO_LARGE",
        "E_PAGES",
        "E_BOMB",
        "E_TYPE",
    }
}
NORMAL_RESOLUTION_FAXES = ("fax2d.tif", "g3test.tif")  # 204 x 98 dpi
NAMED_IN_THE_ISSUE = (
    "G3 Premature EOL.tif",
    "testfax3_bug54_1dnoEOL.tif",
    *NORMAL_RESOLUTION_FAXES,
)


def fax_files(realdata_dir: Path) -> list[Path]:
    folder = realdata_dir / "fax_tiff"
    if not folder.is_dir():
        pytest.skip("realdata/fax_tiff is absent")
    return sorted(p for p in folder.iterdir() if p.is_file())


def test_every_real_fax_is_read_or_refused_with_a_code(
    realdata_dir: Path, settings: Settings
) -> None:
    outcomes: dict[str, str] = {}
    for path in fax_files(realdata_dir):
        try:
            source = open_source(path, settings)
            pages = list(iter_pages(source, settings))
        except InputRejected as error:
            assert error.code in INPUT_CODES, (path.name, error)
            outcomes[path.name] = error.code.value
            continue
        assert len(pages) == source.page_count >= 1
        for page in pages:
            height, width = page.image.shape
            assert page.image.dtype.name == "uint8"
            # a believable page at 200 dpi: between 2 and 20 inches a side
            assert min(height, width) >= 400 and max(height, width) <= 4000, path.name
            assert 0.001 < dark_fraction(page.image) < 0.6, path.name
        outcomes[path.name] = f"pages:{len(pages)}"
    assert all(
        name in outcomes
        for name in NAMED_IN_THE_ISSUE
        if (realdata_dir / "fax_tiff" / name).exists()
    )
    tiffs = [name for name in outcomes if name.lower().endswith((".tif", ".tiff"))]
    assert all(outcomes[name].startswith("pages:") for name in tiffs), outcomes


@pytest.mark.parametrize("name", NORMAL_RESOLUTION_FAXES)
def test_normal_resolution_faxes_become_square_pixels(
    name: str, realdata_dir: Path, settings: Settings
) -> None:
    path = realdata_dir / "fax_tiff" / name
    if not path.exists():
        pytest.skip(f"{name} is absent")
    source = open_source(path, settings)
    (page,) = iter_pages(source, settings)
    assert page.source_dpi == (204.0, 98.0)
    height, width = page.image.shape
    # 1728 fax pixels at 204 dpi are 8.47 inches: a Letter page, now at 200 x 200 dpi
    assert width == round(1728 * 200 / 204)
    assert 10.5 <= height / 200 <= 11.5
    assert abs(width / 200 - 8.47) < 0.01


@pytest.mark.parametrize("name", ["G3 Premature EOL.tif", "testfax3_bug54_1dnoEOL.tif"])
def test_fax_with_a_wrong_resolution_tag_keeps_its_page_size(
    name: str, realdata_dir: Path, settings: Settings
) -> None:
    """These faxes are 1728 pixels wide (a T.4 line, 8.47 in) but tagged 300 dpi, which
    would make a 5.8-inch page; the fax line length wins."""
    path = realdata_dir / "fax_tiff" / name
    if not path.exists():
        pytest.skip(f"{name} is absent")
    source = open_source(path, settings)
    (page,) = iter_pages(source, settings)
    assert page.source_dpi == (204.0, 204.0)
    assert page.image.shape[1] == round(1728 * 200 / 204)


def test_real_faxes_through_the_watched_folder(realdata_dir: Path, settings: Settings) -> None:
    """Every real fax dropped in the inbox ends archived or quarantined with a code, one
    ledger row each, and the invariant holds."""
    files = fax_files(realdata_dir)
    quick = settings.model_copy(update={"stable_seconds": 0.0})
    folders = IntakeFolders.from_settings(quick)
    (folders.inbox / "fax-server").mkdir()
    for path in files:
        shutil.copyfile(path, folders.inbox / "fax-server" / path.name)
    ledger = JsonlLedger(quick.var_dir / "ledger.jsonl")
    pages: list[int] = []
    report = run_once(
        quick, ledger, lambda source: pages.append(sum(1 for _ in iter_pages(source, quick)))
    )
    assert len(report.results) == len(files)
    entries = ledger.entries()
    assert len(entries) == len(files)
    assert {e.status for e in entries} <= {
        LedgerStatus.ARCHIVED,
        LedgerStatus.DUPLICATE,
        LedgerStatus.QUARANTINED,
    }
    assert all(e.reason_code for e in entries if e.status is LedgerStatus.QUARANTINED)
    assert check_invariant(quick, ledger) == []
    assert not any(p.is_file() for p in folders.inbox.rglob("*"))
