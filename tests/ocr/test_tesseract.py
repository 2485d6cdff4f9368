"""The Tesseract wrapper: real calls on drawn text, and faults injected by pointing
``tesseract_cmd`` at small scripts (crashing, hanging, absent) so the real wrapper code
runs and must turn each fault into a coded error in bounded time."""

from __future__ import annotations

import os
import stat
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from faxflow.errors import ErrorCode, MissingDependency, OcrError, OcrTimeout
from faxflow.settings import Settings
from ocr import tesseract
from ocr.tesseract import detect_orientation, probe, read_text, read_words, read_words_batch
from tests.fakes import calls_made, crashing_tesseract
from tests.ocr.conftest import font, text_page


@pytest.fixture(autouse=True)
def _fresh_probe() -> None:
    tesseract.clear_probe_cache()


def _fake_tesseract(tmp_path: Path, body: str) -> str:
    """A script that answers the probe like Tesseract 5 and then runs ``body``."""
    script = tmp_path / "fake-tesseract"
    script.write_text(
        textwrap.dedent(
            """\
            #!/bin/sh
            case "$1" in
              --version) echo "tesseract 5.3.0"; exit 0;;
              --list-langs) printf 'List of available languages (2):\\neng\\nosd\\n'; exit 0;;
            esac
            """
        )
        + body
        + "\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def _word_image(word: str, *, size: int = 40) -> np.ndarray:
    img = Image.new("L", (size * len(word), size * 2), 255)
    ImageDraw.Draw(img).text((size // 2, size // 3), word, font=font(size), fill=0)
    return np.asarray(img, dtype=np.uint8).copy()


def test_probe_reports_version_languages_and_sets_thread_limit(settings: Settings) -> None:
    info = probe(settings)
    assert info.major >= 4
    assert "eng" in info.languages
    assert os.environ["OMP_THREAD_LIMIT"]  # set (or kept) for Tesseract subprocesses


def test_missing_binary_is_a_coded_missing_dependency(settings: Settings, tmp_path: Path) -> None:
    broken = settings.model_copy(update={"tesseract_cmd": str(tmp_path / "no-such-tesseract")})
    with pytest.raises(MissingDependency) as caught:
        read_words(_word_image("hello"), settings=broken)
    assert caught.value.code is ErrorCode.MISSING_DEPENDENCY
    assert "apt-get install tesseract-ocr tesseract-ocr-eng" in caught.value.message


def test_missing_language_names_the_package(settings: Settings) -> None:
    with pytest.raises(MissingDependency) as caught:
        read_words(_word_image("hello"), settings=settings, lang="zzz")
    assert "tesseract-ocr-zzz" in caught.value.message


def test_crashing_tesseract_is_a_coded_ocr_error(settings: Settings, tmp_path: Path) -> None:
    crashing = settings.model_copy(
        update={"tesseract_cmd": _fake_tesseract(tmp_path, "echo 'secret text' >&2; exit 1")}
    )
    with pytest.raises(OcrError) as caught:
        read_words(_word_image("hello"), settings=crashing)
    assert caught.value.code is ErrorCode.OCR_FAILED
    assert "status 1" in caught.value.message
    assert "secret" not in caught.value.message  # stderr is never quoted


def test_hanging_tesseract_times_out_quickly(settings: Settings, tmp_path: Path) -> None:
    hanging = settings.model_copy(
        update={"tesseract_cmd": _fake_tesseract(tmp_path, "exec sleep 600")}
    )
    started = time.monotonic()
    with pytest.raises(OcrTimeout) as caught:
        read_text(_word_image("hello"), settings=hanging, timeout_s=1.0)
    elapsed = time.monotonic() - started
    assert caught.value.code is ErrorCode.OCR_TIMEOUT
    assert elapsed < 30  # bounded: the hung process was killed, not waited for


def test_hanging_orientation_times_out(settings: Settings, tmp_path: Path) -> None:
    hanging = settings.model_copy(
        update={
            "tesseract_cmd": _fake_tesseract(tmp_path, "exec sleep 600"),
            "tesseract_timeout_s": 1.0,
        }
    )
    with pytest.raises(OcrTimeout):
        detect_orientation(_word_image("hello"), settings=hanging)


def test_read_text_reads_a_word_with_confidence(settings: Settings) -> None:
    result = read_text(_word_image("Faxflow"), settings=settings)
    assert result.text == "Faxflow"
    assert 0.5 < result.confidence <= 1.0


def test_whitelist_restricts_to_digits(settings: Settings) -> None:
    # "O" and "l" look like 0 and 1; with a digit whitelist they must come out as digits.
    image = _word_image("1O7 55l 0142")
    result = read_text(image, settings=settings, whitelist="0123456789")
    assert result.text.replace(" ", "").isdigit()


def test_read_words_gives_boxes_in_image_pixels_and_line_ids(
    settings: Settings, synthetic_page: np.ndarray
) -> None:
    words = read_words(synthetic_page, settings=settings, psm=6, dpi=200)
    texts = [w.text for w in words]
    assert "quick" in texts and "laboratory." in texts
    h, w = synthetic_page.shape
    for word in words:
        x0, y0, x1, y1 = word.bbox
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert 0.0 <= word.confidence <= 1.0
    assert len({word.line_key for word in words}) == 8  # one per drawn line


def test_blank_image_gives_no_words(settings: Settings) -> None:
    blank = np.full((60, 300), 255, dtype=np.uint8)
    assert read_words(blank, settings=settings) == []
    assert read_text(blank, settings=settings).text == ""


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_orientation_of_a_turned_page(settings: Settings, turn: int) -> None:
    page = text_page(dpi=150)
    # np.rot90 turns counter-clockwise; k=-1 turns the page 90 degrees clockwise.
    turned = np.ascontiguousarray(np.rot90(page, k=-turn // 90))
    found = detect_orientation(turned, settings=settings)
    assert found.rotate == (360 - turn) % 360
    assert found.confidence > 1.0


def test_orientation_of_a_blank_page_is_neutral(settings: Settings) -> None:
    blank = np.full((800, 600), 255, dtype=np.uint8)
    assert detect_orientation(blank, settings=settings) == tesseract.Orientation(0, 0.0)


def test_cost_is_counted(settings: Settings) -> None:
    seconds_before, calls_before = tesseract.ocr_seconds()
    read_text(_word_image("cost"), settings=settings)
    seconds_after, calls_after = tesseract.ocr_seconds()
    assert calls_after == calls_before + 1
    assert seconds_after > seconds_before


def test_a_batch_reads_each_image_as_alone_in_one_call(settings: Settings) -> None:
    """GIVEN crops of different sizes, one blank WHEN read as one batch THEN one Tesseract
    call gives each crop the words (text, boxes, confidences) it gets read alone."""
    images = [
        _word_image("Faxflow"),
        np.full((40, 20), 255, dtype=np.uint8),
        _word_image("Lansing 48906"),
        _word_image("0142", size=60),
    ]
    alone = [read_words(image, settings=settings, psm=7) for image in images]
    _, calls_before = tesseract.ocr_seconds()
    together = read_words_batch(images, settings=settings, psm=7)
    _, calls_after = tesseract.ocr_seconds()
    assert calls_after == calls_before + 1
    assert together == alone
    assert [" ".join(w.text for w in words) for words in together] == [
        "Faxflow",
        "",
        "Lansing 48906",
        "0142",
    ]


def test_a_batch_of_blank_images_makes_no_call(settings: Settings) -> None:
    _, calls_before = tesseract.ocr_seconds()
    blank = np.full((40, 120), 255, dtype=np.uint8)
    assert read_words_batch([blank, blank], settings=settings) == [[], []]
    assert tesseract.ocr_seconds()[1] == calls_before


def test_bad_arguments_are_refused_before_running(settings: Settings) -> None:
    with pytest.raises(ValueError, match="segmentation mode"):
        read_words(_word_image("x"), settings=settings, psm=42)
    with pytest.raises(ValueError, match="uint8"):
        read_words(np.zeros((10, 10), dtype=np.float32), settings=settings)


def test_a_killed_tesseract_child_is_called_again_and_the_read_succeeds(
    settings: Settings, tmp_path: Path
) -> None:
    fake = crashing_tesseract(tmp_path / "fake", crashes=2)
    flaky = settings.model_copy(
        update={"tesseract_cmd": str(fake), "tesseract_retry_delay_s": 0.01}
    )
    assert read_text(_word_image("Faxflow"), settings=flaky).text == "Faxflow"
    assert calls_made(fake) == 3  # killed twice, then read


def test_a_tesseract_killed_on_every_call_is_a_transient_ocr_error_naming_the_signal(
    settings: Settings, tmp_path: Path
) -> None:
    fake = crashing_tesseract(tmp_path / "fake", crashes=None)
    dead = settings.model_copy(update={"tesseract_cmd": str(fake), "tesseract_retry_delay_s": 0})
    with pytest.raises(OcrError) as caught:
        read_words(_word_image("hello"), settings=dead)
    assert calls_made(fake) == 3
    assert caught.value.code is ErrorCode.OCR_FAILED and caught.value.transient
    assert "killed by signal 9 (SIGKILL)" in caught.value.message
    assert "failed 3 times in a row" in caught.value.message
