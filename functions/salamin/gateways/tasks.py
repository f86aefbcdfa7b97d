"""Cloud Tasks for task-queue functions, with deterministic task ids: the one adapter.

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

from salamin.core.log import log


class TaskScheduler(Protocol):
    def enqueue(
        self,
        *,
        queue: str,
        task_id: str,
        payload: dict[str, Any],
        schedule_time: datetime | None = None,
        dispatch_deadline_s: int | None = None,
    ) -> None: ...

    def delete(self, *, queue: str, task_id: str) -> None: ...


class FirebaseTasks:
    """Enqueues onto the task queue of a function declared with `@tasks_fn.on_task_dispatched`.

    `dispatch_deadline_s` matters for long work: Cloud Tasks' default deadline is 10 minutes
    and the emulator's 60 s, after which a task still running is delivered again.
    """

    def __init__(self, app: Any = None) -> None:
        self._app = app

    def _queue(self, queue: str) -> Any:
        from firebase_admin import functions as fb_functions

        if self._app is None:
            from salamin.core import firebase

            self._app = firebase.app()
        return fb_functions.task_queue(queue, app=self._app)

    def enqueue(
        self,
        *,
        queue: str,
        task_id: str,
        payload: dict[str, Any],
        schedule_time: datetime | None = None,
        dispatch_deadline_s: int | None = None,
    ) -> None:
        from firebase_admin import exceptions as fb_exceptions
        from firebase_admin import functions as fb_functions

        options = fb_functions.TaskOptions(
            task_id=task_id,
            schedule_time=(
                schedule_time.astimezone(UTC).replace(tzinfo=None) if schedule_time else None
            ),
            dispatch_deadline_seconds=dispatch_deadline_s,
        )
        try:
            self._queue(queue).enqueue({"data": payload}, options)
        except fb_exceptions.AlreadyExistsError:
            log("task.exists", queue=queue, taskId=task_id)
        except ValueError as exc:
            if not _emulator_name_quirk(exc):
                raise
            log("task.enqueued.emulator_name_quirk", queue=queue, taskId=task_id)

    def delete(self, *, queue: str, task_id: str) -> None:
        from firebase_admin import exceptions as fb_exceptions

        with contextlib.suppress(fb_exceptions.NotFoundError):
            self._queue(queue).delete(task_id)


def _emulator_name_quirk(exc: ValueError) -> bool:
    """firebase-admin 7.7 strips a leading "/" from the Tasks emulator's answer, which the
    emulator only adds to names it generates; with our own task id the name then fails to parse
    *after* the task was enqueued. Only that case, and only against the emulator, is swallowed."""
    return bool(os.environ.get("CLOUD_TASKS_EMULATOR_HOST")) and "resource name" in str(exc)
