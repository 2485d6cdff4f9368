"""The inbox watcher run the way the triggerer runs it: an async generator on an event loop.

GIVEN an InboxArrivalTrigger polling a temporary inbox every 20 ms
WHEN  a fax arrives (written under a temporary name, then renamed), stays unclaimed, and
      a second one arrives
THEN  the trigger fires once for the first, stays quiet while it waits, fires once for the
      second; its events hold a count, never a file name
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from airflow.sdk.module_loading import import_string
from airflow.triggers.base import TriggerEvent

from ingest.inbox_trigger import CLASSPATH, InboxArrivalTrigger, configured_inbox

POLL = 0.02
QUIET = 0.3  # 15 polls: long enough that a second event would have come


def _deliver(inbox: Path, name: str) -> None:
    """As a fax server delivers: written under a temporary name, renamed when whole."""
    inbox.mkdir(parents=True, exist_ok=True)
    partial = inbox / f"{name}.part"
    partial.write_bytes(b"II*\x00" + b"\x00" * 1000)
    os.rename(partial, inbox / name)


async def _collect(trigger: InboxArrivalTrigger, events: asyncio.Queue[TriggerEvent]) -> None:
    async for event in trigger.run():
        await events.put(event)


def test_fires_once_per_new_file_and_not_again_while_it_waits(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox" / "clinic-3"

    async def scenario() -> list[TriggerEvent]:
        events: asyncio.Queue[TriggerEvent] = asyncio.Queue()
        trigger = InboxArrivalTrigger(inbox=str(tmp_path / "inbox"), poll_seconds=POLL)
        watcher = asyncio.create_task(_collect(trigger, events))
        try:
            await asyncio.sleep(QUIET)
            assert events.empty()  # an empty inbox says nothing
            _deliver(inbox, "Jane Doe referral.tif")
            first = await asyncio.wait_for(events.get(), timeout=5)
            await asyncio.sleep(QUIET)
            assert events.empty()  # the same file, not yet claimed: no second event
            (inbox / "next.tif.part").write_bytes(b"II*\x00")
            await asyncio.sleep(QUIET)
            assert events.empty()  # still being written
            os.rename(inbox / "next.tif.part", inbox / "next.tif")
            second = await asyncio.wait_for(events.get(), timeout=5)
            await asyncio.sleep(QUIET)
            assert events.empty()
            return [first, second]
        finally:
            watcher.cancel()

    first, second = asyncio.run(scenario())
    assert first.payload == {"arrivals": 1}
    assert second.payload == {"arrivals": 1}
    assert "Jane" not in json.dumps([first.payload, second.payload])


def test_files_waiting_when_the_watcher_starts_are_announced(tmp_path: Path) -> None:
    _deliver(tmp_path / "inbox" / "clinic-3", "a.tif")
    _deliver(tmp_path / "inbox" / "clinic-4", "b.pdf")

    async def first_event() -> TriggerEvent:
        trigger = InboxArrivalTrigger(inbox=str(tmp_path / "inbox"), poll_seconds=POLL)
        events = trigger.run()
        try:
            return await asyncio.wait_for(anext(events), timeout=5)
        finally:
            await events.aclose()

    assert asyncio.run(first_event()).payload == {"arrivals": 2}


def test_serialises_to_an_importable_class_the_triggerer_can_rebuild() -> None:
    classpath, kwargs = InboxArrivalTrigger(poll_seconds=3.0).serialize()
    assert classpath == CLASSPATH
    rebuilt = import_string(classpath)(**kwargs)
    assert isinstance(rebuilt, InboxArrivalTrigger)
    assert rebuilt.serialize() == (classpath, {"inbox": "", "poll_seconds": 3.0})


def test_without_an_inbox_it_watches_the_configured_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FAXFLOW_INTAKE_ROOT", raising=False)
    monkeypatch.setenv("FAXFLOW_VAR_DIR", str(tmp_path / "var"))
    assert configured_inbox() == tmp_path / "var" / "intake" / "inbox"
