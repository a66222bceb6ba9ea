import json
from pathlib import Path

import kopf
import pytest

from kube_ecs import webhook
from kube_ecs.handlers import admission
from kube_ecs.reconcile.clusters import ADMITTED_FOR
from kube_ecs.reconcile.kube import Ref

from reconcile.fake import FakeClient

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "invalid"


def taskdef(spec: dict, name: str = "web") -> dict:
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": name, "uid": "u"}, "spec": spec}


def service(spec: dict, name: str = "web") -> dict:
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": name, "namespace": "demo", "uid": "u"}, "spec": spec}


def refusal(handler, body: dict, operation: str = "CREATE", old: dict | None = None,
            warnings: list[str] | None = None) -> str | None:
    try:
        handler(body=kopf.Body(body), operation=operation, old=kopf.Body(old) if old else None, new=kopf.Body(body),
                warnings=[] if warnings is None else warnings)
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


def test_cluster_create_makes_its_namespace_but_not_on_dry_run(monkeypatch):
    client = FakeClient()
    monkeypatch.setattr(admission.common, "client", lambda: client)
    admission.create_cluster_namespace(body=kopf.Body(cluster()), dryrun=True)
    assert client.writes == []
    admission.create_cluster_namespace(body=kopf.Body(cluster()), dryrun=False)
    namespace = client.get(Ref("v1", "Namespace", "demo"))
    assert namespace["metadata"]["annotations"][ADMITTED_FOR] == "c-uid"
    assert "ownerReferences" not in namespace["metadata"]  # the Cluster's reconcile owns it (test_clusters)


def test_cluster_namespace_failure_admits(monkeypatch, caplog):
    from kubernetes.client.exceptions import ApiException

    class Failing(FakeClient):
        def get(self, ref):
            raise ApiException(status=500, reason="boom")

    monkeypatch.setattr(admission.common, "client", Failing)
    admission.create_cluster_namespace(body=kopf.Body(cluster()), dryrun=False)
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
        assert set(hook["rules"][0]["operations"]) == set(handler.operations)
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
                                                       namespaced=False, verbs=["get"]))
    spec = {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "100", "memory": "512",
            "enableFaultInjection": True, "containerDefinitions": [{"name": "web", "image": "nginx"}]}
    request = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "u1", "operation": "CREATE", "dryRun": False, "userInfo": {"username": "someone"},
        "resource": {"group": "ecs.kube-ecs.dev", "version": "v1alpha1", "resource": "taskdefinitions"},
        "object": taskdef(spec)}}
    response = asyncio.run(engine.serve_admission_request(
        request, webhook="taskdefinitions", settings=kopf.OperatorSettings(), memories=inventory.ResourceMemories(),
        memobase=ephemera.Memo(), registry=kopf.get_default_registry(), insights=insights, indices={}))["response"]
    assert response["allowed"] is False
    assert response["status"] == {"code": 422, "message": "ClientException: cpu: Invalid 'cpu' setting for task. "
                                  "Fargate takes 256, 512, 1024, 2048, 4096, 8192, 16384 cpu units, not 100."}
    assert response["warnings"][0].startswith("enableFaultInjection: not supported on Kubernetes")
