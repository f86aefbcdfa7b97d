"""In-memory stand-ins for outside services that tests (and benchmarks) run without.

Firestore is never faked: only the task queue, whose emulator ignores schedule times.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


class RecordingTasks:
    """A `TaskScheduler` that records what was enqueued and deleted."""

    def __init__(self) -> None:
        self.enqueued: dict[tuple[str, str], tuple[dict[str, Any], datetime | None]] = {}
        self.deleted: list[tuple[str, str]] = []
        self.fail_next = False
        """Make the next enqueue raise, as a Tasks API outage would."""

    def enqueue(
        self,
        *,
        queue: str,
        task_id: str,
        payload: dict[str, Any],
        schedule_time: datetime | None = None,
        dispatch_deadline_s: int | None = None,
    ) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("tasks API down")
        self.enqueued.setdefault((queue, task_id), (payload, schedule_time))

    def delete(self, *, queue: str, task_id: str) -> None:
        self.deleted.append((queue, task_id))
        self.enqueued.pop((queue, task_id), None)
