"""The outbox web pages: what the emulator sent, for a person in a browser.

Self-contained HTML (inline CSS, no script, no external asset), in the manner of Mailpit's
message list. Everything that comes from a message is escaped with ``html.escape``; an
HTML body is shown as escaped source, and rendered only inside an ``<iframe sandbox>``
via ``srcdoc`` (no script, no form, no same-origin access), under a Content Security
Policy that lets it load nothing from the network.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from .mail_view import Attachment, MailBody, Recipient, SentMail, TenantDomains

__all__ = ["UI_HEADERS", "endpoint_rows", "index_page", "message_page", "outbox_page"]

# Mail bodies may reference remote images: a mail catcher must not fetch them.
UI_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_PREVIEW_CHARS = 600

_CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",
sans-serif;color:#1f2937;background:#f1f5f9}a{color:#2563eb;text-decoration:none}
a:hover{text-decoration:underline}header{background:#1e293b;color:#f8fafc;padding:.7rem 1.2rem;
display:flex;gap:1.5rem;align-items:center}header a{color:#cbd5e1}header .brand{color:#fff;
font-weight:600;font-size:1.05rem}main{max-width:1100px;margin:1rem auto;padding:0 1rem}
form.filter{display:flex;gap:.6rem;align-items:center;margin-bottom:1rem}
select,button{font:inherit;padding:.3rem .5rem}.count{color:#64748b}
.mail{background:#fff;border:1px solid #e2e8f0;border-radius:6px;margin-bottom:.8rem;
padding:.8rem 1rem}.mail h2{font-size:1.05rem;margin:0 0 .3rem}.meta{color:#475569;
font-size:.9rem}.meta td{padding:.1rem .8rem .1rem 0;vertical-align:top}.meta th{text-align:left;
padding:.1rem .8rem .1rem 0;font-weight:500;color:#64748b;vertical-align:top}
.time{float:right;color:#64748b;font-size:.85rem}.badge{display:inline-block;font-size:.75rem;
border-radius:3px;padding:0 .35rem;margin-left:.25rem}.internal{background:#dcfce7;color:#166534}
.external{background:#fee2e2;color:#991b1b}.kind{background:#e0e7ff;color:#3730a3}
.rcpt{display:inline-block;margin-right:.8rem}pre{white-space:pre-wrap;word-break:break-word;
background:#f8fafc;border:1px solid #e2e8f0;border-radius:4px;padding:.6rem;margin:.5rem 0 0;
max-height:28rem;overflow:auto;font:13px ui-monospace,monospace}
iframe{width:100%;height:28rem;border:1px solid #e2e8f0;border-radius:4px;background:#fff}
.empty{color:#64748b;padding:2rem;text-align:center}h3{font-size:.95rem;margin:1rem 0 .2rem}
table.api{border-collapse:collapse;background:#fff}table.api td,table.api th{border:1px solid
#e2e8f0;padding:.35rem .6rem;text-align:left;vertical-align:top}code{font-size:.9em}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, content: str) -> str:
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<style>{_CSS}</style></head><body><header>"
        '<a class=brand href="/_emulator/ui">sendscope emulator · Outbox</a>'
        '<a href="/_emulator">Control plane</a><a href="/_emulator/outbox">Outbox JSON</a>'
        '<a href="/_emulator/tenants">Tenants</a><a href="/_emulator/clock">Clock</a>'
        f"</header><main>{content}</main></body></html>"
    )


# -- the list ----------------------------------------------------------------------------


def outbox_page(
    mails: Sequence[SentMail], tenants: Iterable[TenantDomains], selected: str | None
) -> str:
    """Every message, newest first, with a tenant filter."""
    cards = "".join(_card(mail) for mail in mails) or (
        "<p class=empty>No mail has been sent yet. Send some through Graph "
        "(POST /v1.0/users/{mailbox}/sendMail) and reload.</p>"
    )
    return _page("Outbox · sendscope emulator", _filter(tenants, selected, len(mails)) + cards)


def _filter(tenants: Iterable[TenantDomains], selected: str | None, count: int) -> str:
    options = ['<option value="">All tenants</option>']
    for tenant in tenants:
        mark = " selected" if selected in (tenant.id, tenant.domain) else ""
        options.append(f'<option value="{_e(tenant.id)}"{mark}>{_e(tenant.domain)}</option>')
    noun = "message" if count == 1 else "messages"
    return (
        '<form class=filter method=get action="/_emulator/ui"><label>Tenant '
        f"<select name=tenant>{''.join(options)}</select></label><button>Show</button>"
        f"<span class=count>{count} {noun}, newest first</span></form>"
    )


def _card(mail: SentMail) -> str:
    entry = mail.entry
    link = f"/_emulator/ui/messages/{quote(entry.id, safe='')}"
    return (
        f"<article class=mail><span class=time>{_e(entry.sent_at)}</span>"
        f'<h2><a href="{_e(link)}">{_e(entry.subject or "(no subject)")}</a></h2>'
        f"{_meta(mail)}{_preview(mail.body)}</article>"
    )


def _meta(mail: SentMail) -> str:
    rows = [("Mailbox", _e(mail.entry.mailbox))]
    if mail.from_address.lower() != mail.entry.mailbox.lower():
        rows.append(("From", _e(mail.from_address)))
    rows.append(("To", _recipients(mail.recipients) or "<em>no recipients</em>"))
    rows.append(("Tenant", _e(mail.tenant)))
    rows.append(("App", _e(mail.entry.app_id or "—")))
    if mail.attachments:
        rows.append(("Attachments", ", ".join(_attachment(a) for a in mail.attachments)))
    body = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    return f"<table class=meta>{body}</table>"


def _attachment(attachment: Attachment) -> str:
    size = "" if attachment.size is None else f", {attachment.size} bytes"
    return f"{_e(attachment.name)} ({_e(attachment.content_type)}{size})"


def _recipients(recipients: Iterable[Recipient]) -> str:
    parts = []
    for r in recipients:
        where = "internal" if r.internal else "external"
        name = f"{_e(r.name)} " if r.name else ""
        parts.append(
            f"<span class=rcpt>{name}&lt;{_e(r.address)}&gt;"
            f"<span class='badge kind'>{_e(r.kind)}</span>"
            f"<span class='badge {where}'>{where}</span></span>"
        )
    return "".join(parts)


def _preview(body: MailBody | None) -> str:
    if body is None:
        return "<pre>(no body)</pre>"
    text = body.content
    more = "…" if len(text) > _PREVIEW_CHARS else ""
    label = "<span class='badge kind'>HTML source</span>" if body.content_type == "html" else ""
    return f"{label}<pre>{_e(text[:_PREVIEW_CHARS])}{more}</pre>"


# -- one message -------------------------------------------------------------------------


def message_page(mail: SentMail, raw_json: str) -> str:
    """One message in full: headers, the body (HTML rendered in a sandbox), the raw JSON."""
    entry = mail.entry
    content = (
        '<p><a href="/_emulator/ui">← All messages</a></p>'
        f"<article class=mail><span class=time>{_e(entry.sent_at)}</span>"
        f"<h2>{_e(entry.subject or '(no subject)')}</h2>{_meta(mail)}"
        f"{_full_body(mail.body)}<h3>Outbox entry (JSON)</h3><pre>{_e(raw_json)}</pre>"
        "</article>"
    )
    return _page(f"{entry.subject or '(no subject)'} · Outbox", content)


def _full_body(body: MailBody | None) -> str:
    if body is None:
        return "<h3>Body</h3><pre>(no body)</pre>"
    if body.content_type != "html":
        return f"<h3>Body (text)</h3><pre>{_e(body.content)}</pre>"
    # sandbox="" with no allowances: no script, no forms, no top navigation, opaque origin.
    return (
        "<h3>Body (HTML, rendered in a sandbox)</h3>"
        f'<iframe sandbox="" referrerpolicy="no-referrer" title="message body" '
        f'srcdoc="{_e(body.content)}"></iframe>'
        f"<h3>HTML source</h3><pre>{_e(body.content)}</pre>"
    )


# -- the index ---------------------------------------------------------------------------


def endpoint_rows(endpoints: Iterable[tuple[str, str, str]]) -> str:
    return "".join(
        f"<tr><td><code>{_e(methods)}</code></td><td><code>{_e(path)}</code></td>"
        f"<td>{_e(summary)}</td></tr>"
        for methods, path, summary in endpoints
    )


def index_page(endpoints: Iterable[tuple[str, str, str]]) -> str:
    """The control plane's front page: where things are, and every endpoint."""
    content = (
        "<h2>Control plane</h2><p>Local test control of this emulator. It has <strong>no "
        "authentication</strong>: the emulator binds loopback (127.0.0.1) unless told "
        "otherwise, and anyone who can reach this port can reset it or read its test "
        "credentials.</p><ul>"
        '<li><a href="/_emulator/ui">Outbox</a>: the mail that was sent</li>'
        '<li><a href="/_emulator/outbox">/_emulator/outbox</a>: the same as JSON</li>'
        '<li><a href="/_emulator/tenants">/_emulator/tenants</a>: tenants and their size</li>'
        '<li><a href="/_emulator/clock">/_emulator/clock</a>: emulator time and delays</li>'
        '<li><a href="/_emulator/endpoints">/_emulator/endpoints</a>: this table as JSON</li>'
        "</ul><table class=api><tr><th>Methods</th><th>Path</th><th>What it does</th></tr>"
        f"{endpoint_rows(endpoints)}</table>"
    )
    return _page("Control plane · sendscope emulator", content)
