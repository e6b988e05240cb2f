"""Access-token claims shaped like Entra's v1.0 tokens (m365-domain.md §5.4).

App-only (client credentials)::

    aud  the resource URI asked for (https://graph.microsoft.com)
    iss  https://sts.windows.net/{tid}/      idp  the same
    iat, nbf  five minutes back, as Entra does     exp  iat + 3899 s (expires_in 3599)
    appid, app_displayname, appidacr ("1" secret, "2" certificate)
    oid = sub  the service principal's object id   idtyp "app"
    roles  the app roles assigned to the service principal on that resource, at issue time
    wids   the directory roles assigned to the service principal
    tid, ver "1.0", aio, rh, uti, tenant_region_scope, xms_tcdt

Delegated (device code, refresh token) — the same v1.0 frame, plus::

    idtyp "user"   appid (the client), app_displayname, appidacr ("0" public client)
    scp  space-separated delegated permissions      oid  the user's object id
    upn = unique_name  the user's UPN               name  display name
    sub  pairwise: stable per user and client       sid  a session id
    wids  the user's directory roles (template ids)
    acct 0, acr "1", amr ["pwd", "mfa"], ipaddr, puid, family_name/given_name when known

ID token (v2.0, audience the client): aud, iss https://<host>/<tid>/v2.0, iat, nbf, exp,
name, oid, preferred_username, sub, tid, sid, rh, uti, ver "2.0".
(learn.microsoft.com/entra/identity-platform/access-token-claims-reference,
id-token-claims-reference)
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..core.directory import Directory
from ..core.ids import b64url, guid, opaque
from ..core.state import EmulatorState
from ..core.store import Row, loads

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "ID_TOKEN_LIFETIME",
    "app_only_claims",
    "delegated_claims",
    "id_token_claims",
    "issue_app_token",
    "pairwise_subject",
]

ACCESS_TOKEN_LIFETIME = 3599
ID_TOKEN_LIFETIME = 3600
_BACKDATE = 300


def _common(tenant_id: str, resource: str, now: float) -> dict[str, Any]:
    issuer = f"https://sts.windows.net/{tenant_id}/"
    return {
        "aud": resource,
        "iss": issuer,
        "iat": int(now) - _BACKDATE,
        "nbf": int(now) - _BACKDATE,
        "exp": int(now) + ACCESS_TOKEN_LIFETIME,
        "aio": opaque(48),
        "idp": issuer,
        "rh": opaque(24),
        "tid": tenant_id,
        "uti": opaque(16),
        "ver": "1.0",
    }


def app_only_claims(
    state: EmulatorState,
    tenant_id: str,
    client: Row,
    resource_sp: Row,
    resource: str,
    *,
    credential_type: str,
) -> dict[str, Any]:
    """Claims of an app-only token for ``client`` (a service principal row) on a resource."""
    directory = Directory(state.store)
    now = state.clock.real_now()
    claims = _common(tenant_id, resource, now)
    claims.update(
        {
            "app_displayname": client["display_name"],
            "appid": client["app_id"],
            "appidacr": "2" if credential_type == "certificate" else "1",
            "idtyp": "app",
            "oid": client["id"],
            "sub": client["id"],
            "tenant_region_scope": "NA",
            "xms_tcdt": directory.tenant_props(tenant_id).get("createdEpoch", int(now)),
        }
    )
    roles = directory.granted_roles(tenant_id, client["id"], resource_sp["id"])
    if roles:
        claims["roles"] = roles
    wids = directory.directory_roles(tenant_id, client["id"])
    if wids:
        claims["wids"] = wids
    return claims


def issue_app_token(
    state: EmulatorState,
    tenant_id: str,
    app_id: str,
    resource_app_id: str,
    resource: str,
    *,
    credential_type: str = "secret",
) -> str:
    """Sign an app-only token (the token endpoint's last step; tests call it directly)."""
    directory = Directory(state.store)
    client = directory.service_principal_by_app_id(tenant_id, app_id)
    resource_sp = directory.service_principal_by_app_id(tenant_id, resource_app_id)
    if client is None or resource_sp is None:
        raise LookupError(f"no service principal {app_id} or {resource_app_id} in {tenant_id}")
    return state.signing_key.sign(
        app_only_claims(
            state, tenant_id, client, resource_sp, resource, credential_type=credential_type
        )
    )


def pairwise_subject(object_id: str, client_id: str) -> str:
    """``sub`` of a user token: the same for one user and one app, different across apps."""
    return b64url(hashlib.sha256(f"{object_id}:{client_id}".encode()).digest())


def delegated_claims(
    state: EmulatorState,
    tenant_id: str,
    *,
    user: Row,
    client_id: str,
    client_name: str,
    resource: str,
    scopes: list[str],
    appidacr: str,
    ip_address: str = "127.0.0.1",
) -> dict[str, Any]:
    """Claims of a delegated token: ``user`` signed in to ``client_id``, for ``resource``."""
    directory = Directory(state.store)
    now = state.clock.real_now()
    claims = _common(tenant_id, resource, now)
    claims.update(
        {
            "acct": 0,
            "acr": "1",
            "amr": ["pwd", "mfa"],
            "app_displayname": client_name,
            "appid": client_id,
            "appidacr": appidacr,
            **_names(user),
            "idtyp": "user",
            "ipaddr": ip_address,
            "name": user["display_name"],
            "oid": user["id"],
            "puid": hashlib.sha256(user["id"].encode()).hexdigest()[:16].upper(),
            "scp": " ".join(scopes),
            "sid": guid(),
            "sub": pairwise_subject(user["id"], client_id),
            "tenant_region_scope": "NA",
            "unique_name": user["upn"],
            "upn": user["upn"],
            "xms_tcdt": directory.tenant_props(tenant_id).get("createdEpoch", int(now)),
        }
    )
    wids = directory.directory_roles(tenant_id, user["id"])
    if wids:
        claims["wids"] = wids
    return claims


def _names(user: Row) -> dict[str, str]:
    props = loads(user["props"]) if user["props"] else {}
    names = {"family_name": props.get("surname"), "given_name": props.get("givenName")}
    return {k: str(v) for k, v in names.items() if v}


def id_token_claims(
    state: EmulatorState, tenant_id: str, *, user: Row, client_id: str, issuer: str
) -> dict[str, Any]:
    """Claims of a v2.0 ID token for ``user`` signing in to ``client_id``."""
    now = int(state.clock.real_now())
    return {
        "aud": client_id,
        "iss": issuer,
        "iat": now - _BACKDATE,
        "nbf": now - _BACKDATE,
        "exp": now + ID_TOKEN_LIFETIME,
        "name": user["display_name"],
        "oid": user["id"],
        "preferred_username": user["upn"],
        "rh": opaque(24),
        "sid": guid(),
        "sub": pairwise_subject(user["id"], client_id),
        "tid": tenant_id,
        "uti": opaque(16),
        "ver": "2.0",
    }
