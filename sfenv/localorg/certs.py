"""A private CA and a server certificate for 127.0.0.1/localhost, so the local org speaks real,
verified HTTPS. Stored in `<data_dir>/.localorg/` and reused across restarts; clients trust
`ca.pem` (requests: `session.verify = ca_file`)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE = "ca.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server-key.pem"
VALID_DAYS = 825


@dataclass(frozen=True)
class CertPaths:
    ca_file: Path     # what clients trust
    cert_file: Path   # server certificate (chain: server cert then CA)
    key_file: Path    # server private key


def ensure_certs(state_dir: Path) -> CertPaths:
    """The org's CA and server certificate, created on first use, renewed when near expiry."""
    state_dir.mkdir(parents=True, exist_ok=True)
    paths = CertPaths(state_dir / CA_FILE, state_dir / CERT_FILE, state_dir / KEY_FILE)
    if all(p.exists() for p in (paths.ca_file, paths.cert_file, paths.key_file)) and _fresh(paths):
        return paths
    _create(paths)
    return paths


def _fresh(paths: CertPaths) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(paths.cert_file.read_bytes())
    except ValueError:
        return False
    return cert.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=7)


def _create(paths: CertPaths) -> None:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    until = now + dt.timedelta(days=VALID_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sfenv local org CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(until)
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    _write(paths.key_file, key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), private=True)
    _write(paths.cert_file, cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    _write(paths.ca_file, ca_cert.public_bytes(pem))
    # the CA key is not kept: nothing else is ever signed with it


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
