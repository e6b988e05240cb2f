"""Discovery documents: OpenID configuration, signing keys, instance discovery.

Shaped like login.microsoftonline.com's (m365-domain.md §5.6), with every URL on the host
the client called. For a tenant, endpoints carry its GUID (MSAL takes the tenant from
``token_endpoint``'s first path segment); for ``common`` and ``organizations`` they keep
the alias and the issuer reads ``{tenantid}``, as Entra's do. The authorize, logout and
kerberos endpoints are listed for shape but not served (the emulator signs users in
through the device-code flow only).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..core.tokens import SigningKey
from .exceptions import NoSuchInstance

__all__ = ["instance_discovery", "keys_document", "openid_configuration"]


def openid_configuration(
    base_url: str, tenant_path: str, *, tenant_id: str | None
) -> dict[str, Any]:
    """``/{tenant}/v2.0/.well-known/openid-configuration``; ``tenant_id`` None for aliases."""
    path = tenant_id or tenant_path
    issuer_tenant = tenant_id or "{tenantid}"
    root = f"{base_url}/{path}"
    return {
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{root}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base_url}/{issuer_tenant}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base_url}/oidc/userinfo",
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
        "claims_supported": [
            "sub",
            "iss",
            "cloud_instance_name",
            "cloud_instance_host_name",
            "cloud_graph_host_name",
            "msgraph_host",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "acr",
            "nonce",
            "preferred_username",
            "name",
            "tid",
            "ver",
            "at_hash",
            "c_hash",
            "email",
        ],
        "kerberos_endpoint": f"{root}/kerberos",
        "tenant_region_scope": "NA" if tenant_id else None,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": urlsplit(base_url).netloc,
        "rbac_url": "https://pas.windows.net",
    }


def keys_document(key: SigningKey, base_url: str, tenant_id: str | None) -> dict[str, Any]:
    """``/{tenant}/discovery/v2.0/keys``: the emulator's one signing key as a JWK."""
    jwk = key.jwk()
    jwk["issuer"] = f"{base_url}/{tenant_id or '{tenantid}'}/v2.0"
    return {"keys": [jwk]}


def instance_discovery(base_url: str, authorization_endpoint: str | None) -> dict[str, Any]:
    """``/common/discovery/instance``: the document MSAL asks for an unknown authority.

    Entra answers AADSTS50049 for an authority on a host it does not serve."""
    host = urlsplit(base_url).netloc
    tenant = "common"
    if authorization_endpoint:
        parts = urlsplit(authorization_endpoint)
        if parts.netloc.lower() != host.lower():
            raise NoSuchInstance()
        tenant = next((s for s in parts.path.split("/") if s), "common")
    return {
        "tenant_discovery_endpoint": f"{base_url}/{tenant}/v2.0/.well-known/openid-configuration",
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    }
