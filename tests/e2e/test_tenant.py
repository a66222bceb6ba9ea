"""Tenant safety on the kind cluster (after `make deploy`, docs/security.md): what someone allowed to
create ECS Services can make the operator run. A task that would take the node (privileged, the host's
network and PID namespace, the node's / mounted) is refused in a default Cluster and runs in one set
to `privileged`; a user bound to `edit` in a namespace can create a Service there but not a Cluster; a
planted Secret value appears only in the pod's environment. Unique names, cleaned up after."""

from __future__ import annotations

import copy
import json
import subprocess
import uuid
from collections.abc import Iterator

import pytest
import yaml
from cluster import ESVC, REPO, App, apply, condition, get, items, kubectl, wait_for

pytestmark = pytest.mark.e2e

CLUSTERS = "clusters.ecs.kube-ecs.dev"
TD = "taskdefinitions.ecs.kube-ecs.dev"
PSA = "pod-security.kubernetes.io/"
DENIED = 'admission webhook "services.ecs.kube-ecs.dev" denied the request'


def unique(prefix: str) -> str:
    return f"e2e-{prefix}-{uuid.uuid4().hex[:5]}"


@pytest.fixture
def app(request) -> Iterator[App]:
    made = App(unique(request.node.name.removeprefix("test_")[:10].replace("_", "-")))
    yield made
    made.delete()


def takeover(app: App) -> None:
    """The issue's task: privileged, host network and PID namespace, the node's / at /host."""
    spec = app.taskdef["spec"]
    spec.update(networkMode="host", pidMode="host", volumes=[{"name": "root", "host": {"sourcePath": "/"}}])
    spec.pop("cpu", None)
    spec["memory"] = "64"
    container = spec["containerDefinitions"][0]
    container.update(privileged=True, entryPoint=["sleep", "3600"],
                     mountPoints=[{"sourceVolume": "root", "containerPath": "/host", "readOnly": True}])
    container.pop("portMappings", None)
    service = app.service["spec"]
    service.pop("loadBalancers", None)
    service.update(desiredCount=1, deploymentConfiguration={"minimumHealthyPercent": 0, "maximumPercent": 100})


def namespace_level(app: App) -> str | None:
    return ((get("namespace", app.namespace) or {}).get("metadata", {}).get("labels") or {}).get(PSA + "enforce")


def apply_result(*objects: dict, as_user: list[str] | None = None) -> subprocess.CompletedProcess:
    return kubectl(*(as_user or []), "apply", "-f", "-", input=yaml.safe_dump_all(objects), check=False)


def service_pods(app: App) -> list[dict]:
    return [p for p in items("pods", "-n", app.namespace, "-l", f"ecs.kube-ecs.dev/service={app.name}")
            if not p["metadata"].get("deletionTimestamp")]


def set_level(app: App, level: str) -> None:
    kubectl("patch", CLUSTERS, app.name, "--type", "merge", "-p",
            json.dumps({"spec": {"podSecurity": {"enforce": level}}}))
    wait_for(f"namespace {app.namespace} enforcing {level}", lambda: namespace_level(app) == level, timeout=60)
    wait_for(f"Cluster {app.name} status says {level}", lambda: ((get(CLUSTERS, app.name) or {}).get(
        "status") or {}).get("podSecurity", {}).get("enforce") == level, timeout=60)


def test_the_takeover_task_is_refused_by_default_and_runs_in_a_privileged_cluster(app):
    takeover(app)
    app.create_cluster()
    assert namespace_level(app) == "baseline"
    apply(app.taskdef)
    wait_for("the TaskDefinition registered", lambda: condition(get(TD, app.name), "Ready").get("status") == "True",
             timeout=60)
    refused = apply_result(app.service)
    assert refused.returncode != 0 and DENIED in refused.stderr, refused.stderr
    for field in ("containerDefinitions[0].privileged", "networkMode", "pidMode", "volumes[0].host.sourcePath"):
        assert field in refused.stderr, refused.stderr
    assert "Pod Security level 'baseline'" in refused.stderr
    assert get(ESVC, app.name, "-n", app.namespace) is None

    set_level(app, "privileged")
    # The webhook's index follows the Cluster's status a moment later.
    wait_for("the Service admitted", lambda: apply_result(app.service).returncode == 0, timeout=30, every=2)
    pod = wait_for("the takeover task running", lambda: next(
        (p for p in service_pods(app) if p["status"].get("phase") == "Running"), None), timeout=120)
    assert pod is not None
    spec = pod["spec"]
    assert spec.get("hostNetwork") and spec.get("hostPID")
    assert spec["containers"][0]["securityContext"]["privileged"] is True

    # Raised again: the running task keeps running; the Service says why nothing new starts.
    set_level(app, "baseline")
    status = wait_for("the Service refused by Pod Security", app.status,
                      until=lambda s: condition({"status": s}, "Ready").get("reason") == "PodSecurity", timeout=60)
    assert "containerDefinitions[0].privileged" in condition({"status": status}, "Ready")["message"]
    assert [p["metadata"]["name"] for p in service_pods(app)] == [pod["metadata"]["name"]]
    events = items("events", "-n", app.namespace, "--field-selector", f"involvedObject.name={app.name}")
    assert any(e["type"] == "Warning" and "Pod Security level 'baseline'" in e["message"] for e in events), events


def test_a_default_cluster_refuses_it_in_status_when_admission_cannot_tell(app):
    """Service first, task definition after: the webhook cannot know the task yet, the status says it."""
    takeover(app)
    app.create_cluster()
    apply(app.service)
    apply(app.taskdef)
    status = wait_for("the Service refused by Pod Security", app.status,
                      until=lambda s: condition({"status": s}, "Ready").get("reason") == "PodSecurity", timeout=90)
    message = condition({"status": status}, "Ready")["message"]
    assert message.startswith("InvalidParameterException: ") and "'baseline'" in message
    assert app.deployment() is None


def test_an_edit_user_can_create_a_service_in_the_namespace_but_not_a_cluster(app):
    app.create_cluster()
    apply(app.taskdef)
    user = f"{app.name}-dev"
    kubectl("create", "rolebinding", f"{user}-edit", "--clusterrole=edit", f"--user={user}", "-n", app.namespace)
    as_user = [f"--as={user}", "--as-group=system:authenticated"]

    def can(verb: str, resource: str, namespace: str | None = app.namespace) -> bool:
        scope = ["-n", namespace] if namespace else []
        return kubectl(*as_user, "auth", "can-i", verb, resource, *scope, check=False).stdout.strip() == "yes"

    wait_for("edit aggregating the ECS roles", lambda: can("create", ESVC), timeout=30)
    assert can("get", ESVC) and can("delete", ESVC)
    assert not can("create", CLUSTERS, None) and not can("create", TD, None)
    assert not can("create", "capacityproviders.ecs.kube-ecs.dev", None)
    created = apply_result(app.service, as_user=as_user)
    assert created.returncode == 0, created.stderr
    app.wait_ready()
    other = copy.deepcopy(app.cluster)
    other["metadata"]["name"] = other["spec"]["clusterName"] = f"{app.name}-x"
    refused = apply_result(other, as_user=as_user)
    assert refused.returncode != 0 and "forbidden" in refused.stderr.lower(), refused.stderr
    assert get(CLUSTERS, other["metadata"]["name"]) is None


def test_a_planted_secret_value_appears_only_in_the_pods_environment(app, tmp_path):
    planted = f"planted-{uuid.uuid4().hex}"
    container = app.taskdef["spec"]["containerDefinitions"][0]
    container["secrets"] = [{"name": "PLANTED", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/e2e/planted"}]
    app.create_cluster()
    kubectl("create", "secret", "generic", "e2e-planted", f"--from-literal=value={planted}", "-n", app.namespace)
    apply(app.taskdef, app.service)
    app.wait_ready()
    pod = service_pods(app)[0]
    env = kubectl("exec", "-n", app.namespace, pod["metadata"]["name"], "-c", "cats", "--", "sh", "-c",
                  'printf %s "$PLANTED"').stdout
    assert env == planted

    seen = {
        "pod spec": json.dumps(pod["spec"]),
        "Service": json.dumps(app.esvc()),
        "TaskDefinition": json.dumps(get(TD, app.name)),
        "revisions": json.dumps(get("taskdefinitionrevisions.ecs.kube-ecs.dev")),
        "Cluster": json.dumps(get(CLUSTERS, app.name)),
        "Events": json.dumps(get("events", "-A")),
        "operator logs": kubectl("logs", "-n", "kube-ecs-system", "deployment/kube-ecs-operator", "--tail=-1").stdout,
    }
    source = tmp_path / f"{app.name}.json"
    source.write_text(json.dumps(app.taskdef["spec"]))
    seen["kube-ecs convert"] = subprocess.run([str(REPO / ".venv/bin/kube-ecs"), "convert", "--manifests", str(source)],
                                              capture_output=True, text=True, check=True).stdout
    assert "e2e-planted" in seen["kube-ecs convert"]  # the Secret's name, never its value
    assert [where for where, text in seen.items() if planted in text] == []
