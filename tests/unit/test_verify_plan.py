"""verify's input: every bad value is a UsageError (exit 2) naming it, before anything is
sent; durations as the emulator writes them; the recipient rules."""

from __future__ import annotations

import pytest

from sendscope.errors import UsageError
from sendscope.verify import Role, format_duration, parse_duration, plan_verification

D = "contoso.com"


def plan(**kwargs: object) -> object:
    base: dict[str, object] = {"allowed": [f"noreply@{D}"], "denied": [f"ceo@{D}"]}
    return plan_verification(**{**base, **kwargs})  # type: ignore[arg-type]


def usage(**kwargs: object) -> str:
    with pytest.raises(UsageError) as caught:
        plan(**kwargs)
    assert caught.value.exit_code == 2
    return caught.value.message


def test_defaults_and_roles() -> None:
    p = plan_verification(allowed=[f"noreply@{D}", f"NOREPLY@{D}"], denied=[f"ceo@{D}"])
    assert p.allowed == (f"noreply@{D}",)  # the same address twice is one address
    assert p.to == f"noreply@{D}"  # the first allowed address
    assert (p.timeout, p.interval) == (3 * 3600, 5 * 60)
    assert p.addresses == ((f"noreply@{D}", Role.ALLOWED), (f"ceo@{D}", Role.DENIED))
    assert p.subject == f"sendscope verification {p.run_id}"
    assert len(p.run_id) == 8


def test_nothing_to_verify() -> None:
    message = usage(allowed=[], denied=[])
    assert message.startswith("nothing to verify: give the mailboxes the app may send as")


def test_an_address_in_both_lists_is_named() -> None:
    message = usage(allowed=[f"ceo@{D}"], denied=[f"CEO@{D}"])
    assert message.startswith(f"ceo@{D} is given both as --allowed and as --denied")


def test_malformed_address_is_named() -> None:
    assert usage(denied=["ceo"]) == (
        "--denied 'ceo' is not an email address: write it like ceo@contoso.com"
    )
    assert "--allowed 'x@'" in usage(allowed=["x@"])
    assert "--group 'senders'" in usage(group="senders")
    assert "--to 'me'" in usage(to="me")


def test_to_may_not_be_a_denied_address() -> None:
    message = usage(to=f"Ceo@{D}")
    assert message.startswith(f"--to Ceo@{D} is a --denied address")


def test_denied_only_needs_to() -> None:
    assert usage(allowed=[]).startswith("no --to: with no --allowed address, give --to")
    p = plan_verification(allowed=[], denied=[f"ceo@{D}"], to=f"me@{D}")
    assert p.to == f"me@{D}"


def test_malformed_app_id() -> None:
    assert usage(app_id="Timesheet").startswith("--app 'Timesheet' is not a client ID")


def test_interval_longer_than_timeout() -> None:
    message = usage(timeout="5m", interval="10m")
    assert message.startswith("--interval 10m is longer than --timeout 5m")


def test_sub_second_interval_is_refused() -> None:
    assert usage(timeout="5m", interval="100ms") == (
        "--interval 100ms is too short: every round sends real mail; give at least 1s"
    )


def test_zero_interval_with_a_timeout() -> None:
    assert usage(timeout="5m", interval="0").startswith("--interval 0 is too short")


def test_the_values_are_quoted_as_given() -> None:
    # Once "--interval 99999999999999h16s": the value after a round trip through a float.
    message = usage(timeout="3s", interval="99999999999999h")
    assert message.startswith("--interval 99999999999999h is longer than --timeout 3s")


def test_timeout_zero_is_one_check() -> None:
    p = plan_verification(allowed=[f"a@{D}"], denied=[], timeout="0", interval="5m")
    assert p.timeout == 0


def test_bad_duration_names_the_option() -> None:
    assert usage(timeout="soon") == (
        "--timeout 'soon' is not a duration: write it like 30s, 5m, 3h or 1h30m"
    )
    assert usage(interval="5 m").startswith("--interval '5 m' is not a duration")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0), ("50ms", 0.05), ("3s", 3), ("45m", 2700), ("2h", 7200), ("1h30m", 5400)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text, "--timeout") == pytest.approx(seconds)


def test_format_duration() -> None:
    assert format_duration(5400) == "1h30m"
    assert format_duration(0) == "0s"
    assert format_duration(0.25) == "250ms"
    assert format_duration(61) == "1m1s"
