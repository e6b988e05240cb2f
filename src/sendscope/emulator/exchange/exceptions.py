"""The Exchange admin API's error vocabulary: one class per wire error, one envelope.

Observed shapes (m365-domain.md §6.4; the endpoint itself is undocumented)::

    404 {"error": {"code": "NotFound", "message": "Error executing cmdlet",
                   "details": [{"code": "Client", "target": "",
                                "message": "<ErrorId>|<ExceptionType>|<Message>"}],
                   "innererror": {"message": "Error executing cmdlet",
                                  "type": "<ODataServiceException>", "stacktrace": ""}}}
    400 {"error": {"code": "BadRequest", "message": "Invalid Operation",
                   "innererror": {..., "internalexception": {"message", "type", "stacktrace"}}}}
    401 {"error": {"code": "Unauthorized", "message": "User is not allowed to call Get-Mailbox",
                   "innererror": {"message": "...", "type": "...ODataServiceException"}}}

Clients split ``details[].message`` on ``|`` into three parts (ExoHelper), so every cmdlet
failure here carries one, parameter errors included. Exception types and texts are
Exchange's where a capture or Microsoft page shows them; the others are marked.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import EmulatorError
from .http import admin_headers

__all__ = [
    "DOMAIN_CONTROLLER",
    "AmbiguousObject",
    "CmdletFailed",
    "ExchangeError",
    "GroupManagerRequired",
    "InvalidArgument",
    "InvalidCmdletArgument",
    "InvalidLength",
    "InvalidRequestBody",
    "MemberAlreadyExists",
    "MemberNotInGroup",
    "MissingParameters",
    "NotAllowed",
    "ObjectAlreadyExists",
    "ObjectNotFound",
    "ParameterError",
    "PolicySpaceExceeded",
    "ProxyAddressExists",
    "RecipientNotFound",
    "TokenNotAccepted",
    "UnknownCmdlet",
    "UnknownParameter",
    "UnsupportedByEmulator",
]

ODATA_EXCEPTION = "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"
# Exchange names the domain controller that could not find an object; this is a made-up one
# in the form of real names ("YQBPR01A12DC007.CANPR01A012.PROD.OUTLOOK.COM").
DOMAIN_CONTROLLER = "SN4PR01A001DC001.NAMPR01A001.PROD.OUTLOOK.COM"


class ExchangeError(EmulatorError):
    """Every answer of the admin API that is not a success."""

    status = 400
    code = "BadRequest"
    headline: ClassVar[str] = "Error executing cmdlet"

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.headline}
        details = self.details()
        if details:
            error["details"] = [{"code": "Client", "target": "", "message": m} for m in details]
        error["innererror"] = self.inner()
        return {"error": error}

    def details(self) -> list[str]:
        return []

    def inner(self) -> dict[str, Any]:
        return {"message": self.headline, "type": ODATA_EXCEPTION, "stacktrace": ""}

    def headers(self) -> dict[str, str]:
        return {}

    def response(self, request: Request) -> Response:
        headers = {**admin_headers(request), **self.headers()}
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


class CmdletFailed(ExchangeError):
    """A cmdlet ran and threw: ``details[0].message`` is ``ErrorId|ExceptionType|Message``."""

    exception_type: ClassVar[str] = "Microsoft.Exchange.Configuration.Tasks.TaskException"
    error_id: ClassVar[str] = ""

    def details(self) -> list[str]:
        error_id = self.error_id or _error_id(self.exception_type)
        return [f"{error_id}|{self.exception_type}|{self.message}"]


def _error_id(exception_type: str) -> str:
    # Real ErrorIds ("Ex6F9304") are opaque; ids not seen in a capture are derived here from
    # the exception type so that they are at least stable.
    return "Ex" + hashlib.sha256(exception_type.encode()).hexdigest()[:6].upper()


# -- not found -------------------------------------------------------------------------------


class ObjectNotFound(CmdletFailed):
    """``-Identity`` names nothing (observed text and ErrorId, m365-domain §6.4)."""

    status, code = 404, "NotFound"
    error_id = "Ex6F9304"
    exception_type = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"

    def __init__(self, identity: str) -> None:
        super().__init__(
            f"The operation couldn't be performed because object '{identity}' couldn't be "
            f"found on '{DOMAIN_CONTROLLER}'."
        )


class RecipientNotFound(ObjectNotFound):
    """``-Member`` (or another recipient parameter) names nothing: the wording
    Add-DistributionGroupMember gives (widely quoted; ErrorId not captured)."""

    error_id = ""

    def __init__(self, identity: str) -> None:
        CmdletFailed.__init__(
            self,
            f'Couldn\'t find object "{identity}". Please make sure that it was spelled correctly '
            "or specify a different object.",
        )


class AmbiguousObject(CmdletFailed):
    exception_type = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException"

    def __init__(self, identity: str) -> None:
        super().__init__(
            f"The operation couldn't be performed because '{identity}' matches multiple entries."
        )


# -- refusals of a cmdlet --------------------------------------------------------------------


class GroupManagerRequired(CmdletFailed):
    """Changing a mail-enabled security group the caller does not manage, without
    ``-BypassSecurityGroupManagerCheck`` (text from Microsoft's troubleshooting article
    "You don't have sufficient permissions" for distribution groups)."""

    exception_type = "Microsoft.Exchange.Configuration.Tasks.OperationRequiresGroupManagerException"
    message = (
        "You don't have sufficient permissions. This operation can only be performed by a "
        "manager of the group."
    )


class MemberAlreadyExists(CmdletFailed):
    # Text and type as commonly reported; not in a capture we hold (UNCONFIRMED).
    exception_type = "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException"

    def __init__(self, member: str, group: str) -> None:
        super().__init__(f'The recipient "{member}" is already a member of the group "{group}".')


class MemberNotInGroup(CmdletFailed):
    # UNCONFIRMED, as above.
    exception_type = "Microsoft.Exchange.Management.Tasks.MemberNotFoundException"

    def __init__(self, member: str, group: str) -> None:
        super().__init__(f'The recipient "{member}" isn\'t a member of the group "{group}".')


class ProxyAddressExists(CmdletFailed):
    """An address in use (text from Microsoft's shared-mailbox troubleshooting page; the
    exception type is UNCONFIRMED)."""

    exception_type = "Microsoft.Exchange.Data.Directory.ProxyAddressExistsException"

    def __init__(self, address: str, owner: str) -> None:
        super().__init__(
            f'The proxy address "SMTP:{address}" is already being used by the proxy addresses '
            f'or LegacyExchangeDN of "{owner}". Please choose another proxy address.'
        )


class ObjectAlreadyExists(CmdletFailed):
    """A name or policy that exists already (Active Directory's wording; UNCONFIRMED for
    Exchange Online)."""

    exception_type = "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException"

    def __init__(self, what: str) -> None:
        super().__init__(
            f"Active Directory operation failed on {DOMAIN_CONTROLLER}. The object '{what}' "
            "already exists."
        )


class PolicySpaceExceeded(CmdletFailed):
    """The documented text of New-ApplicationAccessPolicy; the exception type is a guess."""

    message = "The total size of App Access Policies exceeded the limit."


class InvalidCmdletArgument(CmdletFailed):
    """A value the cmdlet itself rejects (a scope that is not a security principal, an
    address outside the tenant's domains...). Texts are the emulator's: UNCONFIRMED."""

    exception_type = "Microsoft.Exchange.Configuration.Tasks.TaskArgumentException"


class UnsupportedByEmulator(CmdletFailed):
    """A real parameter set the emulator does not implement; says so plainly."""

    exception_type = "System.NotSupportedException"


class UnknownCmdlet(CmdletFailed):
    exception_type = "System.Management.Automation.CommandNotFoundException"
    error_id = "CommandNotFoundException"

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(
            f"The term '{name}' is not recognized as a name of a cmdlet, function, script file, "
            "or executable program. Check the spelling of the name, or if a path was included, "
            "verify that the path is correct and try again. (The sendscope emulator runs: "
            f"{', '.join(known)}.)"
        )


# -- parameter binding (PowerShell's own texts) ----------------------------------------------


class ParameterError(CmdletFailed):
    """A parameter PowerShell could not bind: §6.4's 400 "Invalid Operation" shape, with the
    binder's exception as ``internalexception`` and in ``details`` too."""

    headline = "Invalid Operation"
    exception_type = "System.Management.Automation.ParameterBindingException"

    def inner(self) -> dict[str, Any]:
        exception = {"message": self.message, "type": self.exception_type, "stacktrace": ""}
        return {**super().inner(), "internalexception": exception}


class MissingParameters(ParameterError):
    error_id = "MissingMandatoryParameter"

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            "Cannot process command because of one or more missing mandatory parameters: "
            f"{' '.join(names)}."
        )


class UnknownParameter(ParameterError):
    error_id = "NamedParameterNotFound"

    def __init__(self, name: str) -> None:
        super().__init__(f"A parameter cannot be found that matches parameter name '{name}'.")


class InvalidArgument(ParameterError):
    """A value of the wrong type or outside the allowed set (PowerShell's transformation and
    validation texts; the admin API wraps them as ParameterTransformationException)."""

    error_id = "ParameterArgumentTransformationError"
    exception_type = (
        "Microsoft.Exchange.AdminApi.CommandInvocation.ParameterTransformationException"
    )

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(
            f"Cannot process argument transformation on parameter '{parameter}'. {reason}"
        )


class InvalidLength(ParameterError):
    error_id = "ParameterArgumentValidationError"
    exception_type = "System.Management.Automation.ParameterBindingValidationException"

    def __init__(self, parameter: str, limit: int) -> None:
        super().__init__(
            f"Cannot validate argument on parameter '{parameter}'. The length of the argument is "
            f'too long. Shorten the length of the argument to less than or equal to "{limit}" '
            "and then try the command again."
        )


class InvalidRequestBody(ExchangeError):
    """A body that is not ``{"CmdletInput": {"CmdletName", "Parameters"}}`` (UNCONFIRMED)."""

    headline = "Invalid Operation"

    def __init__(
        self,
        detail: str = "The request body must be a JSON object like "
        '{"CmdletInput":{"CmdletName":"Get-Mailbox","Parameters":{}}}.',
    ) -> None:
        super().__init__(detail)

    def details(self) -> list[str]:
        return [self.message]


# -- authorisation ---------------------------------------------------------------------------


class NotAllowed(ExchangeError):
    """The caller's roles do not include the cmdlet (observed, m365-domain §6.4)."""

    status, code = 401, "Unauthorized"

    def __init__(self, cmdlet: str) -> None:
        super().__init__(f"User is not allowed to call {cmdlet}")

    def body(self) -> dict[str, Any]:
        inner = {"message": self.message, "type": ODATA_EXCEPTION}
        return {"error": {"code": self.code, "message": self.message, "innererror": inner}}

    def details(self) -> list[str]:
        return []


class TokenNotAccepted(NotAllowed):
    """No valid token for this tenant. Exchange's exact 401 here is UNCONFIRMED; the header
    is shaped like Outlook's bearer challenge."""

    def __init__(self, reason: str) -> None:
        ExchangeError.__init__(self, reason)

    def headers(self) -> dict[str, str]:
        return {
            "WWW-Authenticate": 'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", '
            'authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
            'error="invalid_token"'
        }
