"""Clouds as data, and proof (with a mock transport) that MSAL and Graph go where each
cloud says: its login host, its Graph host, its token scope."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sendscope.clouds import CLOUDS, cloud_named, emulator_cloud
from tests.unit.fake_cloud import CLIENT_ID, TENANT_ID, FakeCloud, session_for

# learn.microsoft.com/graph/deployments and Connect-ExchangeOnline -ExchangeEnvironmentName
# (m365-domain.md §5.7).
TABLE = {
    "global": ("login.microsoftonline.com", "graph.microsoft.com", "outlook.office365.com"),
    "usgov": ("login.microsoftonline.us", "graph.microsoft.us", "outlook.office365.us"),
    "usgovdod": ("login.microsoftonline.us", "dod-graph.microsoft.us", "webmail.apps.mil"),
    "china": ("login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn", "partner.outlook.cn"),
}


@pytest.mark.parametrize("name", list(TABLE))
def test_the_table(name: str) -> None:
    login, graph, exchange = TABLE[name]
    cloud = CLOUDS[name]
    assert cloud.authority(TENANT_ID) == f"https://{login}/{TENANT_ID}"
    assert cloud.graph_base == f"https://{graph}/v1.0"
    assert cloud.graph_scope == f"https://{graph}/.default"
    assert cloud.exchange_scope == f"https://{exchange}/.default"
    assert cloud.exchange_admin_base(TENANT_ID) == f"https://{exchange}/adminapi/beta/{TENANT_ID}"
    assert cloud.is_emulator is False


def test_only_the_four_clouds() -> None:
    assert set(CLOUDS) == set(TABLE)


def test_cloud_named_ignores_case_and_lists_the_choices() -> None:
    assert cloud_named("USGov") is CLOUDS["usgov"]
    with pytest.raises(KeyError) as caught:
        cloud_named("mars")
    assert (
        caught.value.args[0] == "'mars' is not a cloud: use one of global, usgov, usgovdod, china"
    )


def test_the_emulator_is_one_host_with_the_real_scopes() -> None:
    cloud = emulator_cloud("https://127.0.0.1:8443/")
    assert cloud.authority("contoso.onmicrosoft.com") == (
        "https://127.0.0.1:8443/contoso.onmicrosoft.com"
    )
    assert cloud.graph_base == "https://127.0.0.1:8443/v1.0"
    assert cloud.graph_scope == "https://graph.microsoft.com/.default"
    assert cloud.exchange_scope == "https://outlook.office365.com/.default"
    assert cloud.exchange_admin_base("t") == "https://127.0.0.1:8443/adminapi/beta/t"
    assert cloud.is_emulator is True


@pytest.mark.parametrize("name", list(TABLE))
def test_msal_and_graph_go_to_the_cloud_s_hosts(name: str) -> None:
    login, graph, _ = TABLE[name]
    fake = FakeCloud(graph={"organization": {"value": []}})
    with session_for(CLOUDS[name], fake) as session:
        token = session.tokens.token(session.connection.cloud.graph_scope)
        session.graph.get_json("organization")
    assert fake.urls[:2] == [
        f"GET https://{login}/{TENANT_ID}/v2.0/.well-known/openid-configuration",
        f"POST https://{login}/{TENANT_ID}/oauth2/v2.0/token",
    ]
    assert fake.urls[2] == f"GET https://{graph}/v1.0/organization"
    assert len(fake.urls) == 3  # a well-known login host: no instance discovery
    form = fake.forms()[0]
    assert form["scope"] == f"https://{graph}/.default"
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == CLIENT_ID
    graph_call = fake.requests[2]
    assert graph_call.headers["Authorization"] == f"Bearer {token.value}"
    assert graph_call.headers["client-request-id"]


def test_instance_discovery_is_on_for_a_host_msal_does_not_know() -> None:
    """Only the emulator turns it off: a sovereign host MSAL does not know is validated."""
    cloud = replace(CLOUDS["global"], login_url="https://login.sovereign.example")
    fake = FakeCloud()
    with session_for(cloud, fake) as session:
        session.tokens.token(cloud.graph_scope)
    assert fake.urls[0].startswith(
        "GET https://login.microsoftonline.com/common/discovery/instance?"
    )
    assert "login.sovereign.example" in str(fake.requests[0].url.params["authorization_endpoint"])
    assert fake.urls[1] == (
        f"GET https://login.sovereign.example/{TENANT_ID}/v2.0/.well-known/openid-configuration"
    )


def test_instance_discovery_is_off_for_the_emulator() -> None:
    cloud = emulator_cloud("https://emulator.example:8443")
    fake = FakeCloud()
    with session_for(cloud, fake) as session:
        session.tokens.token(cloud.graph_scope)
    assert fake.urls == [
        f"GET https://emulator.example:8443/{TENANT_ID}/v2.0/.well-known/openid-configuration",
        f"POST https://emulator.example:8443/{TENANT_ID}/oauth2/v2.0/token",
    ]
    assert fake.forms()[0]["scope"] == "https://graph.microsoft.com/.default"


def test_the_token_is_cached_until_graph_says_401() -> None:
    fake = FakeCloud(graph={"organization": {"value": []}})
    with session_for(CLOUDS["global"], fake) as session:
        session.graph.get_json("organization")
        session.graph.get_json("organization")
    assert [u.split(" ")[0] for u in fake.urls].count("POST") == 1
