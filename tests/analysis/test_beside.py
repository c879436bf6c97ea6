"""analysis.beside: work run in a forked child beside the caller, its result returned and its error raised
in the caller.

The report writes its transcript files this way (write_report(fork=True)); whatever the child does, the
parent must end up with the files the work wrote and its result, or the error the work raised, and never
go on while the child still runs.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from analysis.beside import Beside, Claims


def _write(path: Path, text: str) -> dict[str, object]:
    path.write_text(text, encoding="utf-8")
    return {"pid": os.getpid(), "terms": Counter({"sbar": 3, "escalation": 2})}


@pytest.mark.parametrize("fork", [True, False])
def test_the_work_is_done_and_its_result_returned_once_joined(tmp_path: Path, fork: bool) -> None:
    target = tmp_path / "done.txt"
    with Beside(lambda: _write(target, "written"), fork=fork) as work:
        result = work.join()
    assert work.join() == result  # joined once; later calls give the same result
    assert target.read_text(encoding="utf-8") == "written"
    assert result["terms"] == Counter({"sbar": 3, "escalation": 2})
    assert (result["pid"] != os.getpid()) == fork  # forked: made by the child; else here, at once


def test_leaving_the_block_joins_the_child(tmp_path: Path) -> None:
    target = tmp_path / "done.txt"
    with Beside(lambda: _write(target, "written"), fork=True):
        pass
    assert target.read_text(encoding="utf-8") == "written"


def test_an_os_error_in_the_child_is_raised_in_the_parent_with_its_file(tmp_path: Path) -> None:
    missing = tmp_path / "no such folder" / "transcript.md"

    def work() -> None:
        missing.write_text("x", encoding="utf-8")

    with pytest.raises(FileNotFoundError) as raised, Beside(work, fork=True) as child:
        pass
    assert raised.value.errno == errno.ENOENT and raised.value.filename == str(missing)
    with pytest.raises(FileNotFoundError):
        child.join()  # the same error, however often it is asked for
    assert any("forked process" in note for note in raised.value.__notes__)


def test_an_error_that_does_not_pickle_comes_back_as_its_text() -> None:
    class Unpicklable(Exception):
        def __reduce__(self) -> str | tuple[object, ...]:
            raise TypeError("no")

    def work() -> None:
        raise Unpicklable("the disk went away")

    with pytest.raises(RuntimeError, match="the disk went away"), Beside(work, fork=True):
        pass


def test_a_child_ended_without_an_error_is_still_a_failure() -> None:
    with (
        pytest.raises(RuntimeError, match="ended with 3 and sent nothing back"),
        Beside(lambda: os._exit(3), fork=True),
    ):
        pass


def test_the_blocks_own_error_wins_and_the_child_is_waited_for(tmp_path: Path) -> None:
    target = tmp_path / "late.txt"

    def work() -> None:
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT), "w") as f:
            f.write("written")
        raise ValueError("the child's")

    with pytest.raises(KeyError), Beside(work, fork=True):
        raise KeyError("the block's")
    assert target.read_text(encoding="utf-8") == "written"  # the child had finished before the error went on


def test_the_child_prints_nothing_to_the_parents_output(capfd: pytest.CaptureFixture[str]) -> None:
    def work() -> int:
        print("from the child")
        print("and its warnings", file=sys.stderr)
        return 7

    with Beside(work, fork=True) as child:
        assert child.join() == 7
    assert capfd.readouterr() == ("", "")


def test_two_processes_claim_every_step_once_each() -> None:
    def take(claims: Claims, pause: float) -> list[int]:
        taken = []
        for number in claims:
            taken.append(number)
            time.sleep(pause)
        return taken

    with Claims(40) as claims, Beside(lambda: take(claims, 0.002), fork=True) as child:
        here = take(claims, 0.001)
        there = child.join()
    assert sorted(here + there) == list(range(40))
    assert here and there  # both took some: neither waited for the other to finish


def test_a_failed_fork_does_the_work_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    with Beside(os.getpid, fork=True) as work:
        assert work.join() == os.getpid()
