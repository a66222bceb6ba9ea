import json
from pathlib import Path

import pytest

from kube_ecs.ecs.normalize import unwrap
from kube_ecs.ecs.validate import check_task_definition
from kube_ecs.resources import pod_security as ps
from kube_ecs.resources.pod_template import build_pod_template

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "valid"

# The task of the issue: privileged, host network and PID namespace, the node's / at /host.
TAKEOVER = {"family": "takeover", "networkMode": "host", "pidMode": "host",
            "volumes": [{"name": "root", "host": {"sourcePath": "/"}}],
            "containerDefinitions": [{"name": "shell", "image": "busybox", "memory": 64, "privileged": True,
                                      "mountPoints": [{"sourceVolume": "root", "containerPath": "/host"}]}]}


def normalized(raw):
    request, _ = unwrap(raw)
    spec, problems, _ = check_task_definition({"family": "x", **request})
    assert spec is not None, problems
    return spec


def pod(taskdef):
    return build_pod_template(taskdef, labels={}, selector={})["spec"]


def test_the_takeover_task_is_refused_under_baseline_naming_ecs_fields_and_the_level():
    taskdef = normalized(TAKEOVER)
    refusals = ps.task_refusals(taskdef, {}, "baseline")
    fields = {r.split(":", 1)[0] for r in refusals}
    assert fields == {"networkMode", "pidMode", "volumes[0].host.sourcePath", "containerDefinitions[0].privileged"}
    assert all("Pod Security level 'baseline'" in r for r in refusals)
    assert any("(spec.containers[0].securityContext.privileged)" in r for r in refusals)
    assert ps.task_refusals(taskdef, {}, "privileged") == []


def test_a_plain_task_passes_baseline_but_not_restricted():
    taskdef = normalized({"containerDefinitions": [{"name": "web", "image": "nginx", "memory": 64,
                                                    "portMappings": [{"containerPort": 80}]}],
                          "networkMode": "awsvpc"})
    assert ps.task_refusals(taskdef, {}, "baseline") == []
    assert ps.required_level(pod(taskdef)) == "baseline"
    restricted = ps.task_refusals(taskdef, {}, "restricted")
    assert any(r.startswith("containerDefinitions[0].linuxParameters.capabilities.drop") for r in restricted)
    assert any("cannot say" in r for r in restricted)  # allowPrivilegeEscalation, seccomp


@pytest.mark.parametrize("container, field", [
    ({"linuxParameters": {"capabilities": {"add": ["SYS_ADMIN", "CHOWN"]}}},
     "containerDefinitions[0].linuxParameters.capabilities.add"),
    ({"systemControls": [{"namespace": "net.ipv4.tcp_syncookies", "value": "1"},
                         {"namespace": "net.core.somaxconn", "value": "1024"}]},
     "containerDefinitions[0].systemControls[1]"),
    ({"portMappings": [{"containerPort": 80, "hostPort": 8080}]}, "containerDefinitions[0].portMappings[0].hostPort"),
])
def test_each_baseline_check_names_its_ecs_field(container, field):
    taskdef = normalized({"networkMode": "bridge", "containerDefinitions": [
        {"name": "app", "image": "x", "memory": 64, **container}]})
    refusals = ps.task_refusals(taskdef, {}, "baseline")
    assert [r.split(":", 1)[0] for r in refusals] == [field]


def test_bridge_dynamic_ports_and_safe_capabilities_pass_baseline():
    taskdef = normalized({"networkMode": "bridge", "containerDefinitions": [
        {"name": "app", "image": "x", "memory": 64, "portMappings": [{"containerPort": 80}],
         "linuxParameters": {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}}}]})
    assert ps.task_refusals(taskdef, {}, "baseline") == []


def test_levels_and_labels():
    assert ps.stricter("baseline", "restricted") == "restricted"
    assert ps.stricter(None, "privileged") == "privileged"
    assert ps.cluster_levels(None) == dict.fromkeys(ps.MODES, "baseline")
    assert ps.cluster_levels({"podSecurity": {"enforce": "privileged", "audit": "restricted"}}) == {
        "enforce": "privileged", "warn": "privileged", "audit": "restricted"}
    assert ps.cluster_levels({}, {"pod-security.kubernetes.io/enforce": "restricted"})["enforce"] == "restricted"
    assert ps.enforced({"podSecurity": {"enforce": "privileged"}}, {"podSecurity": {"enforce": "baseline"}}) == \
        "baseline"  # the Namespace still says baseline: the Cluster's reconcile relabels it next
    assert ps.enforced({"podSecurity": {"enforce": "privileged"}}, None) == "privileged"


def test_corpus_levels():
    """The evidence for the default (docs/security.md): how many corpus task definitions each level takes."""
    needed = {}
    for path in sorted(CORPUS.glob("*.json")):
        needed[path.stem] = ps.required_level(pod(normalized(json.loads(path.read_text()))))
    refused = sorted(name for name, level in needed.items() if level == "privileged")
    assert refused == ["dns-hosts-sysctls", "docker-volumes", "host-network-agent", "linux-parameters",
                       "privileged-host-namespaces", "volumes-from-data"]
    assert "restricted" not in needed.values()  # no ECS task definition can say seccomp or allowPrivilegeEscalation
