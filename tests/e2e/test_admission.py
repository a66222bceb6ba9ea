"""The admission webhook on the kind cluster (after `make deploy`): ECS's refusals at apply time, a
Cluster and its Service in one apply, CEL rules with fields missing, and what happens while the
operator is down. Unique names, cleaned up after."""

from __future__ import annotations

import copy
import json
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from cluster import REPO, App, condition, get, kubectl, wait_for

pytestmark = pytest.mark.e2e

CORPUS = REPO / "tests/corpus/invalid"
TD = "taskdefinitions.ecs.kube-ecs.dev"
DENIED = 'admission webhook "taskdefinitions.ecs.kube-ecs.dev" denied the request'


def unique(prefix: str) -> str:
    return f"e2e-{prefix}-{uuid.uuid4().hex[:5]}"


def taskdef(name: str, spec: dict) -> dict:
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": name},
            "spec": spec}


def apply_text(text: str, *args: str):
    return kubectl("apply", *args, "-f", "-", input=text, check=False)


@pytest.fixture
def app(request) -> Iterator[App]:
    made = App(unique(request.node.name.removeprefix("test_")[:16].replace("_", "-")))
    yield made
    made.delete()


def test_objects_with_optional_fields_missing_pass_every_cel_rule():
    """A CEL rule that reads an absent field errors ("no such key") instead of failing: each kind's
    smallest object must pass a server-side dry run (a Cluster is just a name, as CreateCluster)."""
    name = unique("cel")
    objects = [
        {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Cluster", "metadata": {"name": name}},
        taskdef(name, {"containerDefinitions": [{"name": "web", "image": "nginx", "memory": 64}]}),
        {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinitionRevision", "metadata": {"name": f"{name}-1"},
         "spec": {"family": name, "revision": 1, "taskDefinition": {}}},
    ]
    for obj in objects:
        result = kubectl("create", "--dry-run=server", "-f", "-", input=yaml.safe_dump(obj), check=False)
        assert result.returncode == 0, (obj["kind"], result.stderr)
    service = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
               "metadata": {"name": name, "namespace": "default"}, "spec": {"taskDefinition": name}}
    result = kubectl("create", "--dry-run=server", "-f", "-", input=yaml.safe_dump(service), check=False)
    assert result.returncode == 0, result.stderr
    # Transition rules (oldSelf) of a revision: a real object, patched in a dry run.
    kubectl("create", "-f", "-", input=yaml.safe_dump(objects[2]))
    try:
        result = kubectl("patch", "tdrev", f"{name}-1", "--dry-run=server", "--type", "merge",
                         "-p", '{"spec":{"status":"INACTIVE"}}', check=False)
        assert result.returncode == 0, result.stderr
    finally:
        kubectl("delete", "tdrev", f"{name}-1", "--ignore-not-found")
    # A dry-run Cluster makes no Namespace (the webhook's sideEffects: NoneOnDryRun).
    assert get("namespace", name) is None


def corpus_cases() -> list[Path]:
    cases = []
    for path in sorted(CORPUS.glob("*.json")):
        try:
            if isinstance(json.loads(path.read_text()), dict):
                cases.append(path)
        except ValueError:
            pass  # not a document kubectl could send
    return cases


@pytest.mark.parametrize("path", corpus_cases(), ids=lambda p: p.stem)
def test_invalid_task_definitions_are_refused_by_kubectl_apply(path: Path):
    raw = json.loads(path.read_text())
    name = unique("bad")
    if "family" in raw and str(raw["family"]).lower().replace("_", "-").replace("-", "").isalnum():
        raw["family"] = name  # the name rule is tested below; here, ECS's own checks
    result = apply_text(yaml.safe_dump(taskdef(name, raw)))
    try:
        assert result.returncode != 0, f"{path.name} was admitted"
        expected = [line for line in path.with_suffix(".expected").read_text().splitlines()
                    if not line.startswith("warning: ")]
        if DENIED in result.stderr:
            for line in expected:
                assert line in result.stderr, (line, result.stderr)
        else:
            # Refused before the webhook, by the CRD's schema or CEL rules: it names the field too.
            assert "spec" in result.stderr, result.stderr
    finally:
        kubectl("delete", TD, name, "--ignore-not-found", check=False)


def test_family_and_service_refusals_use_the_operators_wording(app: App):
    result = apply_text(yaml.safe_dump(taskdef(app.name, {**app.taskdef["spec"], "family": "other"})))
    assert result.returncode != 0 and "spec.family must equal metadata.name" in result.stderr, result.stderr
    app.create_cluster()
    bad = copy.deepcopy(app.service)
    bad["spec"].pop("taskDefinition")
    result = apply_text(yaml.safe_dump(bad))
    assert result.returncode != 0, result.stderr
    assert ('admission webhook "services.ecs.kube-ecs.dev" denied the request: InvalidParameterException: '
            "spec.taskDefinition: a task definition must be specified.") in result.stderr, result.stderr
    # What only the operator knows (no such revision) is admitted and reported in status.
    later = copy.deepcopy(app.service)
    later["spec"]["taskDefinition"] = f"{app.name}:7"
    assert apply_text(yaml.safe_dump(later)).returncode == 0
    wait_for("TaskDefinitionNotFound in status", lambda: condition(app.esvc(), "Degraded"), timeout=60,
             until=lambda c: c.get("reason") == "TaskDefinitionNotFound")


def test_the_cats_sample_applies_in_one_go(app: App):
    result = apply_text(yaml.safe_dump_all([app.cluster, app.taskdef, app.service]))
    assert result.returncode == 0, result.stderr
    cluster = get("clusters.ecs.kube-ecs.dev", app.name)
    # Made at admission for the uid the validating webhook saw; then owned by that Cluster.
    namespace = get("namespace", app.namespace)
    assert cluster and namespace
    assert namespace["metadata"]["annotations"]["ecs.kube-ecs.dev/admitted-for-cluster-uid"] == \
        cluster["metadata"]["uid"]
    namespace = wait_for("the Namespace owned by its Cluster", lambda: get("namespace", app.namespace), timeout=30,
                         until=lambda ns: ns and ns["metadata"].get("ownerReferences"))
    assert namespace
    [owner] = namespace["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("Cluster", cluster["metadata"]["uid"], True)
    app.wait_ready()


def test_a_cluster_a_secret_and_a_service_apply_in_one_go(app: App):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-password", "namespace": app.namespace},
              "stringData": {"value": "s3cret"}}
    taskdef_ = copy.deepcopy(app.taskdef)
    taskdef_["spec"]["containerDefinitions"][0]["secrets"] = [
        {"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/db-password"}]
    minimal_cluster = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Cluster", "metadata": {"name": app.name}}
    result = apply_text(yaml.safe_dump_all([minimal_cluster, secret, taskdef_, app.service]))
    assert result.returncode == 0, result.stderr
    status = app.wait_ready()
    assert status["runningCount"] == 2


def _apply_seconds(name: str, runs: int) -> list[float]:
    """Each apply changes the spec, so kubectl sends it (an unchanged one is skipped client-side)."""
    spec = {"containerDefinitions": [{"name": "web", "image": "nginx", "memory": 64}]}
    times = []
    for i in range(runs):
        spec["containerDefinitions"][0]["environment"] = [{"name": "RUN", "value": str(i)}]
        text = yaml.safe_dump(taskdef(name, spec))
        start = time.perf_counter()
        result = apply_text(text)
        times.append(time.perf_counter() - start)
        assert result.returncode == 0, result.stderr
    return times


@pytest.mark.serial
def test_webhook_latency_per_apply(record_property):
    runs = 20
    name = unique("latency")
    saved = get("validatingwebhookconfiguration", "kube-ecs")
    assert saved and all(h["clientConfig"].get("caBundle") for h in saved["webhooks"]), "no caBundle published"
    try:
        _apply_seconds(name, 2)  # warm-up: the create, and kubectl's discovery cache
        with_webhook = statistics.median(_apply_seconds(name, runs))
        kubectl("delete", "validatingwebhookconfiguration", "kube-ecs")
        without = statistics.median(_apply_seconds(name, runs))
    finally:
        for key in ("resourceVersion", "uid", "creationTimestamp", "managedFields", "generation"):
            saved["metadata"].pop(key, None)
        # create, not apply: apply would record the caBundle in kubectl's last-applied annotation, and
        # the next `make deploy` (kubectl apply of webhook.yaml, which has none) would remove it.
        kubectl("create", "-f", "-", input=json.dumps(saved))
        kubectl("delete", TD, name, "--ignore-not-found", check=False)
    record_property("apply_median_with_webhook_ms", round(with_webhook * 1000))
    record_property("apply_median_without_webhook_ms", round(without * 1000))
    print(f"\n[measure] kubectl apply of a TaskDefinition, median of {runs}: with the webhook "
          f"{with_webhook * 1000:.0f} ms, without {without * 1000:.0f} ms, "
          f"added {(with_webhook - without) * 1000:.0f} ms")


@pytest.mark.serial
def test_a_removed_ca_bundle_is_put_back_within_the_check_interval():
    """A re-apply of webhook.yaml by an older kubectl, or a hand edit, drops the caBundle: failurePolicy
    Ignore would then admit everything. The operator's check (every 10 s) puts it back."""
    saved = get("validatingwebhookconfiguration", "kube-ecs")
    assert saved and all(h["clientConfig"].get("caBundle") for h in saved["webhooks"]), "no caBundle published"
    removal = [{"op": "remove", "path": f"/webhooks/{i}/clientConfig/caBundle"} for i in range(len(saved["webhooks"]))]
    start = time.monotonic()
    kubectl("patch", "validatingwebhookconfiguration", "kube-ecs", "--type", "json", "-p", json.dumps(removal))
    healed = wait_for("the caBundle put back", lambda: get("validatingwebhookconfiguration", "kube-ecs"), timeout=15,
                      until=lambda c: all(h["clientConfig"].get("caBundle") for h in (c or {}).get("webhooks", [])))
    seconds = time.monotonic() - start
    assert healed is not None
    assert [h["clientConfig"]["caBundle"] for h in healed["webhooks"]] == \
        [h["clientConfig"]["caBundle"] for h in saved["webhooks"]]
    print(f"\n[measure] caBundle removed by hand → put back: {seconds:.1f}s")


@pytest.mark.serial
def test_operator_down_admits_unvalidated_and_status_reports_it_when_back():
    """failurePolicy Ignore, timeoutSeconds 5 (docs/decisions.md): never refused, never held."""
    name = unique("down")
    deployment = ("-n", "kube-ecs-system", "deployment/kube-ecs-operator")
    kubectl("scale", *deployment, "--replicas=0")
    try:
        kubectl("wait", "-n", "kube-ecs-system", "--for=delete", "pod", "-l", "app.kubernetes.io/name=kube-ecs-operator",
                "--timeout=90s", check=False)
        bad = taskdef(name, {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "100",
                             "memory": "512", "containerDefinitions": [{"name": "web", "image": "nginx"}]})
        start = time.monotonic()
        result = apply_text(yaml.safe_dump(bad))
        seconds = time.monotonic() - start
        assert result.returncode == 0, result.stderr
        assert seconds < 5 + 3, f"apply took {seconds:.1f}s with the operator down"
        print(f"\n[measure] apply with the operator down: {seconds:.2f}s")
    finally:
        kubectl("scale", *deployment, "--replicas=1")
        kubectl("rollout", "status", *deployment, "--timeout=180s")
    try:
        cond = wait_for("the TaskDefinition refused in status", lambda: condition(get(TD, name), "Ready"),
                        timeout=90, until=lambda c: c.get("reason") == "InvalidTaskDefinition")
        assert "Fargate takes 256" in cond["message"]
        # Back up, the webhook refuses again once its server runs. Each try changes cpu: kubectl sends
        # nothing for an unchanged object, and a try before the server is up is admitted.
        tries = iter(range(101, 200))

        def another_invalid_cpu():
            bad["spec"]["cpu"] = str(next(tries))
            return apply_text(yaml.safe_dump(bad))
        wait_for("the webhook refusing again", another_invalid_cpu, timeout=60,
                 until=lambda r: r.returncode != 0 and DENIED in r.stderr)
    finally:
        kubectl("delete", TD, name, "--ignore-not-found", "--timeout=60s", check=False)
