import json
from pathlib import Path
from typing import Any

import kopf
import pytest
from kubernetes.client.exceptions import ApiException

from kube_ecs import webhook
from kube_ecs.handlers import admission

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "invalid"


def taskdef(spec: dict, name: str = "web") -> dict:
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": name, "uid": "u"}, "spec": spec}


def service(spec: dict, name: str = "web") -> dict:
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": name, "namespace": "demo", "uid": "u"}, "spec": spec}


def refusal(handler: Any, body: dict, operation: str = "CREATE", old: dict | None = None,
            warnings: list[str] | None = None) -> str | None:
    """`handler` called with the keyword arguments it reads (Any: Kopf's protocol wants them all)."""
    try:
        handler(body=body, operation=operation, old=old, new=body, warnings=[] if warnings is None else warnings)
    except kopf.AdmissionError as e:
        assert e.code == 422
        return str(e)
    return None


VALID = {"containerDefinitions": [{"name": "web", "image": "nginx", "memory": 128}]}


def test_a_valid_task_definition_is_admitted_with_its_notes_as_warnings():
    warnings: list[str] = []
    spec = {**VALID, "enableFaultInjection": True}
    assert refusal(admission.validate_task_definition, taskdef(spec), warnings=warnings) is None
    assert warnings and warnings[0].startswith("enableFaultInjection: not supported on Kubernetes"), warnings


def test_corpus_refusals_carry_ecs_messages_and_paths():
    """The same lines `kube-ecs validate` prints, as one ClientException (the Ready condition's words)."""
    checked = 0
    for path in sorted(CORPUS.glob("*.json")):
        try:
            raw = json.loads(path.read_text())
        except ValueError:
            continue  # not a document kubectl could apply
        if not isinstance(raw, dict):
            continue
        name = str(raw.get("family", "web")).lower().replace("_", "-")
        if not name.replace("-", "").isalnum():
            continue  # no TaskDefinition can have this family: the name rule refuses it (test below)
        warnings: list[str] = []
        message = refusal(admission.validate_task_definition, taskdef(raw, name), warnings=warnings)
        assert message and message.startswith("ClientException: "), path.name
        for line in path.with_suffix(".expected").read_text().splitlines():
            if line.startswith("warning: "):
                assert line.removeprefix("warning: ") in warnings, (path.name, line, warnings)
            else:
                assert line in message, (path.name, line, message)
        checked += 1
    assert checked >= 20


def test_family_must_match_the_name_with_the_operators_wording():
    message = refusal(admission.validate_task_definition, taskdef({**VALID, "family": "other"}))
    assert message == "ClientException: family: 'other' must be 'web' (the TaskDefinition's name) or sanitise to it"


def test_updates_that_leave_the_spec_alone_are_admitted():
    """Kopf's finalizer and annotation writes must pass even on an object stored while the webhook was down."""
    bad = taskdef({"containerDefinitions": []})
    assert refusal(admission.validate_task_definition, bad, "UPDATE", old=bad) is None
    assert refusal(admission.validate_task_definition, bad, "UPDATE", old=taskdef(VALID)) is not None


def test_service_refusals_use_the_operators_wording():
    assert refusal(admission.validate_service, service({"taskDefinition": "web", "desiredCount": 1})) is None
    message = refusal(admission.validate_service, service({"desiredCount": 1}))
    assert message == "InvalidParameterException: spec.taskDefinition: a task definition must be specified."
    message = refusal(admission.validate_service, service({"taskDefinition": "web", "launchType": "FARGATE",
                                                           "schedulingStrategy": "DAEMON"}))
    assert message and message.startswith("InvalidParameterException: ")


def cluster(name: str = "demo") -> dict:
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Cluster", "metadata": {"name": name, "uid": "c-uid"}}


CREATE_CLUSTER: Any = admission.create_cluster_namespace


def test_cluster_create_makes_its_namespace_but_not_on_dry_run(monkeypatch):
    """What the Namespace looks like: test_clusters (namespace_at_admission)."""
    made = []
    monkeypatch.setattr(admission.common, "client", lambda: "client")
    monkeypatch.setattr(admission, "namespace_at_admission", lambda client, body: made.append((client, body)))
    CREATE_CLUSTER(body=cluster(), dryrun=True)
    assert made == []
    CREATE_CLUSTER(body=cluster(), dryrun=False)
    assert made == [("client", cluster())]


def test_cluster_namespace_failure_admits(monkeypatch, caplog):
    def failing(client, body):
        raise ApiException(status=500, reason="boom")

    monkeypatch.setattr(admission.common, "client", lambda: None)
    monkeypatch.setattr(admission, "namespace_at_admission", failing)
    CREATE_CLUSTER(body=cluster(), dryrun=False)
    assert "namespace not made at admission" in caplog.text


@pytest.mark.parametrize("handler", [admission.validate_task_definition, admission.validate_service])
def test_an_empty_spec_is_refused_not_crashed(handler):
    body = taskdef({}) if handler is admission.validate_task_definition else service({})
    assert refusal(handler, body)


def test_shipped_configuration_calls_each_handler_by_its_id():
    """Kopf routes a request by the last path segment (the handler id): a typo would validate nothing."""
    import yaml

    registry = kopf.get_default_registry()
    ids = {h.id: h for h in registry._webhooks.get_all_handlers()}
    docs = list(yaml.safe_load_all((Path(__file__).resolve().parents[3] / "manifests/operator/webhook.yaml").read_text()))
    config = next(d for d in docs if d["kind"] == "ValidatingWebhookConfiguration")
    assert config["metadata"]["name"] == webhook.CONFIGURATION.name
    for hook in config["webhooks"]:
        service = hook["clientConfig"]["service"]
        handler = ids[service["path"].lstrip("/")]
        assert (service["name"], service["namespace"]) == ("kube-ecs-webhook", "kube-ecs-system")
        assert hook["rules"][0]["resources"] == [handler.id]  # ids are the plurals they validate
        assert set(hook["rules"][0]["operations"]) == set(handler.operations or ())
        assert hook["sideEffects"] == ("NoneOnDryRun" if handler.side_effects else "None")
        assert hook["failurePolicy"] == "Ignore" and hook["timeoutSeconds"] <= 5
    assert {h["clientConfig"]["service"]["path"].lstrip("/") for h in config["webhooks"]} == set(ids)


def test_through_kopfs_admission_engine():
    """The handlers' keyword arguments and refusals as Kopf (pinned) really passes and answers them."""
    import asyncio

    from kopf._cogs.structs import ephemera, references
    from kopf._core.engines import admission as engine
    from kopf._core.reactor import inventory

    insights = references.Insights()
    insights.webhook_resources.add(references.Resource(group="ecs.kube-ecs.dev", version="v1alpha1",
                                                       plural="taskdefinitions", kind="TaskDefinition",
                                                       namespaced=False, verbs=frozenset({"get"})))
    spec = {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "100", "memory": "512",
            "enableFaultInjection": True, "containerDefinitions": [{"name": "web", "image": "nginx"}]}
    request: Any = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "u1", "operation": "CREATE", "dryRun": False, "userInfo": {"username": "someone"},
        "resource": {"group": "ecs.kube-ecs.dev", "version": "v1alpha1", "resource": "taskdefinitions"},
        "object": taskdef(spec)}}
    memobase: Any = ephemera.Memo()
    response = asyncio.run(engine.serve_admission_request(
        request, webhook=kopf.HandlerId("taskdefinitions"), settings=kopf.OperatorSettings(),
        memories=inventory.ResourceMemories(), memobase=memobase, registry=kopf.get_default_registry(),
        insights=insights, indices={}))["response"]
    assert response["allowed"] is False
    assert response["status"] == {"code": 422, "message": "ClientException: cpu: Invalid 'cpu' setting for task. "
                                  "Fargate takes 256, 512, 1024, 2048, 4096, 8192, 16384 cpu units, not 100."}
    assert (response.get("warnings") or [""])[0].startswith("enableFaultInjection: not supported on Kubernetes")


TAKEOVER = {"networkMode": "host", "pidMode": "host", "volumes": [{"name": "root", "host": {"sourcePath": "/"}}],
            "containerDefinitions": [{"name": "shell", "image": "busybox", "memory": 64, "privileged": True,
                                      "mountPoints": [{"sourceVolume": "root", "containerPath": "/host"}]}]}


def _service_with_level(monkeypatch, level: str | None, stored: dict | None) -> str | None:
    from kube_ecs.reconcile.kube import Ref

    class Client:
        def get(self, ref: Ref) -> dict | None:
            return stored if ref.kind == "TaskDefinition" and ref.name == "agent" else None

    monkeypatch.setattr(admission.common, "client", Client)
    indexes: dict[str, Any] = {"clusters_by_namespace": {"demo": ["demo"]},
                               "cluster_pod_security": {"demo": [level]} if level else {}}
    handler: Any = admission.validate_service  # Any: Kopf's protocol wants every kwarg
    try:
        handler(body=service({"taskDefinition": "agent"}), operation="CREATE", old=None, new=None, warnings=[],
                **indexes)
    except kopf.AdmissionError as e:
        return str(e)
    return None


def test_a_service_whose_tasks_its_cluster_level_refuses_is_refused_at_apply(monkeypatch):
    message = _service_with_level(monkeypatch, "baseline", taskdef(TAKEOVER, "agent"))
    assert message and message.startswith("InvalidParameterException: ")
    assert "containerDefinitions[0].privileged" in message and "'baseline'" in message
    assert _service_with_level(monkeypatch, "privileged", taskdef(TAKEOVER, "agent")) is None
    # No Cluster known, or no task definition yet: left to the Service's status.
    assert _service_with_level(monkeypatch, None, taskdef(TAKEOVER, "agent")) is None
    assert _service_with_level(monkeypatch, "baseline", None) is None


def test_a_task_definition_only_privileged_clusters_run_is_admitted_with_a_warning():
    warnings: list[str] = []
    assert refusal(admission.validate_task_definition, taskdef(TAKEOVER, "agent"), warnings=warnings) is None
    assert any(w.startswith("Pod Security: ") and "containerDefinitions[0].privileged" in w for w in warnings)


def run_task_body(spec: dict, name: str = "job") -> dict:
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task",
            "metadata": {"name": name, "namespace": "demo", "uid": "u"}, "spec": spec}


def _revisions():
    from kube_ecs.ecs.normalize import normalize_task_definition
    from kube_ecs.reconcile import revisions as rev

    spec, _ = normalize_task_definition({"family": "job", "containerDefinitions": [{"name": "main", "image": "x"}]})
    return {"job": [rev.Revision("job", 1, rev.INACTIVE, spec, rev.digest(spec)),
                    rev.Revision("job", 2, rev.ACTIVE, spec, rev.digest(spec))]}


def task_refusal(body: dict, operation: str = "CREATE", old: dict | None = None,
                 warnings: list[str] | None = None) -> str | None:
    handler: Any = admission.validate_task  # Any: Kopf's protocol wants every kwarg
    try:
        handler(body=body, operation=operation, old=old, new=body, warnings=[] if warnings is None else warnings,
                revisions_by_family=_revisions())
    except kopf.AdmissionError as e:
        assert e.code == 422
        return str(e)
    return None


def test_run_task_refusals_at_apply():
    assert task_refusal(run_task_body({"taskDefinition": "job:1"})) == \
        "ClientException: TaskDefinition job:1 is inactive."
    assert task_refusal(run_task_body({"taskDefinition": "job", "count": 11})) == \
        "InvalidParameterException: count: count must be between 1 and 10, not 11."
    assert task_refusal(run_task_body({"taskDefinition": "job:2", "overrides": {
        "containerOverrides": [{"name": "ghost"}]}})) == (
        "InvalidParameterException: overrides.containerOverrides[0].name: Override for container named ghost is "
        "not a container in the TaskDefinition.")
    warnings: list[str] = []
    assert task_refusal(run_task_body({"taskDefinition": "job:2", "enableExecuteCommand": True}),
                        warnings=warnings) is None
    assert warnings == ["enableExecuteCommand: not supported on Kubernetes: ignored (use kubectl exec)"]
    # family:N not registered yet (the same apply may register it): left to the reconcile.
    assert task_refusal(run_task_body({"taskDefinition": "job:9"})) is None


def test_a_task_is_immutable_but_stoppable():
    old = run_task_body({"taskDefinition": "job", "count": 1})
    assert task_refusal(run_task_body({"taskDefinition": "job", "count": 2}), "UPDATE", old) == (
        "InvalidParameterException: spec.count: a Task cannot be changed once run; only desiredStatus, reason, "
        "ttlSecondsAfterStopped may change")
    stop = run_task_body({"taskDefinition": "job", "count": 1, "desiredStatus": "STOPPED", "reason": "done"})
    assert task_refusal(stop, "UPDATE", old) is None
    assert task_refusal(run_task_body({"taskDefinition": "job", "count": 1, "desiredStatus": "RUNNING"}), "UPDATE",
                        stop) == ("InvalidParameterException: spec.desiredStatus: a stopped task cannot be started "
                                  "again: run a new Task")


def test_scheduled_task_refusals_at_apply():
    body: dict = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "ScheduledTask",
            "metadata": {"name": "nightly", "namespace": "demo", "uid": "u"},
            "spec": {"scheduleExpression": "cron(0 12 * * * *)", "runTask": {"taskDefinition": "job"}}}
    handler: Any = admission.validate_scheduled_task  # Any: Kopf's protocol wants every kwarg
    with pytest.raises(kopf.AdmissionError) as e:
        handler(body=body, warnings=[])
    assert str(e.value) == ("ValidationException: scheduleExpression: cron: one of day-of-month and day-of-week "
                            "must be ?, and only one")
    body["spec"]["scheduleExpression"] = "cron(0 12 * * ? *)"
    handler(body=body, warnings=[])


def test_a_weighted_strategy_is_refused_at_admission_naming_the_field():
    message = refusal(admission.validate_service, service({"taskDefinition": "web", "deploymentConfiguration": {
        "strategy": "CANARY"}}))
    assert message and "deploymentConfiguration.strategy: CANARY is not supported" in message
    assert "Allowed: ROLLING or BLUE_GREEN" in message
    assert refusal(admission.validate_service, service({"taskDefinition": "web", "deploymentConfiguration": {
        "strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1}})) is None
