from __future__ import annotations

import ssl
import stat
from pathlib import Path

import jwt
import pytest

from sendscope.emulator import EmulatorState, seed_state
from sendscope.emulator.core.store import Store
from sendscope.emulator.core.tls import ensure_certificates
from sendscope.emulator.core.tokens import SigningKey, TokenProblem, TokenRejected

AUD = frozenset({"https://graph.microsoft.com"})


def test_state_survives_a_restart_with_the_same_data_dir(tmp_path: Path) -> None:
    first = EmulatorState.create(tmp_path)
    seed_state(first, "demo")
    users = first.store.scalar("SELECT COUNT(*) FROM users")
    kid = first.signing_key.kid
    first.clock.advance(7200)
    saved_clock = first.clock.timestamp()
    first.close()

    second = EmulatorState.create(tmp_path)
    seed_state(second, "demo")  # a restart does not seed twice
    assert second.store.scalar("SELECT COUNT(*) FROM users") == users > 40
    assert second.signing_key.kid == kid
    assert second.clock.timestamp() >= saved_clock
    assert stat.S_IMODE((tmp_path / "state.db").stat().st_mode) == 0o600
    second.close()


def test_store_refuses_state_of_another_schema(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    store.set_meta("schema_version", "999")
    store.close()
    with pytest.raises(RuntimeError, match=r"schema 999.*start with a new --data-dir"):
        Store(tmp_path / "state.db")


def test_transaction_rolls_back_on_error() -> None:
    store = Store()
    with pytest.raises(ZeroDivisionError), store.tx():
        store.execute("INSERT INTO meta (key, value) VALUES ('x', '1')")
        _ = 1 / 0
    assert store.meta("x") is None


def _claims(**extra: object) -> dict[str, object]:
    return {"aud": "https://graph.microsoft.com", "exp": 2_000, "nbf": 1_000, **extra}


def test_tokens_verify_and_say_why_not() -> None:
    key = SigningKey.generate()
    token = key.sign(_claims())
    assert key.verify(token, audiences=AUD, now=1_500)["aud"] == "https://graph.microsoft.com"
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == header["x5t"] == key.kid
    cases = [
        (token, 2_500, TokenProblem.EXPIRED),
        (token, 500, TokenProblem.EXPIRED),
        (key.sign(_claims(aud="https://outlook.office365.com")), 1_500, TokenProblem.AUDIENCE),
        (SigningKey.generate().sign(_claims()), 1_500, TokenProblem.SIGNATURE),
        ("not.a.token", 1_500, TokenProblem.MALFORMED),
    ]
    for presented, now, problem in cases:
        with pytest.raises(TokenRejected) as caught:
            key.verify(presented, audiences=AUD, now=now)
        assert caught.value.problem is problem


def test_local_ca_issues_a_server_certificate_python_trusts(tmp_path: Path) -> None:
    certs = ensure_certificates(tmp_path, ["127.0.0.1"])
    context = ssl.create_default_context(cafile=str(certs.ca_cert))
    context.load_cert_chain(certs.cert_file, certs.key_file)  # the pair matches
    assert certs.ca_cert.is_absolute()
    assert stat.S_IMODE(certs.key_file.stat().st_mode) == 0o600
    again = ensure_certificates(tmp_path, ["127.0.0.1"])
    assert again.ca_cert.read_bytes() == certs.ca_cert.read_bytes()  # the CA is kept
