"""The admission webhook's TLS: a private CA and a serving certificate for the webhook Service's DNS
names, made in memory with `cryptography` (no cert-manager, no registry image). The API server
trusts the CA through the ValidatingWebhookConfiguration's caBundle, which the operator patches.

Kopf's own self-signed generation needs `certbuilder`/`oscrypto`, which fail on OpenSSL 3; and a
serving certificate signed by a CA (rather than self-signed) lets a rotation trust the old and the
new CA at once while the server switches.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# A clock skew between the node that issues and the API server must not make a new cert "not yet valid".
BACKDATE = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class Issued:
    ca: bytes  # PEM, for the caBundle
    cert: bytes  # PEM, the server's certificate
    key: bytes  # PEM, its private key (unencrypted: it lives in the pod's memory-backed volume)
    not_after: datetime.datetime


def service_dns_names(service: str, namespace: str) -> list[str]:
    """The names the API server may use for a `service:` clientConfig (it dials <svc>.<ns>.svc)."""
    return [service, f"{service}.{namespace}", f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.cluster.local"]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def issue(dns_names: list[str], *, now: datetime.datetime, valid_for: datetime.timedelta) -> Issued:
    """A fresh CA and a serving certificate it signs for `dns_names` (the first is the common name)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    key = ec.generate_private_key(ec.SECP256R1())
    not_before, not_after = now - BACKDATE, now + valid_for
    ca_name = _name(f"kube-ecs webhook CA {now:%Y-%m-%dT%H:%M:%SZ}")
    ca = (x509.CertificateBuilder()
          .subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(not_before).not_valid_after(not_after)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder()
            .subject_name(_name(dns_names[0])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return Issued(
        ca=ca.public_bytes(pem), cert=cert.public_bytes(pem),
        key=key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        not_after=not_after)
