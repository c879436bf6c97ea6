"""Work done in a forked process beside this one, for a report's two independent halves on two cores.

A report's transcript files (transcript.md, messages.csv, record.json, the transcript pages) need only the
posts and their answers; so do the chat's stats and its engagement edges. Only the chat page and
stats.json need the text analysis too. So a forked child can write those files and make those
results while this process analyses the text: the child starts from a copy of this process's memory (the
posts as loaded, nothing pickled on the way in), writes its files (each atomically, as it would here) and
sends back its result (a few kilobytes, pickled) or its error.

The child never returns into the caller's code: it ends with os._exit, so no database connection, atexit
hook or buffered output inherited from the parent is closed or flushed twice. Its result or error is
pickled back through a pipe and returned or raised in the parent by `join`, which always waits for the child: an
error in the parent never leaves the child writing after the caller has moved on.
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import suppress
from types import TracebackType
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    """Whether forking can put the work on another core: a POSIX fork, and more than one core for this process."""
    if not hasattr(os, "fork"):
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) > 1


class Beside(Generic[T]):
    """`work()` run beside the caller's own: in a forked child when `fork`, else at once in this process.

    `join()` waits for it and returns its result or raises its error here; used as a context manager,
    leaving the block joins it (and when the block raised, only waits, so the block's own error is the one
    raised).
    """

    def __init__(self, work: Callable[[], T], *, fork: bool) -> None:
        self._pid: int | None = None
        self._read = -1
        self._result: T
        self._error: BaseException | None = None
        if not fork:
            self._result = work()
            return
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no process to spare (EAGAIN, ENOMEM): the work is done here, at once
            os.close(read)
            os.close(write)
            self._result = work()
            return
        if pid == 0:  # the child: never returns
            os.close(read)
            _run_child(work, write)
        os.close(write)
        self._pid, self._read = pid, read

    def join(self) -> T:
        """Wait for the work to end; its result, or its error raised here. (Waits once: later calls return
        the same result, or raise the same error.)"""
        if self._error is not None:
            raise self._error
        if self._pid is None:
            return self._result
        pid, self._pid = self._pid, None
        try:
            with os.fdopen(self._read, "rb") as pipe:
                sent = pipe.read()  # all of it before waiting: a large result must not block the child's write
        finally:  # even when interrupted here: the child is waited for, never left behind
            _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if not sent:
            self._error = RuntimeError(f"the forked report writer ended with {code} and sent nothing back")
            raise self._error
        failed, value = pickle.loads(sent)
        if failed:
            self._error = value
            raise value
        self._result = value
        return self._result

    def __enter__(self) -> Beside[T]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.join()
            return
        with suppress(BaseException):  # the block's own error is the one that goes on
            self.join()


class Claims:
    """The numbers 0..count-1, each handed out once, to whichever process asks first: this one or one forked
    from it while the claims were open. They are bytes in a pipe no process can write to any more, read one
    at a time (a pipe's read is atomic), so two processes sharing steps of work each take the next step
    not yet taken, and neither waits for the other: when the pipe is empty, every step is taken."""

    def __init__(self, count: int) -> None:
        if not 0 <= count <= 256:
            raise ValueError(f"{count} claims: one byte each, at most 256")
        self._read, write = os.pipe()
        os.write(write, bytes(range(count)))  # at most 256 bytes: always within the pipe's buffer
        os.close(write)

    def __iter__(self) -> Iterator[int]:
        while taken := os.read(self._read, 1):
            yield taken[0]

    def __enter__(self) -> Claims:
        return self

    def __exit__(self, *_: object) -> None:
        os.close(self._read)


def _run_child(work: Callable[[], Any], write: int) -> None:
    """Run `work` in the forked child, send back (False, its result) or (True, its error), and end the child."""
    code = 1
    try:
        # What the parent would print is the parent's: nothing of the child's goes to the same terminal or log.
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the process ends below
        try:
            sent = pickle.dumps((False, work()), pickle.HIGHEST_PROTOCOL)
        except BaseException as error:  # whatever it is, the parent raises it
            error.add_note("(in the forked process writing the report's transcript files)")
            try:
                sent = pickle.dumps((True, error))
            except Exception:  # one that does not pickle goes back as its text
                sent = pickle.dumps((True, RuntimeError("".join(traceback.format_exception(error)))))
        view = memoryview(sent)
        while view:
            view = view[os.write(write, view) :]
        code = 0
    finally:
        os._exit(code)
