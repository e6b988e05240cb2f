"""The device login page (``/_emulator/devicelogin``): enter the code, pick a user, decide.

microsoft.com/devicelogin asks for the code, then for a password; the emulator asks for
the code, then which user of the tenant signs in (no passwords: it is a test double).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ..core.store import Row

__all__ = ["approval_page", "code_page", "result_page"]

_STYLE = (
    "body{font-family:Segoe UI,system-ui,sans-serif;max-width:34em;margin:3em auto;color:#1b1b1b}"
    "h1{font-weight:600;font-size:1.5em}label{display:block;margin:1em 0 .3em}"
    "input,select{font-size:1em;padding:.4em;width:100%;box-sizing:border-box}"
    "button{font-size:1em;padding:.5em 1.5em;margin:1em .5em 0 0}"
    ".problem{color:#a80000}.meta{color:#555}"
)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} - sendscope emulator</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}"
        '<p class="meta">sendscope emulator: a local stand-in for Microsoft Entra sign-in.</p>'
        "</body></html>"
    )


def code_page(problem: str | None = None, code: str = "") -> str:
    """Step one: the code the app showed."""
    note = f'<p class="problem">{escape(problem)}</p>' if problem else ""
    return _page(
        "Enter code",
        f"{note}<p>Enter the code displayed on your app or device.</p>"
        '<form method="get" action="/_emulator/devicelogin">'
        f'<label for="code">Code</label><input id="code" name="code" value="{escape(code)}"'
        ' autocomplete="off" autofocus><button type="submit">Next</button></form>',
    )


def approval_page(
    *,
    user_code: str,
    client_name: str,
    tenant_name: str,
    scope: str,
    users: Sequence[Row],
    preselected: str | None,
) -> str:
    """Step two: who signs in, and approve or decline."""
    options = "".join(
        f'<option value="{escape(u["upn"])}"{" selected" if u["upn"] == preselected else ""}>'
        f"{escape(u['display_name'])} ({escape(u['upn'])})</option>"
        for u in users
    )
    return _page(
        "Are you trying to sign in?",
        f"<p><strong>{escape(client_name)}</strong> wants to sign in to "
        f"<strong>{escape(tenant_name)}</strong>.</p>"
        f'<p class="meta">Permissions asked: {escape(scope)}</p>'
        '<form method="post" action="/_emulator/devicelogin">'
        f'<input type="hidden" name="user_code" value="{escape(user_code)}">'
        f'<label for="upn">Sign in as</label><select id="upn" name="upn">{options}</select>'
        '<button type="submit" name="action" value="approve">Continue</button>'
        '<button type="submit" name="action" value="decline">Cancel</button></form>',
    )


def result_page(title: str, text: str) -> str:
    return _page(title, f"<p>{escape(text)}</p>")
