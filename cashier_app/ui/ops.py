"""Run a blocking job off the UI thread and get its result back on the UI thread (Anki's operations pattern).

The job must not touch widgets; `on_done` / `on_failed` run on the UI thread through queued signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Op(QRunnable):
    def __init__(self, job: Callable[[], Any]) -> None:
        super().__init__()
        self.job = job
        self.signals = _Signals()  # created on the UI thread, so its signals are delivered there

    def run(self) -> None:
        try:
            result = self.job()
        except Exception as exc:  # handed to the UI thread, which decides what to say
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


_running: set[_Op] = set()


def run_op(
    job: Callable[[], Any],
    *,
    on_done: Callable[[Any], None],
    on_failed: Callable[[Exception], None],
    pool: QThreadPool | None = None,
) -> None:
    """`pool`: a pool of its own (e.g. one thread that keeps print jobs in order); the global pool by default."""
    op = _Op(job)
    op.setAutoDelete(False)
    _running.add(op)

    def finish(callback: Callable[[Any], None]) -> Callable[[Any], None]:
        def inner(value: Any) -> None:
            _running.discard(op)
            callback(value)

        return inner

    op.signals.done.connect(finish(on_done))
    op.signals.failed.connect(finish(on_failed))
    (pool or QThreadPool.globalInstance()).start(op)
