"""The Entra token service: tenants, grants, and the tokens they yield. No HTTP in here.

Grants (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow,
v2-oauth2-device-code, v2-oauth2-auth-code-flow#refresh-the-access-token):

- ``client_credentials``: app-only token; secret (body or HTTP Basic) or client assertion;
- ``urn:ietf:params:oauth:grant-type:device_code``: a user approved on the device login page;
- ``refresh_token``: a new access token (any resource) for the same user and client.

Checks run in this order, and the first failure answers: tenant (900023, 90002), grant
type (900144, 70003), required parameters (900144), the client (700016), the scope's
shape (70011, 1002012), the credential (7000218, 7000215, 7000222, assertion errors),
a disabled service principal (7000112), the resource (500011). Which of two faults
Entra reports first is not documented; this order is the emulator's choice.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.directory import GRAPH_APP_ID, Directory
from ..core.ids import is_guid
from ..core.state import EmulatorState
from ..core.store import Row
from .claims import (
    ACCESS_TOKEN_LIFETIME,
    delegated_claims,
    id_token_claims,
    issue_app_token,
)
from .clients import ClientApp, PresentedCredential, authenticate, find_client
from .device import DeviceCodes, RefreshTokens
from .exceptions import (
    GrantInvalid,
    MalformedTenant,
    MultipleResourcesScope,
    NoTenantInformation,
    ParameterMissing,
    ResourceNotFound,
    TenantNotFound,
    UnsupportedGrantType,
    UserAccountDisabled,
    UserNotFound,
)
from .scopes import (
    DEFAULT_SCOPE,
    client_credentials_resource,
    delegated_scope,
    granted_scopes,
    resolve_resource,
)

__all__ = [
    "DEVICE_CODE_GRANT",
    "ORGANIZATION_ALIASES",
    "TokenRequest",
    "TokenService",
    "resolve_tenant",
]

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
ORGANIZATION_ALIASES = frozenset({"common", "organizations"})
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)


def resolve_tenant(state: EmulatorState, ref: str, *, error: str = "invalid_request") -> Row:
    """A tenant by GUID or domain; AADSTS900023 if ``ref`` is neither, 90002 if unknown."""
    row = state.tenant(ref)
    if row is not None:
        return row
    if not (is_guid(ref) or _DOMAIN.match(ref)):
        raise MalformedTenant(ref, error=error)
    raise TenantNotFound(ref, error=error)


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """A token-endpoint request, parsed: the path's tenant, the form, HTTP Basic if any."""

    tenant_ref: str
    form: Mapping[str, str]
    base_url: str  # https://127.0.0.1:8443, no trailing slash
    basic: tuple[str, str] | None = None
    client_ip: str = "127.0.0.1"

    def param(self, name: str) -> str:
        return self.form.get(name, "").strip()

    def required(self, name: str) -> str:
        value = self.param(name)
        if not value:
            raise ParameterMissing(name)
        return value

    @property
    def client_id(self) -> str:
        value = self.param("client_id") or (self.basic[0] if self.basic else "")
        if not value:
            raise ParameterMissing("client_id")
        return value  # as sent: Entra's messages echo it; lookups compare in lower case

    @property
    def credential(self) -> PresentedCredential:
        secret = self.form.get("client_secret") or (self.basic[1] if self.basic else None)
        return PresentedCredential(
            secret=secret or None,
            assertion=self.form.get("client_assertion") or None,
            assertion_type=self.form.get("client_assertion_type") or None,
        )

    def audiences(self, tenant: Row) -> list[str]:
        """The token endpoint URLs a client assertion may name as ``aud``."""
        refs = {self.tenant_ref, tenant["id"], tenant["domain"], *ORGANIZATION_ALIASES}
        return [
            f"{self.base_url}/{ref}/oauth2/{path}"
            for ref in refs
            for path in ("v2.0/token", "token")
        ]


class TokenService:
    """What ``/{tenant}/oauth2/v2.0/token`` and ``/devicecode`` answer, for one state."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.directory = Directory(state.store)
        self.device_codes = DeviceCodes(state)
        self.refresh_tokens = RefreshTokens(state)

    # -- the token endpoint --------------------------------------------------------------

    def token(self, request: TokenRequest) -> dict[str, Any]:
        tenant = self._tenant_or_alias(request.tenant_ref)
        grant = request.required("grant_type")
        if grant == "client_credentials":
            if tenant is None:
                raise NoTenantInformation()
            return self._client_credentials(tenant, request)
        if grant in (DEVICE_CODE_GRANT, "device_code"):
            return self._device_code(tenant, request)
        if grant == "refresh_token":
            return self._refresh_token(tenant, request)
        raise UnsupportedGrantType(grant)

    def _tenant_or_alias(self, ref: str) -> Row | None:
        return None if ref.lower() in ORGANIZATION_ALIASES else resolve_tenant(self.state, ref)

    def _client_credentials(self, tenant: Row, request: TokenRequest) -> dict[str, Any]:
        client_id, scope = request.client_id, request.required("scope")
        client = find_client(self.state, tenant, client_id)
        resource = client_credentials_resource(scope)
        acr = authenticate(
            self.state,
            client,
            request.credential,
            audiences=request.audiences(tenant),
            required=True,
        )
        client.require_service_principal(tenant["id"])
        client.check_enabled()
        resource_sp = self._resource(tenant, resource)
        token = issue_app_token(
            self.state,
            tenant["id"],
            client.client_id,
            resource_sp["app_id"],
            resource,
            credential_type="certificate" if acr == "2" else "secret",
        )
        return {
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_LIFETIME,
            "ext_expires_in": ACCESS_TOKEN_LIFETIME,
            "access_token": token,
        }

    def _device_code(self, path_tenant: Row | None, request: TokenRequest) -> dict[str, Any]:
        code = request.param("device_code") or request.param("code")
        if not code:
            raise ParameterMissing("device_code")
        client_id = request.client_id
        row = self.device_codes.find(code)
        tenant = self._grant_tenant(path_tenant, row["tenant_id"])
        if row["client_id"] != client_id.lower():
            raise GrantInvalid("Provided grant is invalid or malformed.")
        client, acr = self._delegated_client(tenant, request)
        user = self._user(tenant, self.device_codes.redeem(row))
        return self._user_tokens(tenant, client, user, row["scope"], acr, request)

    def _refresh_token(self, path_tenant: Row | None, request: TokenRequest) -> dict[str, Any]:
        token = request.required("refresh_token")
        client_id = request.client_id
        row = self.refresh_tokens.redeem(token, client_id.lower())
        tenant = self._grant_tenant(path_tenant, row["tenant_id"])
        client, acr = self._delegated_client(tenant, request)
        user = self._user(tenant, row["user_id"])
        scope = request.param("scope") or row["scope"]
        return self._user_tokens(tenant, client, user, scope, acr, request)

    def _grant_tenant(self, path_tenant: Row | None, grant_tenant_id: str) -> Row:
        """The tenant a device code or refresh token belongs to; another tenant's is unknown."""
        tenant = self.state.tenant(grant_tenant_id)
        if tenant is None or (path_tenant is not None and path_tenant["id"] != tenant["id"]):
            raise GrantInvalid("Provided grant is invalid or malformed.")
        return tenant

    def _delegated_client(self, tenant: Row, request: TokenRequest) -> tuple[ClientApp, str]:
        client = find_client(self.state, tenant, request.client_id)
        acr = authenticate(
            self.state,
            client,
            request.credential,
            audiences=request.audiences(tenant),
            required=False,
        )
        client.check_enabled()
        return client, acr

    def _user(self, tenant: Row, user_id: str) -> Row:
        user = self.directory.user(tenant["id"], user_id)
        if user is None:
            raise UserNotFound(tenant["display_name"])
        if not user["account_enabled"]:
            raise UserAccountDisabled()
        return user

    def _resource(self, tenant: Row, resource: str) -> Row:
        found = resolve_resource(self.state.store, tenant["id"], resource)
        if found is None:
            raise ResourceNotFound(resource, tenant["display_name"])
        return found

    def delegated_resource(self, tenant: Row, scope: str) -> tuple[str, Row, tuple[str, ...]]:
        """(resource as named, its service principal, permission names) of a delegated scope."""
        parsed = delegated_scope(scope)
        found = [(name, self._resource(tenant, name), perms) for name, perms in parsed.resources]
        if len({sp["id"] for _, sp, _ in found}) > 1:
            raise MultipleResourcesScope(scope)
        names = tuple(dict.fromkeys(p for _, _, perms in found for p in perms))
        return found[0][0], found[0][1], names

    def _user_tokens(
        self,
        tenant: Row,
        client: ClientApp,
        user: Row,
        scope: str,
        acr: str,
        request: TokenRequest,
    ) -> dict[str, Any]:
        """The delegated token response: access, refresh, ID token and client_info."""
        parsed = delegated_scope(scope)
        resource, resource_sp, names = self.delegated_resource(tenant, scope)
        granted = granted_scopes(resource_sp["app_id"], names)
        # openid, profile and email are Graph permissions: Graph tokens carry them in scp.
        on_graph = resource_sp["app_id"] == GRAPH_APP_ID
        oidc = sorted(parsed.oidc - {"offline_access"}) if on_graph else []
        claims = delegated_claims(
            self.state,
            tenant["id"],
            user=user,
            client_id=client.client_id,
            client_name=client.display_name,
            resource=resource,
            scopes=[*granted, *oidc],
            appidacr=acr,
            ip_address=request.client_ip,
        )
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": _response_scope(resource, names, granted, parsed.oidc),
            "expires_in": ACCESS_TOKEN_LIFETIME,
            "ext_expires_in": ACCESS_TOKEN_LIFETIME,
            "access_token": self.state.signing_key.sign(claims),
        }
        if parsed.offline_access:
            body["refresh_token"] = self.refresh_tokens.issue(
                tenant["id"], client.client_id, user["id"], scope
            )
        if parsed.openid:
            body["id_token"] = self.state.signing_key.sign(
                id_token_claims(
                    self.state,
                    tenant["id"],
                    user=user,
                    client_id=client.client_id,
                    issuer=f"{request.base_url}/{tenant['id']}/v2.0",
                )
            )
        if request.param("client_info") == "1":
            body["client_info"] = client_info(user["id"], tenant["id"])
        return body

    # -- the device authorization endpoint -------------------------------------------------

    def device_authorization(
        self, tenant_ref: str, form: Mapping[str, str], base_url: str
    ) -> dict[str, Any]:
        """Start a device flow (any client; a confidential one fails later, at redemption)."""
        request = TokenRequest(tenant_ref, form, base_url)
        tenant = self._tenant_for_device_flow(tenant_ref, request)
        client_id, scope = request.client_id, request.required("scope")
        client = find_client(self.state, tenant, client_id)
        self.delegated_resource(tenant, scope)
        issued = self.device_codes.issue(
            tenant["id"], client.client_id, scope, f"{base_url}/_emulator/devicelogin"
        )
        return issued.as_json()

    def _tenant_for_device_flow(self, tenant_ref: str, request: TokenRequest) -> Row:
        """``/common`` and ``/organizations`` sign in to the client's home tenant, or to the
        emulator's first tenant for Microsoft's own clients."""
        tenant = self._tenant_or_alias(tenant_ref)
        if tenant is not None:
            return tenant
        home = self.state.store.one(
            "SELECT t.* FROM tenants t JOIN applications a ON a.tenant_id = t.id "
            "WHERE a.app_id = ? ORDER BY t.created, t.rowid LIMIT 1",
            (request.client_id.lower(),),
        )
        home = home or self.state.store.one("SELECT * FROM tenants ORDER BY created, rowid LIMIT 1")
        if home is None:
            raise TenantNotFound(tenant_ref)
        return home


def _response_scope(
    resource: str, names: tuple[str, ...], granted: tuple[str, ...], oidc: frozenset[str]
) -> str:
    """The ``scope`` of the response: granted permissions as ``{resource}/{name}``, the
    ``.default`` asked for, then the OIDC scopes asked for."""
    values = [f"{resource}/{name}" for name in granted]
    if DEFAULT_SCOPE in names:
        values.append(f"{resource}/{DEFAULT_SCOPE}")
    values += [s for s in ("openid", "profile", "email", "offline_access") if s in oidc]
    return " ".join(values)


def client_info(user_id: str, tenant_id: str) -> str:
    """base64url JSON ``{"uid", "utid"}``: MSAL's home account id is ``uid.utid``."""
    raw = json.dumps({"uid": user_id, "utid": tenant_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
