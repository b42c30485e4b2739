"""The hub's HTTPS certificate: a self-signed one made by `jiangxin-hub init`, or a real one.

A union office rarely has a domain name and a certificate from an authority, so `init` makes a
self-signed certificate (EC P-256, valid 10 years, named for the hub's host names and IP
addresses plus localhost/127.0.0.1). Nothing vouches for it, so the laptop is shown its
SHA-256 fingerprint on first connect and pins it (docs/hub-protocol.md): the administrator
reads the fingerprint that `init` printed and the user compares. A real certificate
(`--cert/--key`, e.g. from the union's IT department or Let's Encrypt) is used as it is; its
fingerprint is printed too, but laptops that trust its authority need no pin.

Files are written atomically; the private key is readable by its owner only (0600).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from desktop_app.core.errors import UserError
from desktop_app.core.fsutil import atomic_writer, writing_to
from desktop_app.core.i18n import _

VALIDITY = timedelta(days=3650)
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")


class CertificateError(UserError):
    """A certificate or key that cannot be used (unreadable, not PEM, not a pair)."""


def fingerprint_of(certificate: x509.Certificate) -> str:
    digest = certificate.fingerprint(hashes.SHA256())
    return ":".join(f"{byte:02X}" for byte in digest)


def fingerprint(cert_pem: bytes) -> str:
    """SHA-256 of the (first) certificate's DER, as `AB:CD:…` (what `openssl x509 -fingerprint
    -sha256` prints and what the laptop pins)."""
    return fingerprint_of(_load_certificate(cert_pem))


def _load_certificate(cert_pem: bytes) -> x509.Certificate:
    try:
        # A real certificate often comes as a chain (fullchain.pem): the server's comes first.
        return x509.load_pem_x509_certificates(cert_pem)[0]
    except (ValueError, IndexError):
        raise CertificateError(_("This is not a PEM certificate.")) from None


def _write(path: Path, data: bytes, mode: int) -> None:
    with writing_to(path), atomic_writer(path) as handle:
        os.fchmod(handle.fileno(), mode)  # before the data goes in (mkstemp made it 0600)
        handle.write(data)


def _subject_names(hosts: Iterable[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    seen: set[str] = set()
    for host in [*hosts, *DEFAULT_HOSTS]:
        host = host.strip().strip("[]")
        if not host or host.lower() in seen:
            continue
        seen.add(host.lower())
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            try:
                names.append(x509.DNSName(host.encode("idna").decode("ascii")))
            except UnicodeError:
                raise CertificateError(
                    _("“{host}” is not a host name or an IP address.").format(host=host)
                ) from None
    return names


def make_self_signed(
    cert_path: Path, key_path: Path, hosts: Iterable[str], *, organisation: str = ""
) -> str:
    """Make a new key and a self-signed certificate for `hosts` (plus localhost), write both,
    and return the certificate's fingerprint."""
    hosts = list(hosts)
    names = _subject_names(hosts)
    common_name = (hosts[0].strip() if hosts else "") or socket.gethostname() or "localhost"
    key = ec.generate_private_key(ec.SECP256R1())
    subject_parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])]
    if organisation.strip():
        subject_parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]))
    subject = x509.Name(subject_parts)
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))  # laptops whose clock is a little behind
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        # Its own authority: a client that loads it as the one trusted certificate (the pin)
        # accepts it as a trust anchor.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # The key first: a certificate never sits beside a key it does not match.
    _write(key_path, key_pem, 0o600)
    _write(cert_path, certificate.public_bytes(serialization.Encoding.PEM), 0o644)
    return fingerprint_of(certificate)


def check_pair(cert_path: Path, key_path: Path) -> str:
    """Check that a certificate and its key can be read and belong together; the fingerprint."""
    try:
        cert_pem = cert_path.read_bytes()
        key_pem = key_path.read_bytes()
    except OSError as exc:
        raise CertificateError(
            _("Cannot read {path}: {reason}").format(path=exc.filename, reason=exc.strerror or exc)
        ) from None
    certificate = _load_certificate(cert_pem)
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        raise CertificateError(
            _("{path} is not an unencrypted PEM private key.").format(path=key_path)
        ) from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(
        serialization.Encoding.PEM, public
    ) != certificate.public_key().public_bytes(serialization.Encoding.PEM, public):
        raise CertificateError(
            _("The key {key} does not belong to the certificate {cert}.").format(
                key=key_path, cert=cert_path
            )
        )
    return fingerprint_of(certificate)


def expires(cert_path: Path) -> datetime:
    return _load_certificate(cert_path.read_bytes()).not_valid_after_utc
