"""The retry policy: a rate limit is waited out for as long as asked, server errors back off, then give up."""

from __future__ import annotations

import pytest

from bot.retry import Backoff, RateLimited, Transient, call_with_retries


def test_rate_limit_waits_as_asked_and_server_errors_back_off() -> None:
    waits: list[float] = []
    answers: list[Exception | str] = [RateLimited(7.0), Transient("503"), Transient("500"), "ok"]

    def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    backoff = Backoff(attempts=5, base_seconds=1.0, cap_seconds=4.0)
    assert call_with_retries(call, what="t", backoff=backoff, sleep=waits.append) == "ok"
    assert waits[0] == 7.0 and all(0 <= w <= 4.0 for w in waits[1:]) and len(waits) == 3


def test_a_server_error_that_outlasts_the_attempts_is_raised() -> None:
    calls = 0

    def call() -> None:
        nonlocal calls
        calls += 1
        raise Transient("502")

    with pytest.raises(Transient):
        call_with_retries(call, what="t", backoff=Backoff(attempts=3), sleep=lambda _: None)
    assert calls == 3
