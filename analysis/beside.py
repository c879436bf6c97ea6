"""Work done in a forked process beside this one, for a report's two independent halves on two cores.

A report's transcript files (transcript.md, messages.csv, record.json, the transcript pages) need only the
posts and their answers; the chat page and stats.json need the text analysis too. Neither half reads what
the other makes, so a forked child can write the files while this process analyses the text: the child
starts from a copy of this process's memory (the posts as loaded, nothing pickled), writes its files
(each atomically, as it would here) and reports only whether it succeeded.

The child never returns into the caller's code: it ends with os._exit, so no database connection, atexit
hook or buffered output inherited from the parent is closed or flushed twice. Its error, if any, is
pickled back through a pipe and raised in the parent by `join`, which always waits for the child: an
error in the parent never leaves the child writing after the caller has moved on.
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from collections.abc import Callable
from contextlib import suppress
from types import TracebackType


def can_fork() -> bool:
    """Whether forking can put the work on another core: a POSIX fork, and more than one core for this process."""
    if not hasattr(os, "fork"):
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) > 1


class Beside:
    """`work()` run beside the caller's own: in a forked child when `fork`, else at once in this process.

    `join()` waits for it and raises its error here; used as a context manager, leaving the block joins
    it (and when the block raised, only waits, so the block's own error is the one raised).
    """

    def __init__(self, work: Callable[[], None], *, fork: bool) -> None:
        self._pid: int | None = None
        self._read = -1
        if not fork:
            work()
            return
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read)
            _run_child(work, write)
        os.close(write)
        self._pid, self._read = pid, read

    def join(self) -> None:
        """Wait for the work to end; raise its error, if it had one. (Once: later calls do nothing.)"""
        if self._pid is None:
            return
        with os.fdopen(self._read, "rb") as pipe:
            sent = pipe.read()  # all of it before waiting: a large error must not block the child's write
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if sent:
            raise pickle.loads(sent)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise RuntimeError(f"the forked report writer ended with {code} and no error")

    def __enter__(self) -> Beside:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.join()
            return
        with suppress(BaseException):  # the block's own error is the one that goes on
            self.join()


def _run_child(work: Callable[[], None], write: int) -> None:
    """Run `work` in the forked child, send back its error (if any), and end the child."""
    code = 0
    try:
        # What the parent would print is the parent's: nothing of the child's goes to the same terminal or log.
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the process ends below
        work()
    except BaseException as error:  # whatever it is, the parent raises it
        code = 1
        error.add_note("(in the forked process writing the report's transcript files)")
        try:
            sent = pickle.dumps(error)
        except Exception:  # one that does not pickle goes back as its text
            sent = pickle.dumps(RuntimeError("".join(traceback.format_exception(error))))
        view = memoryview(sent)
        while view:
            view = view[os.write(write, view) :]
    finally:
        os._exit(code)
