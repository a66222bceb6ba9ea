"""Focused rules of the pod template: quantities, probes, start order, resources, mounts."""

from __future__ import annotations

import pytest

from kube_ecs.resources import pod_template
from kube_ecs.resources.pod_template import build_pod_template, cpu_quantity, image_pull_policy, literal, mebibytes

from .conftest import validate

HEALTH = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}


def pod(containers: list[dict], **taskdef) -> dict:
    """The pod spec for a task definition made of `containers` (+ task-level fields), checked against
    Kubernetes' schema."""
    service = taskdef.pop("service", None)
    template = build_pod_template(
        {"networkMode": "awsvpc", **taskdef, "containerDefinitions": containers},
        labels={"app": "t"},
        selector={"app": "t"},
        service=service,
    )
    validate({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "t", **template["metadata"]}, "spec": template["spec"]})
    return template["spec"]


def container(name: str, **fields) -> dict:
    return {"name": name, "image": f"example/{name}:1", "essential": True, **fields}


@pytest.mark.parametrize(
    ("units", "expected"),
    [(1024, "1"), (2048, "2"), (512, "500m"), (256, "250m"), (128, "125m"), (100, "98m"), (10, "10m"), (1, "1m"), (1536, "1500m")],
)
def test_cpu_quantity(units, expected):
    assert cpu_quantity(units) == expected


@pytest.mark.parametrize(("mib", "expected"), [(512, "512Mi"), (1024, "1Gi"), (1536, "1536Mi"), (1024 * 1024, "1Ti"), (30720, "30Gi")])
def test_mebibytes(mib, expected):
    assert mebibytes(mib) == expected


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("localhost:5000/app", "Always"),
        ("localhost:5000/app:v1", "IfNotPresent"),
        ("repo/app@sha256:abc", "IfNotPresent"),
    ],
)
def test_image_pull_policy(image, policy):
    assert image_pull_policy(image) == policy


@pytest.mark.parametrize(
    ("value", "expected"),
    [("$HOME", "$HOME"), ("echo $(date)", "echo $$(date)"), ("a$$b $x", "a$$$$b $$x"), ("plain", "plain")],
)
def test_literal_keeps_ecs_values_verbatim(value, expected):
    assert literal(value) == expected


def test_probes_from_health_check():
    check = {**HEALTH, "command": ["CMD-SHELL", "curl -f", "http://localhost/"], "startPeriod": 45, "interval": 10}
    result = pod_template.probes(check, window=45, startup=True)
    assert result["livenessProbe"] == result["readinessProbe"] == {
        "exec": {"command": ["/bin/sh", "-c", "curl -f http://localhost/"]},
        "periodSeconds": 10,
        "timeoutSeconds": 5,
        "failureThreshold": 3,
    }
    assert result["startupProbe"]["failureThreshold"] == 5 + 3  # ceil(45/10) + retries


def test_probes_without_startup_delay_the_first_check():
    result = pod_template.probes({**HEALTH, "command": ["CMD", "true"]}, window=20, startup=False)
    assert set(result) == {"livenessProbe", "readinessProbe"}
    assert result["livenessProbe"]["initialDelaySeconds"] == 20
    assert result["livenessProbe"]["exec"] == {"command": ["true"]}


@pytest.mark.parametrize("check", [None, {**HEALTH, "command": ["NONE"]}])
def test_no_probes(check):
    assert pod_template.probes(check, window=0, startup=True) == {}


def test_start_order_from_depends_on():
    spec = pod([
        container("app", dependsOn=[{"containerName": "proxy", "condition": "START"}, {"containerName": "setup", "condition": "COMPLETE"}]),
        container("setup", essential=False, dependsOn=[{"containerName": "db", "condition": "HEALTHY"}]),
        container("db", healthCheck={**HEALTH, "command": ["CMD", "ready"]}),
        container("proxy"),
        container("logs", essential=False),
    ])
    init = {c["name"]: c for c in spec["initContainers"]}
    assert list(init) == ["db", "setup", "proxy", "logs"]
    assert [c["name"] for c in spec["containers"]] == ["app"]
    assert {n for n, c in init.items() if c.get("restartPolicy") == "Always"} == {"db", "proxy", "logs"}
    assert "startupProbe" in init["db"]  # HEALTHY: later containers wait for it


def test_start_dependency_gets_no_startup_probe():
    spec = pod([
        container("app", dependsOn=[{"containerName": "proxy", "condition": "START"}]),
        container("proxy", healthCheck={**HEALTH, "command": ["CMD", "ready"]}),
    ])
    assert "startupProbe" not in spec["initContainers"][0]
    assert "livenessProbe" in spec["initContainers"][0]


def test_non_essential_stays_main_when_nothing_else_is():
    spec = pod([
        container("db", healthCheck={**HEALTH, "command": ["CMD", "ready"]}),
        container("tool", essential=False, dependsOn=[{"containerName": "db", "condition": "HEALTHY"}]),
    ])
    assert [c["name"] for c in spec["initContainers"]] == ["db"]
    assert [c["name"] for c in spec["containers"]] == ["tool"]


def test_task_size_is_shared_among_containers_that_set_none():
    spec = pod(
        [container("a", cpu=512, memory=1024), container("b"), container("c", memoryReservation=256), container("d")],
        cpu=2048,
        memory=4096,
    )
    resources = {c["name"]: c["resources"] for c in spec["containers"]}
    assert resources["a"] == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}
    # cpu: (2048 - 512) / 3 = 512 each; memory: (4096 - 1024 - 256) / 2 = 1408 for b and d.
    assert resources["b"] == {"requests": {"cpu": "500m", "memory": "1408Mi"}, "limits": {"memory": "1408Mi"}}
    assert resources["c"] == {"requests": {"cpu": "500m", "memory": "256Mi"}}
    assert resources["d"] == resources["b"]


def test_used_up_task_size_gives_nothing():
    spec = pod([container("a", cpu=1024, memory=512), container("b")], cpu=1024, memory=512)
    assert "resources" not in spec["containers"][1]


def test_gpu_and_ephemeral_storage():
    spec = pod(
        [container("a", resourceRequirements=[{"type": "GPU", "value": "2"}, {"type": "InferenceAccelerator", "value": "x"}]), container("b")],
        ephemeralStorage={"sizeInGiB": 21},
    )
    a, b = spec["containers"]
    assert a["resources"] == {
        "requests": {"ephemeral-storage": "21Gi"},
        "limits": {"ephemeral-storage": "21Gi", "nvidia.com/gpu": "2"},
    }
    assert "resources" not in b


@pytest.mark.parametrize(
    ("user", "expected"),
    [("1000", {"runAsUser": 1000}), ("1000:2000", {"runAsUser": 1000, "runAsGroup": 2000}), ("root", {"runAsUser": 0}),
     ("nginx", None), ("nginx:101", {"runAsGroup": 101})],
)
def test_user(user, expected):
    assert pod([container("a", user=user)])["containers"][0].get("securityContext") == expected


def test_volumes_from_copies_mounts_recursively_and_read_only():
    spec = pod(
        [
            container("a", volumesFrom=[{"sourceContainer": "b", "readOnly": True}], mountPoints=[{"sourceVolume": "own", "containerPath": "/data"}]),
            container("b", volumesFrom=[{"sourceContainer": "c"}], mountPoints=[{"sourceVolume": "shared", "containerPath": "/data"}]),
            container("c", volumesFrom=[{"sourceContainer": "a"}], mountPoints=[{"sourceVolume": "deep", "containerPath": "/deep"}]),
        ],
        volumes=[{"name": "own"}, {"name": "shared"}, {"name": "deep"}],
    )
    mounts = {c["name"]: c["volumeMounts"] for c in spec["containers"]}
    assert mounts["a"] == [
        {"name": "own", "mountPath": "/data"},  # the container's own mount wins
        {"name": "deep", "mountPath": "/deep", "readOnly": True},
    ]
    assert mounts["c"] == [{"name": "own", "mountPath": "/data"}, {"name": "deep", "mountPath": "/deep"}]


def test_task_volume_kinds():
    spec = pod(
        [container("a")],
        volumes=[
            {"name": "h", "host": {"sourcePath": "/srv"}},
            {"name": "t", "dockerVolumeConfiguration": {"scope": "task"}},
            {"name": "s", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": True}},
            {"name": "e", "efsVolumeConfiguration": {"fileSystemId": "fs-1234"}},
            {"name": "w", "fsxWindowsFileServerVolumeConfiguration": {"fileSystemId": "fs-9"}},
        ],
    )
    assert spec["volumes"] == [
        {"name": "e", "persistentVolumeClaim": {"claimName": "fs-1234"}},
        {"name": "h", "hostPath": {"path": "/srv"}},
        {"name": "s", "persistentVolumeClaim": {"claimName": "s"}},
        {"name": "t", "emptyDir": {}},
        {"name": "w", "emptyDir": {}},
    ]


def test_task_modes():
    spec = pod([container("a", portMappings=[{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}])],
               networkMode="host", pidMode="host", ipcMode="host")
    assert spec["hostNetwork"] and spec["hostPID"] and spec["hostIPC"]
    assert spec["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert spec["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "TCP", "hostPort": 80}]


def test_awsvpc_drops_host_port():
    spec = pod([container("a", portMappings=[{"containerPort": 80, "hostPort": 80, "protocol": "udp", "name": "dns"}])])
    assert spec["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "UDP", "name": "dns"}]


def test_stop_timeout_is_the_largest_with_ecs_default():
    assert pod([container("a", stopTimeout=10), container("b")])["terminationGracePeriodSeconds"] == 30
    assert pod([container("a", stopTimeout=90), container("b")])["terminationGracePeriodSeconds"] == 90


def test_grace_period_widens_the_startup_window():
    check = {**HEALTH, "command": ["CMD", "ready"], "interval": 10, "startPeriod": 20}
    spec = pod([container("a", healthCheck=check)], service={"healthCheckGracePeriodSeconds": 100})
    assert spec["containers"][0]["startupProbe"]["failureThreshold"] == 10 + 3


def test_docker_labels_never_replace_our_labels():
    template = build_pod_template(
        {"containerDefinitions": [container("a", dockerLabels={"app": "mine", "x.y/z": "has space"})]},
        labels={"app": "t"},
        selector={"app": "t"},
    )
    assert template["metadata"] == {"labels": {"app": "t"}, "annotations": {
        "app": "mine", "x.y/z": "has space", "ecs.kube-ecs.dev/container-names": '{"a":"a"}'}}


def test_container_names_map_kubernetes_names_to_ecs_names():
    template = build_pod_template(
        {"containerDefinitions": [container("web"), container("log_router", essential=False),
                                  container("migrate", essential=False),
                                  container("Web-Proxy", dependsOn=[{"containerName": "migrate",
                                                                     "condition": "SUCCESS"}])]},
        labels={"app": "t"},
        selector={"app": "t"},
    )
    # init containers and sidecars included; compact, sorted JSON
    assert template["metadata"]["annotations"]["ecs.kube-ecs.dev/container-names"] == (
        '{"log-router":"log_router","migrate":"migrate","web":"web","web-proxy":"Web-Proxy"}')
