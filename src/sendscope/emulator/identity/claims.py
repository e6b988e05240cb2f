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
"""

from __future__ import annotations

from typing import Any

from ..core.directory import Directory
from ..core.ids import opaque
from ..core.state import EmulatorState
from ..core.store import Row

__all__ = ["ACCESS_TOKEN_LIFETIME", "app_only_claims", "issue_app_token"]

ACCESS_TOKEN_LIFETIME = 3599
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
    state: EmulatorState, tenant_id: str, app_id: str, resource_app_id: str, resource: str,
    *, credential_type: str = "secret",
) -> str:
    """Sign an app-only token (the token endpoint's last step; tests call it directly)."""
    directory = Directory(state.store)
    client = directory.service_principal_by_app_id(tenant_id, app_id)
    resource_sp = directory.service_principal_by_app_id(tenant_id, resource_app_id)
    if client is None or resource_sp is None:
        raise LookupError(f"no service principal {app_id} or {resource_app_id} in {tenant_id}")
    return state.signing_key.sign(
        app_only_claims(state, tenant_id, client, resource_sp, resource,
                        credential_type=credential_type)
    )
