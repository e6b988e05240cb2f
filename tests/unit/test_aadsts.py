"""AADSTS errors in plain words: each known code says what is wrong and what to do, and
keeps Entra's own sentence without its trace tail."""

from __future__ import annotations

import pytest

from sendscope.auth.aadsts import TokenFailure, explain, failure_from_body

APP = "3f2c1d4e-5a6b-4c8d-9e0f-112233445566"
TENANT = "contoso.onmicrosoft.com"
TAIL_NOW = (
    " Trace ID: 0b6f1c2d-1111-2222-3333-444455556666 Correlation ID: "
    "9c8d7e6f-aaaa-bbbb-cccc-ddddeeeeffff Timestamp: 2025-03-10 20:12:22Z"
)
TAIL_OLD = (
    "\r\nTrace ID: 0b6f1c2d-1111-2222-3333-444455556666\r\nCorrelation ID: "
    "9c8d7e6f-aaaa-bbbb-cccc-ddddeeeeffff\r\nTimestamp: 2020-03-10 20:12:22Z"
)


def _failure(code: int, text: str, tail: str = TAIL_NOW) -> TokenFailure:
    return TokenFailure("invalid_client", f"AADSTS{code}: {text}{tail}", (code,), "corr-1")


@pytest.mark.parametrize("tail", [TAIL_NOW, TAIL_OLD, ""])
def test_entra_text_drops_the_trace_tail_in_either_form(tail: str) -> None:
    failure = _failure(7000215, "Invalid client secret provided.", tail)
    assert failure.entra_text() == "AADSTS7000215: Invalid client secret provided."


def test_the_code_comes_from_error_codes_or_else_the_description() -> None:
    assert TokenFailure("e", "AADSTS90002: x", ()).aadsts == 90002
    assert TokenFailure("e", "no code here", ()).aadsts is None
    assert TokenFailure("e", "AADSTS1: x", (700016,)).aadsts == 700016


def test_failure_from_a_token_or_discovery_body() -> None:
    body = {
        "error": "invalid_request",
        "error_description": f"AADSTS90002: Tenant 'x' not found.{TAIL_NOW}",
        "error_codes": [90002],
        "correlation_id": "corr-2",
    }
    failure = failure_from_body(body)
    assert failure == TokenFailure("invalid_request", body["error_description"], (90002,), "corr-2")
    assert failure_from_body('{"error": "x", "error_codes": ["7"]}') == TokenFailure("x", "", (7,))
    assert failure_from_body("<html>not json</html>") is None
    assert failure_from_body('{"issuer": "not an error"}') is None


# Every code Entra answers a client-credentials request with, and the words that must lead.
FIXES = [
    (
        7000215,
        f"The client secret is wrong for app {APP}. Most often the secret's ID was pasted "
        "instead of its Value",
    ),
    (7000222, f"The client secret of app {APP} has expired. Create a new one"),
    (7000218, "No credential reached Entra ID: give the app's client secret"),
    (
        700016,
        f"App {APP} does not exist in tenant {TENANT}. Check --client-id (the Application "
        "(client) ID, not the Object ID) and --tenant",
    ),
    (700011, f"App {APP} does not exist in tenant {TENANT}."),
    (7000229, f"App {APP} has no service principal (enterprise application) in tenant {TENANT}."),
    (
        90002,
        f"Tenant {TENANT} does not exist in this cloud. Check --tenant, and pass --cloud "
        "usgov, usgovdod or china",
    ),
    (900023, f"{TENANT} is not a tenant ID or domain."),
    (90038, f"Tenant {TENANT} lives in another Microsoft cloud"),
    (
        700027,
        f"Entra ID does not accept the certificate for app {APP}: it is not registered on "
        "the app, or it has expired there.",
    ),
    (700024, "The client assertion is outside its valid time range: this machine's clock"),
    (
        7000112,
        f"App {APP} is disabled in tenant {TENANT}: its enterprise application has "
        "'Enabled for users to sign-in' set to No. An admin must enable it.",
    ),
    (500011, f"The API asked for is not known in tenant {TENANT}"),
    (50027, "Entra ID rejected the signed client assertion sendscope built. This is a bug"),
    (700021, "Entra ID rejected the signed client assertion"),
    (5002723, "Entra ID rejected the signed client assertion"),
    (1002012, "The scope is not valid for app-only sign-in (it must end in /.default)."),
    (53003, "Conditional Access blocked the sign-in."),
    (70019, "The sign-in code expired before it was used"),
]


@pytest.mark.parametrize(("code", "lead"), FIXES)
def test_each_code_says_what_is_wrong_then_quotes_entra(code: int, lead: str) -> None:
    text = explain(_failure(code, "Entra's own words."), app=APP, tenant=TENANT)
    fix, said = text.split("\n")
    assert fix.startswith(lead)
    assert said == f"Entra ID said: AADSTS{code}: Entra's own words. (correlation ID corr-1)"
    assert "Trace ID" not in text


def test_an_unknown_code_still_reads_as_a_sentence_with_where_to_look() -> None:
    text = explain(_failure(4242, "Something new."), app=APP, tenant=TENANT)
    assert text == (
        f"Entra ID refused to issue a token for app {APP} in {TENANT}: AADSTS4242: Something "
        "new. (correlation ID corr-1) Look it up: https://login.microsoftonline.com/error?code=4242"
    )
