from kube_ecs.reconcile.kube import Ref
from kube_ecs.reconcile.taskdefinitions import reconcile_task_definition

from .fake import FakeClient

SPEC: dict = {"family": "cats", "containerDefinitions": [{"name": "cats", "image": "kube-ecs/cats:1.0", "memory": 128}]}


def taskdef(spec=SPEC, status=None, generation=1):
    return {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": "cats", "uid": "u-td", "generation": generation}, "spec": spec, "status": status}


def revision(client, number):
    return client.get(Ref("ecs.kube-ecs.dev/v1alpha1", "TaskDefinitionRevision", f"cats-{number}"))


def test_first_reconcile_registers_revision_1_once():
    client = FakeClient()
    outcome = reconcile_task_definition(client, taskdef(), now="t")
    rev1 = revision(client, 1)
    assert rev1["spec"]["revision"] == 1 and rev1["spec"]["status"] == "ACTIVE"
    assert rev1["metadata"]["ownerReferences"][0]["uid"] == "u-td"
    assert (outcome.status["revision"], outcome.status["status"], outcome.status["containers"]) == (1, "ACTIVE", 1)
    assert outcome.status["taskDefinition"] == "cats:1"
    again = reconcile_task_definition(client, taskdef(status=outcome.status), now="t2")
    assert revision(client, 2) is None and again.status == outcome.status and again.events == []


def test_changed_spec_registers_the_next_revision_and_keeps_the_old():
    client = FakeClient()
    reconcile_task_definition(client, taskdef(), now="t")
    changed = {**SPEC, "containerDefinitions": [{**SPEC["containerDefinitions"][0], "image": "kube-ecs/cats:2.0"}]}
    outcome = reconcile_task_definition(client, taskdef(changed, generation=2), now="t")
    assert outcome.status["revision"] == 2 and outcome.status["activeRevisions"] == [1, 2]
    assert revision(client, 1)["spec"]["taskDefinition"]["containerDefinitions"][0]["image"] == "kube-ecs/cats:1.0"
    assert any(e.reason == "RevisionRegistered" and "cats:2" in e.message for e in outcome.events)


def test_family_must_match_the_name():
    outcome = reconcile_task_definition(FakeClient(), taskdef({**SPEC, "family": "dogs"}), now="t")
    ready = outcome.status["conditions"][0]
    assert ready["status"] == "False" and ready["reason"] == "InvalidTaskDefinition" and "family" in ready["message"]


def test_invalid_spec_registers_nothing_and_names_the_field():
    client = FakeClient()
    bad = {**SPEC, "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "100", "memory": "512"}
    outcome = reconcile_task_definition(client, taskdef(bad), now="t")
    assert client.objects == {}
    ready = outcome.status["conditions"][0]
    assert ready["reason"] == "InvalidTaskDefinition" and "cpu" in ready["message"]
    assert [e.reason for e in outcome.events] == ["InvalidTaskDefinition"]
    # Reported once, not on every pass.
    assert reconcile_task_definition(client, taskdef(bad, status=outcome.status), now="t2").events == []


def test_condition_changes_are_events_a_refusal_in_ecs_words_once():
    client = FakeClient()
    bad = {**SPEC, "containerDefinitions": [{**SPEC["containerDefinitions"][0], "memory": 1}]}
    refused = reconcile_task_definition(client, taskdef(bad), now="t")
    [event] = refused.events
    assert event.warning and event.message.startswith("ClientException: containerDefinitions[0].memory: Invalid")
    fixed = reconcile_task_definition(client, taskdef(status=refused.status, generation=2), now="t2")
    assert [(e.message, e.reason, e.warning) for e in fixed.events] == [
        ("Registered task definition cats:1.", "RevisionRegistered", False),
        ("Ready=True: Revision cats:1 registered.", "Registered", False)]
