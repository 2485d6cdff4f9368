"""The inbox watcher that starts ``fax_intake`` when files arrive (Airflow event-driven
scheduling: an ``AssetWatcher`` on the inbox asset runs this trigger in the triggerer).

It only lists the inbox, every ``poll_seconds``, and announces arrivals
(:class:`ingest.scan.ArrivalWatch`); claiming, the stability window and everything else
stay in the run it starts, so a watcher that is down or wrong costs latency, never a file
(``fax_intake`` still runs every minute). Its event carries a count only: the triggerer
logs every event and Airflow stores its payload in the asset event, and inbox names can
hold a patient's name.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from ingest.scan import ArrivalWatch, snapshot

CLASSPATH = "ingest.inbox_trigger.InboxArrivalTrigger"
DEFAULT_POLL_SECONDS = 2.0


def configured_inbox() -> Path:
    """The inbox the environment's settings name (``FAXFLOW_INTAKE_ROOT`` or
    ``FAXFLOW_VAR_DIR``). Read in the triggerer, not when the DAG file is parsed; an
    override in the Airflow Variable ``faxflow_settings`` is not seen here (the minute's
    run still finds those files)."""
    from faxflow.settings import Settings

    return Settings().intake_dir / "inbox"


class InboxArrivalTrigger(BaseEventTrigger):
    """Fires once per set of arrivals in the inbox (see :class:`ingest.scan.ArrivalWatch`).

    ``inbox``: the folder to watch; empty means :func:`configured_inbox`.
    ``poll_seconds``: how often to list it (a listing costs one ``scandir`` per folder).
    """

    def __init__(self, inbox: str = "", poll_seconds: float = DEFAULT_POLL_SECONDS) -> None:
        super().__init__()
        self.inbox = inbox
        self.poll_seconds = poll_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return CLASSPATH, {"inbox": self.inbox, "poll_seconds": self.poll_seconds}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        inbox = Path(self.inbox) if self.inbox else await asyncio.to_thread(configured_inbox)
        watch = ArrivalWatch()
        while True:
            # Listing is blocking file-system work (slow on a network share): off the loop
            # that runs every other trigger.
            arrivals = watch.look(await asyncio.to_thread(snapshot, inbox))
            if arrivals:
                self.log.info("%d new inbox file(s): starting fax_intake", arrivals)
                yield TriggerEvent({"arrivals": arrivals})
            await asyncio.sleep(self.poll_seconds)
