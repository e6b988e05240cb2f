"""Recipients, group nesting and which recipients may be an access policy's scope."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from sendscope.policy import (
    GroupMembership,
    PolicyContext,
    Recipient,
    membership_path,
    scope_problems,
    transitive_closure,
    transitive_members,
)


def direct(members: dict[str, list[str]]) -> Mapping[str, frozenset[str]]:
    return GroupMembership.from_members(members).direct


def test_transitive_members_follow_nesting_and_skip_the_group_itself() -> None:
    d = direct({"a": ["b", "u1"], "b": ["c"], "c": ["u2", "a"]})
    assert transitive_members(d, "A") == {"b", "c", "u1", "u2"}
    assert transitive_members(d, "b") == {"c", "u2", "a", "u1"}
    assert transitive_members(d, "unknown") == frozenset()


def test_a_group_containing_itself_ends_the_walk() -> None:
    d = direct({"loop": ["loop", "u1"]})
    assert transitive_members(d, "loop") == {"u1"}
    assert membership_path(d, "loop", "u1") == ("loop",)


def test_transitive_closure_of_every_group_or_some() -> None:
    d = direct({"a": ["b"], "b": ["u"]})
    assert transitive_closure(d) == {"a": {"b", "u"}, "b": {"u"}}
    assert transitive_closure(d, ["B"]) == {"b": {"u"}}


def test_membership_path_is_the_shortest_chain_and_deterministic() -> None:
    d = direct({"top": ["y", "x"], "x": ["deep"], "y": ["deep"], "deep": ["u"], "z": ["u"]})
    assert membership_path(d, "top", "u") == ("top", "x", "deep")
    assert membership_path(d, "top", "nobody") is None
    assert membership_path(d, "z", "u") == ("z",)


def test_deep_nesting_is_walked_without_recursion() -> None:
    chain = {f"g{i}": [f"g{i + 1}"] for i in range(5000)}
    chain["g5000"] = ["u"]
    d = direct(chain)
    assert "u" in transitive_members(d, "g0")
    path = membership_path(d, "g0", "u")
    assert path is not None
    assert len(path) == 5001


def test_group_membership_is_case_insensitive_and_copyable() -> None:
    membership = GroupMembership.from_members({"G-1": ["U-1"]})
    assert membership.members("g-1") == {"u-1"}
    grown = membership.with_members("G-2", ["G-1"])
    assert grown.transitive("g-2") == {"g-1", "u-1"}
    assert membership.members("g-2") == frozenset()  # the original is unchanged


def test_recipient_from_get_recipient_output() -> None:
    row = {
        "ExternalDirectoryObjectId": "AB12-CD",
        "Guid": "EX-GUID",
        "PrimarySmtpAddress": "Ops@Contoso.com",
        "RecipientTypeDetails": "SharedMailbox",
        "Name": "ops",
        "Alias": "ops",
        "DisplayName": "Operations",
        "EmailAddresses": ["SMTP:Ops@Contoso.com", "smtp:operations@contoso.com", "X500:/o=x"],
    }
    ops = Recipient.from_cmdlet(row)
    assert ops.object_id == "ab12-cd"
    assert ops.guid == "ex-guid"
    assert ops.addresses == ("Ops@Contoso.com", "operations@contoso.com")
    assert ops.has_mailbox
    assert not ops.is_valid_security_principal
    context = PolicyContext.build(recipients=[ops])
    assert context.find("OPERATIONS@contoso.com") == ops
    assert context.find("Operations") is None  # display names are not identities


def test_names_never_shadow_another_recipients_address() -> None:
    a = Recipient("id-a", "x@contoso.com", "UserMailbox", name="b@contoso.com")
    b = Recipient("id-b", "b@contoso.com", "UserMailbox")
    assert PolicyContext.build(recipients=[a, b]).find("b@contoso.com") == b


@pytest.mark.parametrize("kind", ["UserMailbox", "MailUser", "MailUniversalSecurityGroup"])
def test_security_principals_can_be_scopes(kind: str) -> None:
    recipient = Recipient("id", "x@contoso.com", kind)
    assert recipient.is_valid_security_principal
    assert scope_problems(recipient) == ()


@pytest.mark.parametrize(
    ("kind", "sentence"),
    [
        (
            "SharedMailbox",
            "x@contoso.com is a shared mailbox, which is not a security principal: "
            "add it to a mail-enabled security group instead.",
        ),
        (
            "MailUniversalDistributionGroup",
            "x@contoso.com is a distribution group, not a "
            "security principal: use a mail-enabled security group.",
        ),
        (
            "DynamicDistributionGroup",
            "x@contoso.com is a dynamic distribution group, not a "
            "security principal: use a mail-enabled security group.",
        ),
        (
            "GroupMailbox",
            "x@contoso.com is a Microsoft 365 group, not a security principal: "
            "use a mail-enabled security group.",
        ),
        (
            "RoomMailbox",
            "x@contoso.com is a room mailbox, which is not a security principal: "
            "add it to a mail-enabled security group instead.",
        ),
        (
            "MailContact",
            "x@contoso.com is a mail contact (an address outside the "
            "organization), not a security principal: it has no mailbox in this tenant an app "
            "could reach.",
        ),
        (
            "PublicFolder",
            "x@contoso.com is a mail-enabled public folder, which Exchange does "
            "not accept as a policy scope: use a mail-enabled security group.",
        ),
        (
            "SchedulingMailbox",
            "x@contoso.com is a SchedulingMailbox, not a security principal "
            "Exchange accepts as a policy scope: use a mail-enabled security group, a user "
            "mailbox or a mail user.",
        ),
    ],
)
def test_scope_problems_say_why_and_what_to_do(kind: str, sentence: str) -> None:
    recipient = Recipient("id", "x@contoso.com", kind)
    assert not recipient.is_valid_security_principal
    assert scope_problems(recipient) == (sentence,)
