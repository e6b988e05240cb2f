"""Route table of the identity service (Entra ID's login host, on the emulator's one host)."""

from starlette.routing import BaseRoute, Route

from . import responses

__all__ = ["ROUTES"]

ROUTES: list[BaseRoute] = [
    Route("/_emulator/devicelogin", responses.device_login, methods=["GET"]),
    Route("/_emulator/devicelogin", responses.device_login_decision, methods=["POST"]),
    Route("/common/discovery/instance", responses.instance, methods=["GET"]),
    Route("/{tenant}/oauth2/v2.0/token", responses.token, methods=["POST"]),
    Route("/{tenant}/oauth2/v2.0/token", responses.token_get, methods=["GET"]),
    Route("/{tenant}/oauth2/v2.0/devicecode", responses.device_authorization, methods=["POST"]),
    Route(
        "/{tenant}/v2.0/.well-known/openid-configuration", responses.openid_config, methods=["GET"]
    ),
    Route("/{tenant}/discovery/v2.0/keys", responses.keys, methods=["GET"]),
    Route("/{tenant}/discovery/keys", responses.keys, methods=["GET"]),
]
