"""App tokens through MSAL on a mock transport: every way signing in can fail becomes one
exception with its exit code and a sentence, and certificates reach Entra intact."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx2
import jwt
import pytest

from sendscope.auth.app_tokens import AccessToken
from sendscope.auth.credentials import load_certificate
from sendscope.clouds import CLOUDS, emulator_cloud
from sendscope.errors import AuthenticationFailed, ServiceUnavailable
from tests.cert_helpers import make_certificate
from tests.unit.fake_cloud import CLIENT_ID, SECRET, FakeCloud, entra_error, session_for

GLOBAL = CLOUDS["global"]


def _discovery(response: httpx2.Response) -> object:
    def answer(request: httpx2.Request) -> httpx2.Response | None:
        return response if "openid-configuration" in request.url.path else None

    return answer


def _sign_in(fake: FakeCloud, *, tenant: str = "contoso.onmicrosoft.com") -> AccessToken:
    with session_for(GLOBAL, fake, tenant=tenant) as session:
        return session.tokens.token(GLOBAL.graph_scope)


def test_token_claims_are_read() -> None:
    token = _sign_in(FakeCloud(roles=["Mail.Send", "User.Read.All"]))
    assert token.roles == ("Mail.Send", "User.Read.All")
    assert token.app_display_name == "Unit App"
    assert token.app_id == CLIENT_ID
    assert token.credential_type == "secret"
    assert token.value not in repr(token)


def test_an_opaque_token_has_no_claims_but_still_works() -> None:
    token = _sign_in(FakeCloud(token="opaque-token-value"))
    assert token.value == "opaque-token-value"
    assert token.claims == {} and token.roles == ()


def test_an_unknown_tenant_is_explained_from_the_discovery_answer() -> None:
    refusal = entra_error(
        400, "invalid_tenant", 90002, "Tenant 'fabrikam.com' not found. Check to make sure."
    )
    fake = FakeCloud(overrides=[_discovery(refusal)])  # type: ignore[list-item]
    with pytest.raises(AuthenticationFailed) as caught:
        _sign_in(fake, tenant="fabrikam.com")
    assert caught.value.exit_code == 4
    assert caught.value.aadsts == 90002
    assert caught.value.message.startswith("Tenant fabrikam.com does not exist in this cloud.")
    assert "Entra ID said: AADSTS90002: Tenant 'fabrikam.com' not found." in caught.value.message


def test_a_malformed_tenant_is_900023() -> None:
    refusal = entra_error(400, "invalid_tenant", 900023, "Specified tenant identifier 'a.b'.")
    fake = FakeCloud(overrides=[_discovery(refusal)])  # type: ignore[list-item]
    with pytest.raises(AuthenticationFailed) as caught:
        _sign_in(fake, tenant="a.bc")
    assert caught.value.message.startswith("a.bc is not a tenant ID or domain.")


def test_a_discovery_refusal_without_json_still_names_the_tenant() -> None:
    fake = FakeCloud(overrides=[_discovery(httpx2.Response(404, text="<html>nope</html>"))])  # type: ignore[list-item]
    with pytest.raises(AuthenticationFailed) as caught:
        _sign_in(fake)
    assert caught.value.message == (
        "Entra ID at https://login.microsoftonline.com did not accept tenant "
        "contoso.onmicrosoft.com (HTTP 404). Check --tenant, and --cloud if the tenant is in "
        "GCC High, DoD or China."
    )


def test_a_token_refusal_is_explained() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response | None:
        if request.url.path.endswith("/token"):
            return entra_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        return None

    with pytest.raises(AuthenticationFailed) as caught:
        _sign_in(FakeCloud(overrides=[refuse]))
    assert caught.value.aadsts == 7000215
    assert caught.value.message.startswith(f"The client secret is wrong for app {CLIENT_ID}.")
    assert SECRET not in caught.value.message


@pytest.mark.parametrize("path", ["openid-configuration", "/token"])
def test_a_server_error_while_signing_in_is_exit_6(path: str) -> None:
    def fail(request: httpx2.Request) -> httpx2.Response | None:
        return httpx2.Response(503, text="busy") if path in request.url.path else None

    with pytest.raises(ServiceUnavailable) as caught:
        _sign_in(FakeCloud(overrides=[fail]))
    assert caught.value.exit_code == 6
    assert caught.value.message == (
        "Entra ID at https://login.microsoftonline.com answered 503 while signing in: the "
        "service is having trouble. Try again later."
    )


def test_dns_failure_is_exit_6_with_a_sentence() -> None:
    def no_dns(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("[Errno -2] Name or service not known", request=request)

    with pytest.raises(ServiceUnavailable) as caught:
        _sign_in(FakeCloud(overrides=[no_dns]))  # type: ignore[list-item]
    assert caught.value.message == (
        "cannot reach Entra ID at https://login.microsoftonline.com to sign in ([Errno -2] "
        "Name or service not known). Check the network, proxy and DNS, then try again."
    )


def test_an_untrusted_certificate_points_at_the_trust_store() -> None:
    def untrusted(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=request
        )

    with pytest.raises(ServiceUnavailable) as caught:
        _sign_in(FakeCloud(overrides=[untrusted]))  # type: ignore[list-item]
    assert "is not trusted by this machine's trust store" in caught.value.message
    assert "root CA must be in the operating system's trust store" in caught.value.message


def test_the_emulator_down_says_so() -> None:
    def refused(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("[Errno 111] Connection refused", request=request)

    cloud = emulator_cloud("https://127.0.0.1:9")
    fake = FakeCloud(overrides=[refused])  # type: ignore[list-item]
    with session_for(cloud, fake) as session, pytest.raises(ServiceUnavailable) as caught:
        session.tokens.token(cloud.graph_scope)
    assert caught.value.message == (
        "cannot reach Entra ID at https://127.0.0.1:9 to sign in ([Errno 111] Connection "
        "refused). Is the emulator running? Start it with: sendscope emulator serve"
    )


def test_a_certificate_assertion_is_sent_as_text_not_bytes(tmp_path: Path) -> None:
    """MSAL hands the assertion over as bytes; httpx2 would send ``b'…'`` (AADSTS50027)."""
    cert = make_certificate("unit assertion")
    credential = load_certificate(cert.write_pem(tmp_path / "c.pem"))
    fake = FakeCloud()
    with session_for(GLOBAL, fake, credential=credential) as session:
        session.tokens.token(GLOBAL.graph_scope)
    form = fake.forms()[0]
    assert "client_secret" not in form
    assertion = form["client_assertion"]
    assert assertion.startswith("eyJ")
    header = jwt.get_unverified_header(assertion)
    assert header["alg"] == "RS256"
    claims = jwt.decode(
        assertion,
        cert.key.public_key(),
        algorithms=["RS256"],
        audience=f"https://login.microsoftonline.com/{form_tenant(fake)}/oauth2/v2.0/token",
    )
    assert claims["iss"] == claims["sub"] == CLIENT_ID


def form_tenant(fake: FakeCloud) -> str:
    return fake.requests[-1].url.path.split("/")[1]


def test_the_default_trust_ignores_ca_bundle_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The emulator CA is loaded alone; SSL_CERT_FILE and friends are not consulted."""
    from sendscope.auth.trust import ssl_context

    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate")
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, str(bogus))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    emulator_ca = make_certificate("unit ca").write_pem(tmp_path / "ca.pem")
    context = ssl_context(emulator_ca)
    assert isinstance(context, ssl.SSLContext)
    assert context.cert_store_stats()["x509"] == 1
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_a_forced_refresh_fetches_a_new_token_which_msal_alone_refuses() -> None:
    fake = FakeCloud()
    with session_for(GLOBAL, fake) as session:
        first = session.tokens.token(GLOBAL.graph_scope)
        cached = session.tokens.token(GLOBAL.graph_scope)
        fresh = session.tokens.token(GLOBAL.graph_scope, force_refresh=True)
    assert cached.value == first.value
    assert fresh.value != first.value
    assert len(fake.forms()) == 2


def test_graph_s_401_gets_one_fresh_token_then_the_call_succeeds() -> None:
    answers = [
        httpx2.Response(
            401, json={"error": {"code": "InvalidAuthenticationToken", "message": "x"}}
        ),
        httpx2.Response(200, json={"value": []}),
    ]

    def graph(request: httpx2.Request) -> httpx2.Response | None:
        return answers.pop(0) if request.url.path.startswith("/v1.0/") else None

    fake = FakeCloud(overrides=[graph])
    with session_for(GLOBAL, fake) as session:
        assert session.graph.get_json("organization") == {"value": []}
    calls = [r for r in fake.requests if r.url.path.startswith("/v1.0/")]
    assert len(fake.forms()) == 2
    assert calls[0].headers["Authorization"] != calls[1].headers["Authorization"]
