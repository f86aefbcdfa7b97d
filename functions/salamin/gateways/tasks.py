"""Cloud Tasks for task-queue functions, with deterministic task ids.

A task id derived from our own id (e.g. `<sessionId>-hold`) makes enqueueing idempotent: a
second enqueue of the same id is refused by Cloud Tasks and treated here as done. The Admin SDK
does not wrap the payload the way the callable protocol expects, so it is sent as
`{"data": payload}`. Note: the local Tasks emulator ignores the schedule time and dispatches at
once, so the code behind a task must itself check whether it is due.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from typing import Any, Protocol

from firebase_admin import exceptions as fb_exceptions
from firebase_admin import functions as fb_functions

from salamin.core.log import log


class TaskScheduler(Protocol):
    def enqueue(
        self, *, queue: str, task_id: str, payload: dict[str, Any], schedule_time: datetime
    ) -> None: ...

    def delete(self, *, queue: str, task_id: str) -> None: ...


class FirebaseTasks:
    """Enqueues onto the task queue of a function declared with `@tasks_fn.on_task_dispatched`."""

    def __init__(self, app: Any = None) -> None:
        self._app = app

    def _queue(self, queue: str) -> fb_functions.TaskQueue:
        if self._app is None:
            from salamin.core import firebase

            self._app = firebase.app()
        return fb_functions.task_queue(queue, app=self._app)

    def enqueue(
        self, *, queue: str, task_id: str, payload: dict[str, Any], schedule_time: datetime
    ) -> None:
        options = fb_functions.TaskOptions(
            schedule_time=schedule_time.astimezone(UTC).replace(tzinfo=None), task_id=task_id
        )
        try:
            self._queue(queue).enqueue({"data": payload}, options)
        except fb_exceptions.AlreadyExistsError:
            log("task.exists", queue=queue, taskId=task_id)
        except ValueError as exc:
            # With a task id, the Tasks emulator answers with the task name without the leading
            # "/" the Admin SDK strips, so the SDK fails to parse a task that was created.
            if not (os.environ.get("CLOUD_TASKS_EMULATOR_HOST") and "resource name" in str(exc)):
                raise

    def delete(self, *, queue: str, task_id: str) -> None:
        with contextlib.suppress(fb_exceptions.NotFoundError):
            self._queue(queue).delete(task_id)


class RecordingTasks:
    """An in-memory scheduler for tests and scripts that run without a Tasks emulator."""

    def __init__(self) -> None:
        self.enqueued: dict[tuple[str, str], tuple[dict[str, Any], datetime]] = {}
        self.deleted: list[tuple[str, str]] = []

    def enqueue(
        self, *, queue: str, task_id: str, payload: dict[str, Any], schedule_time: datetime
    ) -> None:
        self.enqueued.setdefault((queue, task_id), (payload, schedule_time))

    def delete(self, *, queue: str, task_id: str) -> None:
        self.deleted.append((queue, task_id))
        self.enqueued.pop((queue, task_id), None)
