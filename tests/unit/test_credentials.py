"""Credentials: secrets that never print, inputs checked before any request, certificates
read from PEM and PFX with a sentence for each way a file can be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from sendscope.auth.credentials import (
    AppIdentity,
    ClientSecret,
    Secret,
    check_address,
    check_client_id,
    check_tenant,
    is_guid,
    load_certificate,
)
from sendscope.errors import UsageError
from tests.cert_helpers import make_certificate

GUID = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def test_a_secret_never_shows_in_repr_str_or_a_dataclass() -> None:
    secret = Secret("hunter2-value")
    identity = AppIdentity(GUID, GUID, ClientSecret(secret))
    for text in (repr(secret), str(secret), repr(identity), f"{identity}"):
        assert "hunter2-value" not in text
    assert "***" in repr(secret)
    assert secret.reveal() == "hunter2-value"
    assert secret == Secret("hunter2-value") and secret != Secret("other")
    assert len({secret, Secret("hunter2-value")}) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (GUID.upper(), GUID),
        (f"  {GUID} ", GUID),
        ("Contoso.OnMicrosoft.com", "contoso.onmicrosoft.com"),
        ("mail.contoso.co.uk", "mail.contoso.co.uk"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)
def test_tenants_that_pass(value: str, expected: str) -> None:
    assert check_tenant(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "contoso",
        "contoso.com1",
        "a.b",
        "-contoso.com",
        "contoso-.com",
        "not a tenant!",
        "",
        "72f988bf-86f1-41af-91ab",
        "https://login.microsoftonline.com/contoso.com",
    ],
)
def test_tenants_that_fail_are_named(value: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_tenant(value)
    assert caught.value.message == (
        f"--tenant {value!r} is not a tenant: give the tenant ID (a GUID such as "
        "72f988bf-86f1-41af-91ab-2d7cd011db47) or a domain such as contoso.onmicrosoft.com"
    )
    assert caught.value.exit_code == 2


def test_client_ids() -> None:
    assert check_client_id(GUID.upper()) == GUID
    for bad in ("12345", f"{{{GUID}}}", GUID.replace("-", ""), "contoso.onmicrosoft.com"):
        with pytest.raises(UsageError) as caught:
            check_client_id(bad, "--admin-client-id")
        assert caught.value.message.startswith(
            f"--admin-client-id {bad!r} is not a client ID: it is the app's Application "
            "(client) ID, a GUID"
        )


def test_is_guid_wants_the_usual_form() -> None:
    assert is_guid(GUID) and is_guid(GUID.upper())
    assert not is_guid(GUID.replace("-", "")) and not is_guid(f"urn:uuid:{GUID}")


def test_addresses() -> None:
    assert check_address(" ceo@contoso.com ", "--from") == "ceo@contoso.com"
    with pytest.raises(UsageError, match=r"--from 'ceo' is not an email address"):
        check_address("ceo", "--from")


# -- certificates ------------------------------------------------------------------------


def test_pem_with_certificate_and_key(tmp_path: Path) -> None:
    cert = make_certificate("unit pem")
    loaded = load_certificate(cert.write_pem(tmp_path / "a.pem"))
    assert loaded.kind == "certificate"
    assert loaded.thumbprint_sha1 == cert.sha1_hex
    assert loaded.subject == "CN=unit pem"
    assert loaded.not_after == cert.cert.not_valid_after_utc
    assert loaded.certificate_pem == cert.cert_pem.decode()
    assert "PRIVATE KEY" in loaded.private_key_pem.reveal()
    assert "PRIVATE KEY" not in repr(loaded)


def test_pem_with_an_encrypted_key_uses_the_password(tmp_path: Path) -> None:
    cert = make_certificate("unit pem")
    key = cert.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pem-pass"),
    )
    path = tmp_path / "enc.pem"
    path.write_bytes(cert.cert_pem + key)
    assert load_certificate(path, Secret("pem-pass")).thumbprint_sha1 == cert.sha1_hex
    with pytest.raises(UsageError) as caught:
        load_certificate(path)
    assert caught.value.message == (
        f"{path} holds a certificate but no usable private key (the key is encrypted: set "
        "SENDSCOPE_CERTIFICATE_PASSWORD): put the certificate and its private key in one PEM "
        "file, or use a PFX file"
    )


def test_pfx_with_and_without_a_password(tmp_path: Path) -> None:
    cert = make_certificate("unit pfx")
    open_pfx = cert.write_pfx(tmp_path / "open.pfx", None)
    assert load_certificate(open_pfx).thumbprint_sha1 == cert.sha1_hex
    locked = cert.write_pfx(tmp_path / "locked.pfx", "pfx-pass")
    assert load_certificate(locked, Secret("pfx-pass")).thumbprint_sha1 == cert.sha1_hex


@pytest.mark.parametrize(
    ("password", "hint"),
    [
        (None, "it needs a password: set SENDSCOPE_CERTIFICATE_PASSWORD"),
        ("wrong", "check SENDSCOPE_CERTIFICATE_PASSWORD"),
    ],
)
def test_pfx_password_problems(tmp_path: Path, password: str | None, hint: str) -> None:
    locked = make_certificate("unit pfx").write_pfx(tmp_path / "locked.pfx", "pfx-pass")
    with pytest.raises(UsageError) as caught:
        load_certificate(locked, Secret(password) if password else None)
    assert caught.value.message == (
        f"cannot open PFX file {locked}: wrong password or not a PFX file ({hint})"
    )
    assert "pfx-pass" not in caught.value.message


def test_a_key_that_does_not_belong_to_the_certificate(tmp_path: Path) -> None:
    path = tmp_path / "mixed.pem"
    path.write_bytes(make_certificate("one").cert_pem + make_certificate("two").key_pem)
    with pytest.raises(UsageError) as caught:
        load_certificate(path)
    assert caught.value.message == (
        f"{path}: the private key does not belong to the certificate in it"
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load_certificate(tmp_path / "nope.pem")
    assert caught.value.message == (
        f"cannot read certificate {tmp_path / 'nope.pem'}: No such file or directory. Check "
        "--certificate (or SENDSCOPE_CERTIFICATE)."
    )
