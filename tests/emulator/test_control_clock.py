"""Control plane: the emulator clock (read, advance, persist)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorSettings, EmulatorState
from sendscope.emulator.core.clock import EmulatorClock

# 2025-02-13T10:00:00Z: real time stands still in these tests, so answers are exact.
REAL = datetime(2025, 2, 13, 10, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def frozen(state: EmulatorState) -> EmulatorState:
    state.clock = EmulatorClock(time_scale=2.0, real_time=lambda: REAL)
    state.settings = EmulatorSettings(propagation_delay=600.0, removal_delay=120.0, time_scale=2.0)
    return state


def error(response: Any) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def test_clock_shows_emulator_time_and_the_delays(
    client: TestClient, frozen: EmulatorState
) -> None:
    response = client.get("/_emulator/clock")

    assert response.status_code == 200
    assert response.json() == {
        "now": "2025-02-13T10:00:00.000Z",
        "realNow": "2025-02-13T10:00:00.000Z",
        "timeScale": 2.0,
        "advancedSeconds": 0.0,
        "propagationDelaySeconds": 600.0,
        "removalDelaySeconds": 120.0,
    }


def test_advance_by_seconds(client: TestClient, frozen: EmulatorState) -> None:
    response = client.post("/_emulator/clock/advance", json={"seconds": 90})

    assert response.status_code == 200
    body = response.json()
    assert (body["now"], body["realNow"]) == (
        "2025-02-13T10:01:30.000Z",
        "2025-02-13T10:00:00.000Z",
    )
    assert body["advancedSeconds"] == 90.0
    assert frozen.clock.now() == datetime(2025, 2, 13, 10, 1, 30, tzinfo=UTC)


def test_advance_by_duration_adds_up(client: TestClient, frozen: EmulatorState) -> None:
    client.post("/_emulator/clock/advance", json={"duration": "1h30m"})
    response = client.post("/_emulator/clock/advance", json={"duration": "250ms"})

    assert response.json()["now"] == "2025-02-13T11:30:00.250Z"
    assert response.json()["advancedSeconds"] == 5400.25
    assert client.get("/_emulator/clock").json()["now"] == "2025-02-13T11:30:00.250Z"


def test_advance_by_zero_is_allowed(client: TestClient, frozen: EmulatorState) -> None:
    response = client.post("/_emulator/clock/advance", json={"seconds": 0})

    assert response.json()["now"] == "2025-02-13T10:00:00.000Z"


def test_advance_is_persisted(client: TestClient, frozen: EmulatorState) -> None:
    client.post("/_emulator/clock/advance", json={"duration": "2h"})

    saved = frozen.store.meta("clock")
    assert saved is not None
    assert float(saved) == REAL + 7200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"seconds": -5},
            "'seconds' must not be negative (-5): the emulator clock only moves forward.",
        ),
        (
            {"duration": "-1h"},
            "'duration' must not be negative (-1h): the emulator clock only moves forward.",
        ),
        (
            {"duration": "soon"},
            "'duration': 'soon' is not a duration: write it like 50ms, 3s, 45m, 2h or 1h30m.",
        ),
        ({"duration": 60}, "'duration' must be a string such as \"1h30m\", not 60."),
        ({"seconds": "60"}, "'seconds' must be a number of seconds, not '60'."),
        ({"seconds": True}, "'seconds' must be a number of seconds, not True."),
        ({"seconds": None}, "'seconds' must be a number of seconds, not None."),
        ({}, 'Send either {"seconds": 90} or {"duration": "1h30m"} to advance the clock.'),
        (
            {"seconds": 1, "duration": "1s"},
            'Send either {"seconds": 90} or {"duration": "1h30m"} to advance the clock.',
        ),
        (
            {"minutes": 5},
            'Send either {"seconds": 90} or {"duration": "1h30m"} to advance the '
            "clock (unknown field 'minutes').",
        ),
        (
            {"seconds": 10**30},
            f"Advance by at most 315360000 seconds (ten years) at a time, not {10**30}.",
        ),
        (
            {"duration": "87601h"},
            "Advance by at most 315360000 seconds (ten years) at a time, not 87601h.",
        ),
    ],
)
def test_bad_advance_is_invalid_request_and_leaves_the_clock(
    client: TestClient, frozen: EmulatorState, body: dict[str, Any], message: str
) -> None:
    response = client.post("/_emulator/clock/advance", json=body)

    assert error(response) == (400, "InvalidRequest", message)
    assert frozen.clock.advanced.total_seconds() == 0


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        (b'{"seconds": NaN}', "NaN is not a JSON number"),
        (b'{"seconds": Infinity}', "Infinity is not a JSON number"),
        (b'{"seconds": 1e400}', "1e400 is out of range"),
    ],
)
def test_advance_by_a_non_finite_number_is_not_json(
    client: TestClient, frozen: EmulatorState, literal: bytes, reason: str
) -> None:
    response = client.post("/_emulator/clock/advance", content=literal)

    assert error(response) == (400, "InvalidJson", f"The request body is not valid JSON: {reason}.")
    assert frozen.clock.advanced.total_seconds() == 0


def test_advance_past_year_9999_is_invalid_request(
    client: TestClient, frozen: EmulatorState
) -> None:
    frozen.clock.advance(7975 * 365 * 86400.0)  # to about 9994

    response = client.post("/_emulator/clock/advance", json={"duration": "87600h"})

    assert error(response) == (
        400,
        "InvalidRequest",
        "Advancing the clock that far would pass the year 9999.",
    )


def test_advance_with_bad_json_is_invalid_json(client: TestClient, frozen: EmulatorState) -> None:
    status, code, message = error(client.post("/_emulator/clock/advance", content=b"90 seconds"))

    assert (status, code) == (400, "InvalidJson")
    assert message.startswith("The request body is not valid JSON: Extra data")


def test_advance_with_no_body_is_invalid_request(client: TestClient, frozen: EmulatorState) -> None:
    assert error(client.post("/_emulator/clock/advance")) == (
        400,
        "InvalidRequest",
        "The request body is empty: send a JSON object.",
    )


def test_advance_with_non_utf8_body_is_invalid_json(
    client: TestClient, frozen: EmulatorState
) -> None:
    status, code, _ = error(client.post("/_emulator/clock/advance", content=b"\xff\xfe{"))

    assert (status, code) == (400, "InvalidJson")
