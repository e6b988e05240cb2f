"""The Exchange Online admin API (``InvokeCommand``), as the ExchangeOnlineManagement module
calls it — no PowerShell needed.

One endpoint, ``POST {exchange}/adminapi/beta/{tenant}/InvokeCommand`` with
``{"CmdletInput": {"CmdletName", "Parameters"}}``; the output objects come in ``value``,
more behind ``@odata.nextLink`` (re-POST the same body there). Microsoft does not document
the endpoint: the shapes follow public clients and captures (m365-domain.md §6,
docs/exchange-emulator.md). Retry rules are those of every sendscope client: ``Get-*`` and
``Test-*`` cmdlets are reads, everything else is a write (only 429 is retried).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import httpx2

from ..clouds import Cloud
from ..errors import RefusedByMicrosoft365, not_found
from ._http import ApiClient, RetryPolicy, TokenFn
from .exchange_errors import NOT_ALLOWED, exchange_exception_for, parse_exchange_failure

__all__ = ["MODULE_PAGE_SIZE", "ExchangeAdminClient", "is_read_cmdlet"]

UNLIMITED = "Unlimited"
# The page size the ExchangeOnlineManagement module asks for (``Prefer:
# odata.maxpagesize=1000``, m365-domain.md §6), also the admin API's largest page.
MODULE_PAGE_SIZE = 1000
MAILBOX_TYPES = ("UserMailbox", "SharedMailbox")


def is_read_cmdlet(cmdlet: str) -> bool:
    """Get-* and Test-* change nothing: safe to retry on 429, 503 and 504."""
    return cmdlet.lower().startswith(("get-", "test-"))


class ExchangeAdminClient(ApiClient):
    """Cmdlets through ``InvokeCommand`` with an admin token for Exchange Online."""

    def __init__(
        self,
        http: httpx2.Client,
        cloud: Cloud,
        tenant: str,
        token: TokenFn,
        *,
        retry: RetryPolicy | None = None,
        page_size: int | None = None,
    ) -> None:
        super().__init__(
            http,
            f"{cloud.exchange_admin_base(tenant)}/InvokeCommand",
            token,
            parse_failure=parse_exchange_failure,
            retry=retry,
        )
        self.cloud = cloud
        self.tenant = tenant
        # Prefer: odata.maxpagesize, as the ExchangeOnlineManagement module sends it.
        self._prefer = {"Prefer": f"odata.maxpagesize={page_size}"} if page_size else None

    # -- the one call every cmdlet goes through ------------------------------------------

    def invoke(
        self,
        cmdlet: str,
        parameters: dict[str, Any] | None = None,
        *,
        select: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Run a cmdlet; its output objects, every page (``[]`` for cmdlets without output)."""
        read = is_read_cmdlet(cmdlet)
        pages = self._pages(cmdlet, parameters, select, read=read, headers=self._prefer)
        return [row for page in pages for row in page]

    def _pages(
        self,
        cmdlet: str,
        parameters: dict[str, Any] | None,
        select: Sequence[str],
        *,
        read: bool,
        headers: dict[str, str] | None,
    ) -> Iterator[list[dict[str, Any]]]:
        """POST the cmdlet, then re-POST to each ``@odata.nextLink`` (``$select`` goes on the
        first request only: the link carries the rest)."""
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters or {}}}
        params = {"$select": ",".join(select)} if select else None
        url: str | None = self.base_url
        while url is not None:
            first = url == self.base_url
            response = self.request(
                "POST", url, read=read, json=body, headers=headers, params=params if first else None
            )
            page = _page(response)
            yield list(page.get("value") or [])
            url = page.get("@odata.nextLink")

    # -- recipients ----------------------------------------------------------------------

    def get_recipient(self, identity: str) -> dict[str, Any] | None:
        """``Get-Recipient -Identity``; None when Exchange says NotFound."""
        return self._one_or_none("Get-Recipient", {"Identity": identity})

    def get_recipients(self, recipient_type_details: Sequence[str] = ()) -> list[dict[str, Any]]:
        """``Get-Recipient -ResultSize Unlimited [-RecipientTypeDetails …]``."""
        parameters: dict[str, Any] = {"ResultSize": UNLIMITED}
        if recipient_type_details:
            parameters["RecipientTypeDetails"] = list(recipient_type_details)
        return self.invoke("Get-Recipient", parameters)

    def get_mailboxes(self) -> list[dict[str, Any]]:
        """``Get-Mailbox -ResultSize Unlimited``: user and shared mailboxes."""
        parameters = {"RecipientTypeDetails": list(MAILBOX_TYPES), "ResultSize": UNLIMITED}
        return self.invoke("Get-Mailbox", parameters)

    # -- groups --------------------------------------------------------------------------

    def get_distribution_group(self, identity: str) -> dict[str, Any] | None:
        """``Get-DistributionGroup -Identity``; None when Exchange says NotFound."""
        return self._one_or_none("Get-DistributionGroup", {"Identity": identity})

    def new_distribution_group(
        self,
        *,
        name: str,
        alias: str | None,
        display_name: str | None,
        primary_smtp_address: str | None,
        members: Sequence[str] = (),
        security: bool = True,
    ) -> dict[str, Any]:
        """``New-DistributionGroup -Type Security|Distribution``: the new group."""
        parameters: dict[str, Any] = {
            "Name": name,
            "Type": "Security" if security else "Distribution",
        }
        optional = {"Alias": alias, "DisplayName": display_name}
        optional["PrimarySmtpAddress"] = primary_smtp_address
        parameters |= {k: v for k, v in optional.items() if v is not None}
        if members:
            parameters["Members"] = list(members)
        return self._single("New-DistributionGroup", parameters)

    def get_distribution_group_members(self, identity: str) -> list[dict[str, Any]]:
        """``Get-DistributionGroupMember -Identity -ResultSize Unlimited``: direct members."""
        return self.invoke(
            "Get-DistributionGroupMember", {"Identity": identity, "ResultSize": UNLIMITED}
        )

    def add_distribution_group_member(self, identity: str, member: str) -> None:
        """``Add-DistributionGroupMember``. An app is never in a group's ManagedBy, so the
        bypass switch is always passed (learn.microsoft.com/powershell/module/
        exchangepowershell/add-distributiongroupmember)."""
        parameters = {
            "Identity": identity,
            "Member": member,
            "BypassSecurityGroupManagerCheck": True,
        }
        self.invoke("Add-DistributionGroupMember", parameters)

    # -- application access policies -----------------------------------------------------

    def get_application_access_policies(self) -> list[dict[str, Any]]:
        """``Get-ApplicationAccessPolicy``: every policy of the tenant."""
        return self.invoke("Get-ApplicationAccessPolicy")

    def new_application_access_policy(
        self, *, app_id: str, scope: str, access_right: str, description: str | None
    ) -> dict[str, Any]:
        """``New-ApplicationAccessPolicy``: the new policy."""
        parameters = {"AppId": app_id, "PolicyScopeGroupId": scope, "AccessRight": access_right}
        if description is not None:
            parameters["Description"] = description
        return self._single("New-ApplicationAccessPolicy", parameters)

    def remove_application_access_policy(self, identity: str) -> None:
        """``Remove-ApplicationAccessPolicy -Identity`` (the policy's Identity string)."""
        self.invoke("Remove-ApplicationAccessPolicy", {"Identity": identity})

    def test_application_access_policy(self, *, identity: str, app_id: str) -> dict[str, Any]:
        """``Test-ApplicationAccessPolicy``: AppId, Mailbox, MailboxId, AccessCheckResult."""
        return self._single("Test-ApplicationAccessPolicy", {"Identity": identity, "AppId": app_id})

    # -- helpers -------------------------------------------------------------------------

    def _single(self, cmdlet: str, parameters: dict[str, Any]) -> dict[str, Any]:
        rows = self.invoke(cmdlet, parameters)
        if not rows:
            raise RefusedByMicrosoft365(f"Exchange ran {cmdlet} but returned no object")
        return rows[0]

    def _one_or_none(self, cmdlet: str, parameters: dict[str, Any]) -> dict[str, Any] | None:
        try:
            rows = self.invoke(cmdlet, parameters)
        except RefusedByMicrosoft365 as exc:
            if not_found(exc):
                return None
            raise
        return rows[0] if rows else None

    def _fresh_token_may_help(self, response: httpx2.Response) -> bool:
        # "User is not allowed to call X" is a 401 about a missing role, not about the token:
        # a fresh token would be refused the same way, so it is not asked for.
        return not NOT_ALLOWED.search(response.text)

    def _checked(self, response: httpx2.Response) -> httpx2.Response:
        if response.is_success:
            return response
        failure = self._parse_failure(response)
        raise exchange_exception_for(failure, _cmdlet_of(response.request))

    # -- paged reads (the audit) ---------------------------------------------------------

    def iter_cmdlet_pages(
        self,
        cmdlet: str,
        parameters: dict[str, Any] | None = None,
        *,
        select: Sequence[str] = (),
        page_size: int = MODULE_PAGE_SIZE,
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page of a read cmdlet's output, as the ExchangeOnlineManagement module asks
        for them (``Prefer: odata.maxpagesize=1000``), re-POSTing to ``@odata.nextLink``."""
        prefer = {"Prefer": f"odata.maxpagesize={page_size}"}
        return self._pages(cmdlet, parameters, select, read=True, headers=prefer)


def _page(response: httpx2.Response) -> dict[str, Any]:
    if response.status_code == 204 or not response.content:
        return {}
    body = response.json()
    return body if isinstance(body, dict) else {}


def _cmdlet_of(request: httpx2.Request) -> str:
    try:
        body = json.loads(request.content or b"{}")
        return str(body["CmdletInput"]["CmdletName"])
    except (ValueError, KeyError, TypeError):
        return "the cmdlet"
