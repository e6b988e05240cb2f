from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sendscope.emulator.core.clock import EmulatorClock
from sendscope.emulator.core.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("50ms", 0.05),
        ("3s", 3),
        ("45m", 2700),
        ("2h", 7200),
        ("1h30m", 5400),
        ("0", 0),
        ("1d", 86400),
        (" 2H ", 7200),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "m5", "1h 30m", "-3s", "3x", "1.5.2s", "h"])
def test_parse_duration_refuses_with_a_sentence(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a duration: write it like 50ms, 3s, 45m, 2h"):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**6))
def test_format_then_parse_round_trips_whole_seconds(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_clock_scales_real_time_and_advances() -> None:
    real = FakeTime()
    clock = EmulatorClock(time_scale=60, real_time=real)
    start = clock.timestamp()
    real.now += 10
    assert clock.timestamp() - start == pytest.approx(600)
    clock.advance(3600)
    assert clock.timestamp() - start == pytest.approx(4200)
    assert clock.real_now() == real.now


def test_clock_refuses_to_go_back_or_stand_still() -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        EmulatorClock().advance(-1)
    with pytest.raises(ValueError, match="must be greater than 0"):
        EmulatorClock(time_scale=0)
