"""Client applications at the token endpoint: who is asking, and is it who it says.

A client is an app registration (credentials live on the application object in its home
tenant) with a service principal in the tenant asked for, or one of Microsoft's own public
clients, which every tenant trusts without a registration:

- ``fb78d390-0c51-40cd-8e17-fdbfab77341b`` Microsoft Exchange REST API Based Powershell
  (Connect-ExchangeOnline's delegated client, m365-domain.md §6.6);
- ``14d82eec-204b-4c2f-b7e8-296a70dab67e`` Microsoft Graph Command Line Tools
  (Connect-MgGraph);
- ``04b07795-8ddb-461a-bbee-02f9e1bf7b46`` Microsoft Azure CLI.

An app registration is a public client when its ``isFallbackPublicClient`` property is true
("Allow public client flows" in the portal). A public client may redeem a device code or a
refresh token without a credential; anything else must authenticate, or Entra answers
AADSTS7000218 — which is what a confidential app meets in the device-code flow.

Credential validity (secret and certificate start/end) is judged on emulator time, the
clock they were stamped with; assertion lifetimes on real time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from ..core.ids import sha256_hex
from ..core.state import EmulatorState
from ..core.store import Row, loads
from .assertions import JWT_BEARER, KeyReference, parse_assertion
from .exceptions import (
    ApplicationDisabled,
    ApplicationNotFound,
    AssertionKeyInvalid,
    ClientCredentialMissing,
    ClientSecretExpired,
    InvalidClientSecret,
    ParameterMissing,
    ServicePrincipalMissing,
)

__all__ = [
    "WELL_KNOWN_PUBLIC_CLIENTS",
    "ClientApp",
    "PresentedCredential",
    "authenticate",
    "find_client",
]

WELL_KNOWN_PUBLIC_CLIENTS: dict[str, str] = {
    "fb78d390-0c51-40cd-8e17-fdbfab77341b": "Microsoft Exchange REST API Based Powershell",
    "14d82eec-204b-4c2f-b7e8-296a70dab67e": "Microsoft Graph Command Line Tools",
    "04b07795-8ddb-461a-bbee-02f9e1bf7b46": "Microsoft Azure CLI",
}


@dataclass(frozen=True, slots=True)
class ClientApp:
    """The client application of a token request, as the asked tenant knows it."""

    client_id: str
    display_name: str
    application: Row | None  # the app registration, in its home tenant
    service_principal: Row | None  # in the tenant asked for
    public: bool

    def require_service_principal(self, tenant_id: str) -> Row:
        """App-only tokens are issued to a service principal (AADSTS7000229 without one)."""
        if self.service_principal is None:
            raise ServicePrincipalMissing(self.client_id, tenant_id)
        return self.service_principal

    def check_enabled(self) -> None:
        """AADSTS7000112 when the service principal's accountEnabled is false."""
        sp = self.service_principal
        if sp is not None and not sp["account_enabled"]:
            raise ApplicationDisabled(self.client_id, sp["display_name"])


@dataclass(frozen=True, slots=True)
class PresentedCredential:
    """What the request offered: a secret (body or HTTP Basic) or a client assertion."""

    secret: str | None = None
    assertion: str | None = None
    assertion_type: str | None = None

    @property
    def empty(self) -> bool:
        return not self.secret and not self.assertion


def find_client(state: EmulatorState, tenant: Row, client_id: str) -> ClientApp:
    """The client by appId in ``tenant``; AADSTS700016 if the tenant does not know it."""
    wanted = client_id.strip().lower()
    sp = state.store.one(
        "SELECT * FROM service_principals WHERE tenant_id = ? AND app_id = ?",
        (tenant["id"], wanted),
    )
    home = tenant["id"]
    if sp is not None and sp["app_owner_tenant_id"]:
        home = sp["app_owner_tenant_id"]
    app = state.store.one(
        "SELECT * FROM applications WHERE tenant_id = ? AND app_id = ?", (home, wanted)
    )
    if app is None and sp is None:
        if wanted in WELL_KNOWN_PUBLIC_CLIENTS:
            return ClientApp(wanted, WELL_KNOWN_PUBLIC_CLIENTS[wanted], None, None, public=True)
        raise ApplicationNotFound(client_id, tenant["display_name"])
    props = loads(app["props"]) if app is not None else {}
    public = bool(props.get("isFallbackPublicClient")) or wanted in WELL_KNOWN_PUBLIC_CLIENTS
    named = sp if sp is not None else app
    assert named is not None
    return ClientApp(wanted, named["display_name"], app, sp, public=public)


def authenticate(
    state: EmulatorState,
    client: ClientApp,
    credential: PresentedCredential,
    *,
    audiences: Iterable[str],
    required: bool,
) -> str:
    """Check the credential; return the ``appidacr`` it earns: "0", "1" secret, "2" certificate."""
    if credential.assertion:
        _check_assertion(state, client, credential, audiences)
        return "2"
    if credential.secret:
        _check_secret(state, client, credential.secret)
        return "1"
    if required or not client.public:
        raise ClientCredentialMissing()
    return "0"


def _emulator_now(state: EmulatorState) -> datetime:
    return state.clock.now()


def _moment(stamp: str) -> datetime:
    """A stored ISO timestamp (seconds precision is enough to judge validity)."""
    return datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


def _current(row: Row, now: datetime) -> bool:
    return _moment(row["start"]) <= now < _moment(row["end"])


def _check_secret(state: EmulatorState, client: ClientApp, secret: str) -> None:
    """AADSTS7000215 for an unknown secret, 7000222 when only expired secrets match it."""
    rows = _credentials(state, client, "password_credentials")
    digest = sha256_hex(secret)
    matches = [r for r in rows if hmac.compare_digest(r["secret_sha256"], digest)]
    now = _emulator_now(state)
    if any(_current(r, now) for r in matches):
        return
    if any(_moment(r["end"]) <= now for r in matches):
        raise ClientSecretExpired(client.client_id)
    raise InvalidClientSecret(client.client_id)


def _check_assertion(
    state: EmulatorState,
    client: ClientApp,
    credential: PresentedCredential,
    audiences: Iterable[str],
) -> None:
    if credential.assertion_type != JWT_BEARER:
        raise ParameterMissing("client_assertion_type")
    assertion = parse_assertion(credential.assertion or "")
    assertion.check_algorithm()
    reference = assertion.key_reference()
    assertion.check_claims(client.client_id, audiences, state.clock.real_now())
    key = _registered_key(state, client, reference)
    found = f"Start={_dotnet(key['start'])}, End={_dotnet(key['end'])}"
    if not _current(key, _emulator_now(state)):
        raise AssertionKeyInvalid(
            reason="The key used is expired.",
            thumbprint=reference.hex,
            client_id=client.client_id,
            found_key=found,
        )
    if not assertion.signed_by(bytes(key["cert_der"])):
        raise AssertionKeyInvalid(
            reason="The provided signature value did not match the expected signature value.",
            thumbprint=reference.hex,
            client_id=client.client_id,
            found_key=found,
        )


def _registered_key(state: EmulatorState, client: ClientApp, reference: KeyReference) -> Row:
    """The key credential whose certificate has this thumbprint (computed from the DER, so
    it does not matter how a writer spelled the thumbprint columns)."""
    for row in _credentials(state, client, "key_credentials"):
        if hashlib.new(reference.algorithm, bytes(row["cert_der"])).digest() == reference.digest:
            return row
    raise AssertionKeyInvalid(
        reason="The key was not found.", thumbprint=reference.hex, client_id=client.client_id
    )


def _credentials(state: EmulatorState, client: ClientApp, table: str) -> list[Row]:
    app = client.application
    if app is None:
        return []
    return state.store.all(
        f"SELECT * FROM {table} WHERE tenant_id = ? AND application_id = ? ORDER BY start",  # noqa: S608
        (app["tenant_id"], app["id"]),
    )


def _dotnet(stamp: str) -> str:
    """``06/29/2021 21:13:15``, as Entra prints key dates."""
    return _moment(stamp).strftime("%m/%d/%Y %H:%M:%S")
