"""Naming rules: DNS labels, label syntax, ARN → Secret / ServiceAccount names."""

from __future__ import annotations

import pytest

from kube_ecs.resources import names


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("web", "web"),
        ("Web_App", "web-app"),
        ("/a//b/", "a-b"),
        ("--x--", "x"),
        ("a.b", "a-b"),
    ],
)
def test_dns_label(value, expected):
    assert names.dns_label(value) == expected


def test_dns_label_long_names_keep_a_prefix_and_stay_unique():
    a, b = names.dns_label("x" * 70 + "a"), names.dns_label("x" * 70 + "b")
    assert len(a) == len(b) == 63
    assert a != b and a.startswith("x" * 50)
    assert names.dns_label("x" * 70 + "a") == a  # stable


def test_dns_label_of_nothing_usable_is_a_hash():
    name = names.dns_label("___")
    assert name.startswith("x") and len(name) == 9


def test_dns1035_label_starts_with_a_letter():
    assert names.dns1035_label("web") == "web"
    assert names.dns1035_label("3d-render") == "s-3d-render"


@pytest.mark.parametrize(("value", "expected"), [("http", "http"), ("shop_http", "shop-http"), ("8080", "p-8080")])
def test_port_name(value, expected):
    assert names.port_name(value) == expected


def test_port_name_is_at_most_15_characters():
    name = names.port_name("a-very-long-port-name")
    assert len(name) <= 15 and name.startswith("a-very")


@pytest.mark.parametrize(
    ("value", "valid"),
    [("", True), ("Dept_42", True), ("a.b-c", True), ("-a", False), ("a b", False), ("x" * 64, False)],
)
def test_is_label_value(value, valid):
    assert names.is_label_value(value) is valid


def test_label_value_sanitises():
    assert names.label_value("Dept 42") == "Dept-42"
    assert len(names.label_value("y" * 100)) <= 63


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("com.example.tier", "com.example.tier"),
        ("example.com/tier", "example.com/tier"),
        ("cost center", "cost-center"),
        ("aws:cloudformation:stack-name", "aws-cloudformation-stack-name"),
        ("Bad_Prefix/name", "Bad_Prefix-name"),
    ],
)
def test_qualified_name(key, expected):
    assert names.qualified_name(key) == expected


@pytest.mark.parametrize(
    ("value_from", "expected"),
    [
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf", ("prod-db", "value")),
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf:password::", ("prod-db", "password")),
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:api key:AWSCURRENT:", ("db", "api_key")),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/shop/api_token", ("shop-api-token", "value")),
        ("/shop/api_token", ("shop-api-token", "value")),
        ("DB_PASSWORD", ("db-password", "value")),
    ],
)
def test_secret_ref(value_from, expected):
    assert names.secret_ref(value_from) == expected


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:iam::123456789012:role/web-role", "web-role"),
        ("arn:aws:iam::123456789012:role/path/to/Web_Role", "web-role"),
    ],
)
def test_service_account_name(arn, expected):
    assert names.service_account_name(arn) == expected
