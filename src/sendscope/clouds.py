"""Microsoft clouds as data: where to sign in, where Graph and Exchange live, what to ask for.

Hosts from learn.microsoft.com/graph/deployments and Connect-ExchangeOnline
``-ExchangeEnvironmentName`` (m365-domain.md §5.7). GCC (not High) uses the global cloud.
The token scopes of the Exchange admin API outside the global cloud are inferred, not
documented (UNCONFIRMED; docs/connect.md says so).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["CLOUDS", "Cloud", "cloud_named", "emulator_cloud"]


@dataclass(frozen=True, slots=True)
class Cloud:
    """One Microsoft cloud: its sign-in authority host, Graph and Exchange endpoints."""

    name: str
    title: str
    login_url: str
    graph_url: str
    exchange_url: str
    graph_scope: str
    exchange_scope: str
    is_emulator: bool = False

    def authority(self, tenant: str) -> str:
        return f"{self.login_url}/{tenant}"

    @property
    def graph_base(self) -> str:
        return f"{self.graph_url}/v1.0"

    def exchange_admin_base(self, tenant: str) -> str:
        return f"{self.exchange_url}/adminapi/beta/{tenant}"


def _cloud(name: str, title: str, login: str, graph: str, exchange: str) -> Cloud:
    return Cloud(
        name,
        title,
        f"https://{login}",
        f"https://{graph}",
        f"https://{exchange}",
        f"https://{graph}/.default",
        f"https://{exchange}/.default",
    )


CLOUDS: dict[str, Cloud] = {
    c.name: c
    for c in (
        _cloud(
            "global",
            "Microsoft 365 (global, including GCC)",
            "login.microsoftonline.com",
            "graph.microsoft.com",
            "outlook.office365.com",
        ),
        _cloud(
            "usgov",
            "Microsoft 365 GCC High",
            "login.microsoftonline.us",
            "graph.microsoft.us",
            "outlook.office365.us",
        ),
        _cloud(
            "usgovdod",
            "Microsoft 365 DoD",
            "login.microsoftonline.us",
            "dod-graph.microsoft.us",
            "webmail.apps.mil",
        ),
        _cloud(
            "china",
            "Microsoft 365 operated by 21Vianet",
            "login.chinacloudapi.cn",
            "microsoftgraph.chinacloudapi.cn",
            "partner.outlook.cn",
        ),
    )
}


def cloud_named(name: str) -> Cloud:
    """The cloud called ``name``; KeyError with the choices otherwise."""
    try:
        return CLOUDS[name.lower()]
    except KeyError:
        raise KeyError(f"{name!r} is not a cloud: use one of {', '.join(CLOUDS)}") from None


def emulator_cloud(url: str) -> Cloud:
    """The sendscope emulator at ``url``: one host for everything, the global cloud's scopes
    (the emulator issues tokens for the real resource URIs)."""
    base = url.rstrip("/")
    return replace(
        CLOUDS["global"],
        name="emulator",
        title=f"sendscope emulator at {base}",
        login_url=base,
        graph_url=base,
        exchange_url=base,
        is_emulator=True,
    )
