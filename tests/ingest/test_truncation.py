"""Truncated inputs never crash intake: every outcome is pages or a coded refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from faxflow.errors import ErrorCode, InputRejected
from faxflow.settings import Settings
from ingest.raster import iter_pages
from ingest.source import open_source
from tests.ingest.conftest import make_jpeg, make_pdf, make_png, make_tiff

# Pillow warns about every oddity of a damaged TIFF; the outcome is what is checked here.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

INPUT_CODES = {ErrorCode.EMPTY, ErrorCode.CORRUPT, ErrorCode.TYPE, ErrorCode.BOMB}


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("originals")
    return {
        "pdf": make_pdf(folder / "a.pdf", pages=2, size=(170, 220)).read_bytes(),
        "tiff-g4": make_tiff(folder / "a.tif", pages=3, size=(864, 550)).read_bytes(),
        "tiff-deflate": make_tiff(
            folder / "b.tif", pages=2, size=(400, 260), compression="tiff_adobe_deflate"
        ).read_bytes(),
        "png": make_png(folder / "a.png", size=(170, 220)).read_bytes(),
        "jpeg": make_jpeg(folder / "a.jpg", size=(170, 220)).read_bytes(),
    }


def outcome(path: Path, settings: Settings) -> str:
    """'pages:N' or the refusal code; any other exception fails the test."""
    try:
        source = open_source(path, settings)
        pages = list(iter_pages(source, settings))
    except InputRejected as error:
        assert error.code in INPUT_CODES, error
        assert error.message and "\n" not in error.message
        return error.code.value
    assert len(pages) == source.page_count
    assert all(p.image.ndim == 2 and p.image.size > 0 for p in pages)
    return f"pages:{len(pages)}"


@pytest.mark.parametrize("kind", ["pdf", "tiff-g4", "tiff-deflate", "png", "jpeg"])
def test_truncated_files_give_pages_or_a_coded_refusal(
    kind: str, originals: dict[str, bytes], tmp_path: Path, settings: Settings
) -> None:
    data = originals[kind]
    work = tmp_path / "cut"

    @hypothesis_settings(
        max_examples=40 if kind == "pdf" else 60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
        derandomize=True,
    )
    @given(cut=st.integers(min_value=0, max_value=len(data) - 1))
    def check(cut: int) -> None:
        work.write_bytes(data[:cut])
        result = outcome(work, settings)
        if cut == 0:
            assert result == ErrorCode.EMPTY.value

    check()


def test_the_untruncated_originals_are_read(
    originals: dict[str, bytes], tmp_path: Path, settings: Settings
) -> None:
    """The property above means something only if whole files are read."""
    expected = {"pdf": 2, "tiff-g4": 3, "tiff-deflate": 2, "png": 1, "jpeg": 1}
    for kind, data in originals.items():
        path = tmp_path / kind
        path.write_bytes(data)
        assert outcome(path, settings) == f"pages:{expected[kind]}"


@pytest.mark.parametrize("kind", ["pdf", "tiff-g4"])
def test_flipped_bytes_give_pages_or_a_coded_refusal(
    kind: str, originals: dict[str, bytes], tmp_path: Path, settings: Settings
) -> None:
    data = originals[kind]
    work = tmp_path / "flipped"

    @hypothesis_settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
        derandomize=True,
    )
    @given(
        flips=st.lists(
            st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)), min_size=1, max_size=8
        )
    )
    def check(flips: list[tuple[int, int]]) -> None:
        damaged = bytearray(data)
        for offset, mask in flips:
            damaged[offset] ^= mask
        work.write_bytes(bytes(damaged))
        outcome(work, settings)

    check()
