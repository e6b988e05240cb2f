"""The pacer: Exchange Online's sending limits per mailbox, on a fake clock."""

from __future__ import annotations

import pytest

from sendscope.errors import UsageError
from sendscope.mail import Pacer, SendingLimits
from tests.unit.test_mailer_support import FakeClock


def pacer(**limits: int) -> tuple[Pacer, FakeClock]:
    clock = FakeClock()
    return Pacer(SendingLimits(**limits), clock), clock


def test_thirty_a_minute_then_hold_until_the_oldest_leaves_the_window() -> None:
    p, clock = pacer()
    for i in range(30):
        clock.now_s += 1 if i else 0
        assert p.try_start("noreply@contoso.com", 1) is None
    hold = p.try_start("noreply@contoso.com", 1)
    assert hold is not None
    assert hold.seconds == pytest.approx(60 - 29)
    assert hold.limit == "30 messages a minute"
    clock.sleep(hold.seconds)
    assert p.try_start("noreply@contoso.com", 1) is None
    assert p.try_start("noreply@contoso.com", 1) is not None  # only one left the window


def test_a_hold_is_not_counted() -> None:
    p, clock = pacer(messages_per_minute=1)
    assert p.try_start("a@contoso.com", 1) is None
    for _ in range(5):
        assert p.try_start("a@contoso.com", 1) is not None
    clock.sleep(60)
    assert p.try_start("a@contoso.com", 1) is None


def test_mailboxes_are_paced_apart_and_case_blind() -> None:
    p, _ = pacer(messages_per_minute=2)
    assert p.try_start("A@contoso.com", 1) is None
    assert p.try_start("a@CONTOSO.com", 1) is None
    assert p.try_start("a@contoso.com", 1) is not None
    assert p.try_start("b@contoso.com", 1) is None


def test_recipients_a_day() -> None:
    p, clock = pacer(recipients_per_day=10, messages_per_minute=100)
    assert p.try_start("a@contoso.com", 4) is None
    clock.sleep(3600)
    assert p.try_start("a@contoso.com", 4) is None
    hold = p.try_start("a@contoso.com", 3)  # 8 + 3 > 10: wait for the first 4 to age out
    assert hold is not None
    assert hold.seconds == pytest.approx(86_400 - 3600)
    assert hold.limit == "10 recipients a day"
    assert p.try_start("a@contoso.com", 2) is None  # 8 + 2 fits


def test_recipients_a_day_may_need_several_to_expire() -> None:
    p, clock = pacer(recipients_per_day=10, messages_per_minute=100)
    for _ in range(5):
        assert p.try_start("a@contoso.com", 2) is None
        clock.sleep(100)
    hold = p.try_start("a@contoso.com", 5)  # needs the first three (6 recipients) gone
    assert hold is not None
    assert hold.seconds == pytest.approx(86_400 + 200 - 500)


def test_more_recipients_than_a_day_allows_is_refused_at_once() -> None:
    p, _ = pacer(recipients_per_day=3)
    with pytest.raises(UsageError) as caught:
        p.check(4)
    assert caught.value.message == (
        "the message has 4 recipients, more than the 3 a mailbox may send to in a day "
        "(Exchange Online's recipient rate limit). Nothing was sent; split the list."
    )
    p.check(3)


def test_limits_must_be_positive() -> None:
    with pytest.raises(UsageError, match=r"^SendingLimits.messages_per_minute must be at least 1"):
        SendingLimits(messages_per_minute=0)


def test_defaults_are_exchange_onlines() -> None:
    limits = SendingLimits()
    assert (limits.messages_per_minute, limits.recipients_per_day, limits.concurrent_requests) == (
        30,
        10_000,
        4,
    )
