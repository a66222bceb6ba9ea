"""Names: ECS names and ARNs → valid Kubernetes names, label keys and values.

ECS allows upper case, `_`, `/` and 255 characters where Kubernetes wants DNS-1123 labels of at most
63 characters. Every rule here is deterministic, so the same ECS input always gives the same name;
a name that must be shortened keeps a prefix and gains a hash of the whole input, so two long
inputs that share a prefix do not collide.
"""

from __future__ import annotations

import hashlib
import re

DNS_LABEL_MAX = 63
# Ports named in a pod (IANA_SVC_NAME) are at most 15 characters.
PORT_NAME_MAX = 15
_HASH_LEN = 8

_NOT_DNS = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-{2,}")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_NOT_LABEL_NAME = re.compile(r"[^-A-Za-z0-9_.]+")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SECRET_KEY = re.compile(r"[^-._A-Za-z0-9]+")
# Secrets Manager appends "-" and six random characters to every secret's ARN.
_SECRETS_MANAGER_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


def digest(value: str, length: int = _HASH_LEN) -> str:
    """A short, stable hash of `value` (hex), used to keep shortened names unique."""
    return hashlib.sha256(value.encode()).hexdigest()[:length]


def shorten(name: str, limit: int = DNS_LABEL_MAX, original: str | None = None) -> str:
    """`name` if it fits in `limit`, else a prefix of it + "-" + a hash of `original` (default `name`)."""
    if len(name) <= limit:
        return name
    head = name[: limit - _HASH_LEN - 1].rstrip("-_.")
    return f"{head}-{digest(original if original is not None else name)}"


def is_dns_label(value: str) -> bool:
    return len(value) <= DNS_LABEL_MAX and bool(_DNS_LABEL.fullmatch(value))


def object_name(value: str) -> str:
    """An ECS name as a Kubernetes object name: itself wherever valid (so `a--b` stays `a--b`),
    sanitised only where Kubernetes cannot take it (upper case, `_`, `.`, over 63 characters)."""
    return value if is_dns_label(value) else dns_label(value)


def family_name(family: str) -> str:
    """ECS family → the TaskDefinition's metadata.name (decisions.md: TaskDefinition name = family)."""
    return object_name(family)


def dns_label(value: str, limit: int = DNS_LABEL_MAX) -> str:
    """A DNS-1123 label: lower case, runs of other characters → "-", at most `limit` characters.

    `web_App` → `web-app`; `/a/b` → `a-b`. An input with no usable character becomes a hash.
    """
    name = _DASHES.sub("-", _NOT_DNS.sub("-", value.lower())).strip("-")
    if not name:
        return "x" + digest(value)
    return shorten(name, limit, original=value).strip("-")


def dns1035_label(value: str) -> str:
    """A DNS-1035 label (what a Kubernetes Service name must be): a DNS-1123 label starting with a letter."""
    name = dns_label(value)
    return name if name[0].isalpha() else dns_label("s-" + name)


def port_name(value: str) -> str:
    """An IANA service name for a container port: ≤ 15 characters, at least one letter."""
    name = dns_label(value, PORT_NAME_MAX)
    return name if any(c.isalpha() for c in name) else dns_label("p-" + name, PORT_NAME_MAX)


def is_label_value(value: str) -> bool:
    return len(value) <= DNS_LABEL_MAX and bool(_LABEL_VALUE.match(value))


def label_value(value: str) -> str:
    """`value` if it is a valid label value, else its characters made valid and shortened with a hash."""
    if is_label_value(value):
        return value
    cleaned = _NOT_LABEL_NAME.sub("-", value).strip("-_.")
    return shorten(cleaned, original=value).strip("-_.") if cleaned else digest(value)


def is_qualified_name(key: str) -> bool:
    """A label or annotation key: `[prefix/]name`, prefix a DNS subdomain ≤ 253, name ≤ 63."""
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return False
    return len(name) <= DNS_LABEL_MAX and bool(_LABEL_NAME.match(name))


def qualified_name(key: str) -> str:
    """`key` if it is a valid label/annotation key, else a prefix-less name made from all of it."""
    return key if is_qualified_name(key) else label_value(key.replace("/", "-")) or digest(key)


def secret_key(value: str) -> str:
    """A valid key inside a Secret (`[-._a-zA-Z0-9]+`)."""
    return _SECRET_KEY.sub("_", value) or "value"


def secret_ref(value_from: str) -> tuple[str, str]:
    """ECS `valueFrom` (Secrets Manager ARN, SSM parameter ARN or name) → (Secret name, key).

    - `arn:aws:secretsmanager:…:secret:NAME-AbCdEf[:jsonKey[:stage[:id]]]` → (`NAME`, jsonKey or `value`);
      the six-character suffix Secrets Manager adds is dropped.
    - `arn:aws:ssm:…:parameter/a/b`, `/a/b` or `a/b` → (`a-b`, `value`).
    """
    if value_from.startswith("arn:"):
        parts = value_from.split(":")
        if parts[2] == "secretsmanager" and len(parts) >= 7:
            name = _SECRETS_MANAGER_SUFFIX.sub("", parts[6])
            key = parts[7] if len(parts) > 7 and parts[7] else "value"
            return dns_label(name), secret_key(key)
        # SSM: the resource is "parameter/<name>"; the name itself holds no ":".
        resource = ":".join(parts[5:])
        value_from = resource.removeprefix("parameter")
    return dns_label(value_from.strip("/")), "value"


def service_account_name(role_arn: str) -> str:
    """IAM role ARN → ServiceAccount name: the role's name, without its path.

    `arn:aws:iam::123456789012:role/path/web-role` → `web-role`.
    """
    return dns_label(role_arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1])
