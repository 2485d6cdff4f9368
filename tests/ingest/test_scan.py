"""When the inbox watch announces arrivals: once per new file, once it stopped changing.

GIVEN looks at an inbox (entry → size and mtime), as the watcher takes them every 2 s
WHEN  a file appears, keeps growing, stays, leaves, or comes back
THEN  it is announced once, after two equal looks, and again only when it changed
"""

from __future__ import annotations

import os
from pathlib import Path

from ingest.scan import ArrivalWatch, snapshot

A = ("clinic-3/a.tif", 11)
B = ("clinic-3/b.tif", 12)


def test_a_new_file_is_announced_once_after_two_equal_looks() -> None:
    watch = ArrivalWatch()
    assert watch.look({}) == 0
    assert watch.look({A: (100, 1)}) == 0  # first seen: may still be written
    assert watch.look({A: (100, 1)}) == 1
    assert watch.look({A: (100, 1)}) == 0  # still waiting to be claimed: said already
    assert watch.look({A: (100, 1), B: (50, 2)}) == 0
    assert watch.look({A: (100, 1), B: (50, 2)}) == 1  # only the new one


def test_a_growing_file_is_announced_when_it_stops_growing() -> None:
    watch = ArrivalWatch()
    for size in (10, 20, 30):
        assert watch.look({A: (size, size)}) == 0
    assert watch.look({A: (30, 30)}) == 1


def test_a_file_rewritten_after_its_announcement_is_announced_again() -> None:
    watch = ArrivalWatch()
    watch.look({A: (10, 1)})
    assert watch.look({A: (10, 1)}) == 1
    assert watch.look({A: (20, 2)}) == 0
    assert watch.look({A: (20, 2)}) == 1


def test_a_claimed_file_is_forgotten_and_announced_if_it_comes_back() -> None:
    watch = ArrivalWatch()
    watch.look({A: (10, 1)})
    watch.look({A: (10, 1)})
    assert watch.look({}) == 0
    assert watch.announced == {}
    watch.look({A: (10, 1)})  # put back by a claim that saw it change
    assert watch.look({A: (10, 1)}) == 1


def test_snapshot_lists_what_discovery_would_and_nothing_being_written(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    assert snapshot(inbox) == {}  # not created yet
    (inbox / "clinic-3").mkdir(parents=True)
    (inbox / "clinic-3" / "fax.tif").write_bytes(b"II*\x00")
    (inbox / "clinic-3" / "fax2.tif.part").write_bytes(b"II")
    (inbox / ".hidden").write_bytes(b"x")
    info = os.stat(inbox / "clinic-3" / "fax.tif")
    assert snapshot(inbox) == {("clinic-3/fax.tif", info.st_ino): (4, info.st_mtime_ns)}
