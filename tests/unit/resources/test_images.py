"""resources/images.py: ECR names pulled from a Cluster's ecrMirror."""

from __future__ import annotations

import pytest

from kube_ecs.resources.images import mirrored, with_mirror


@pytest.mark.parametrize(("image", "expected"), [
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1", "localhost:5001/web:1"),
    ("123456789012.dkr.ecr.eu-west-3.amazonaws.com/team/api@sha256:abc", "localhost:5001/team/api@sha256:abc"),
    ("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/web:2", "localhost:5001/web:2"),
    ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web", "localhost:5001/web"),
    ("public.ecr.aws/nginx/nginx:1.27", "localhost:5001/nginx:1.27"),
    # Not ECR: unchanged.
    ("nginx:1.27", "nginx:1.27"),
    ("localhost:5001/cats:1.0", "localhost:5001/cats:1.0"),
    ("quay.io/prometheus/node-exporter:v1", "quay.io/prometheus/node-exporter:v1"),
    ("12345.dkr.ecr.us-east-1.amazonaws.com/web:1", "12345.dkr.ecr.us-east-1.amazonaws.com/web:1"),
])
def test_ecr_names_are_mirrored(image: str, expected: str):
    assert mirrored(image, "localhost:5001") == expected


def test_no_mirror_changes_nothing():
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1"
    assert mirrored(image, None) == image
    taskdef = {"containerDefinitions": [{"name": "web", "image": image}]}
    assert with_mirror(taskdef, None) is taskdef


def test_a_task_definition_is_copied_with_its_images_mirrored():
    taskdef: dict = {"family": "web", "containerDefinitions": [
        {"name": "web", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1"},
        {"name": "log", "image": "fluent/fluent-bit:3"}]}
    out = with_mirror(taskdef, "localhost:5001/")
    assert [c["image"] for c in out["containerDefinitions"]] == ["localhost:5001/web:1", "fluent/fluent-bit:3"]
    assert taskdef["containerDefinitions"][0]["image"].startswith("123456789012"), "the input is left as it was"
