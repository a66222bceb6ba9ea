from kube_ecs.reconcile.apply import HASH_ANNOTATION, apply_child, contains, ownership_problem, prune
from kube_ecs.reconcile.kube import FIELD_MANAGER, Ref

from .fake import FakeClient

OWNER = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "name": "web", "uid": "u-web",
         "controller": True, "blockOwnerDeletion": True}
LABELS = {"app.kubernetes.io/managed-by": "kube-ecs", "ecs.kube-ecs.dev/service": "web"}


def deployment(replicas=2, owner=OWNER, **meta):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "demo", "labels": dict(LABELS),
                         "ownerReferences": [owner] if owner else [], **meta},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [
                {"name": "web", "image": "cats:1", "resources": {"limits": {"memory": "1024Mi"}}}]}}}}


def test_contains_ignores_server_defaults_and_equal_quantities():
    live = deployment()
    live["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"] = "/dev/termination-log"
    live["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "1Gi"
    live["spec"]["progressDeadlineSeconds"] = 600
    assert contains(live, deployment())


def test_contains_sees_hand_edits_and_list_changes():
    assert not contains(deployment(replicas=5), deployment())
    live = deployment()
    live["spec"]["template"]["spec"]["containers"].append({"name": "extra"})
    assert not contains(live, deployment())


def test_owner_references_are_a_subset_check():
    other = {**OWNER, "uid": "u-other", "controller": False}
    live = deployment()
    live["metadata"]["ownerReferences"] = [other, OWNER]
    assert contains(live, deployment())


def test_ownership():
    assert ownership_problem(deployment(), deployment()) is None
    assert "not controlled by Service web" in (ownership_problem(deployment(owner=None), deployment()) or "")
    foreign = deployment(owner={**OWNER, "uid": "u-x", "name": "x"})
    assert ownership_problem(foreign, deployment()) is not None
    # An object we only label (an adopted Namespace) must have no controller.
    assert ownership_problem(deployment(owner=None), deployment(owner=None)) is None


def test_create_then_noop_then_update_on_diff():
    client = FakeClient()
    first = apply_child(client, deployment())
    assert first.action == "created" and first.live is not None
    assert HASH_ANNOTATION in first.live["metadata"]["annotations"]
    client.writes.clear()
    assert apply_child(client, deployment()).action == "unchanged"
    assert client.writes == []
    assert apply_child(client, deployment(replicas=3)).action == "updated"
    assert client.objects[Ref("apps/v1", "Deployment", "web", "demo")]["spec"]["replicas"] == 3


def test_hand_edit_is_healed():
    client = FakeClient()
    apply_child(client, deployment())
    client.objects[Ref("apps/v1", "Deployment", "web", "demo")]["spec"]["replicas"] = 9
    assert apply_child(client, deployment()).action == "updated"


def test_unowned_object_is_reported_not_touched():
    client = FakeClient(deployment(owner=None))
    result = apply_child(client, deployment())
    assert result.action == "conflict" and "not controlled" in result.message
    assert client.writes == []


def test_prune_deletes_only_what_the_owner_controls_and_no_longer_wants():
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "web", "namespace": "demo", "labels": dict(LABELS), "ownerReferences": [OWNER]}}
    foreign = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "other", "namespace": "demo", "labels": dict(LABELS)}}
    client = FakeClient(deployment(), ingress, foreign)
    removed = prune(client, owner_uid="u-web", keep=[Ref("apps/v1", "Deployment", "web", "demo")],
                    kinds=[("apps/v1", "Deployment"), ("networking.k8s.io/v1", "Ingress")],
                    namespace="demo", selector="ecs.kube-ecs.dev/service=web")
    assert removed == [Ref("networking.k8s.io/v1", "Ingress", "web", "demo")]
    assert Ref("networking.k8s.io/v1", "Ingress", "other", "demo") in client.objects


def test_prune_of_a_shared_object_drops_only_our_reference():
    shared = {"apiVersion": "v1", "kind": "ServiceAccount",
              "metadata": {"name": "role", "namespace": "demo", "labels": dict(LABELS), "ownerReferences": [
                  {**OWNER, "controller": False}, {**OWNER, "uid": "u-b", "name": "b", "controller": False}]}}
    client = FakeClient(shared)
    prune(client, owner_uid="u-web", keep=[], kinds=[("v1", "ServiceAccount")], namespace="demo", selector="")
    refs = client.objects[Ref("v1", "ServiceAccount", "role", "demo")]["metadata"]["ownerReferences"]
    assert [r["uid"] for r in refs] == ["u-b"]


# What apply_child promises through server-side apply (the fake client keeps fields per manager).
DEPLOYMENT = Ref("apps/v1", "Deployment", "web", "demo")


def with_annotations(obj, **annotations):
    obj["metadata"]["annotations"] = annotations
    return obj


def container(client):
    return client.objects[DEPLOYMENT]["spec"]["template"]["spec"]["containers"][0]


def test_a_field_we_stop_sending_is_removed():
    client = FakeClient()
    wanted = deployment()
    wanted["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "MODE", "value": "fast"}]
    apply_child(client, with_annotations(wanted, team="cats"))
    assert apply_child(client, deployment()).action == "updated"
    assert "env" not in container(client)
    assert client.objects[DEPLOYMENT]["metadata"]["annotations"].keys() == {HASH_ANNOTATION}


def test_a_hand_edit_of_a_field_we_own_is_taken_back():
    client = FakeClient()
    apply_child(client, deployment())
    client.patch(DEPLOYMENT, {"spec": {"replicas": 9}}, field_manager="kubectl-edit")
    assert apply_child(client, deployment()).action == "updated"
    assert client.objects[DEPLOYMENT]["spec"]["replicas"] == 2
    # Taken over (force), not shared: a later stop of sending it would remove it.
    managed = client.managed[DEPLOYMENT]
    assert ("spec", "replicas") in managed[(FIELD_MANAGER, "Apply")]
    assert ("spec", "replicas") not in managed[("kubectl-edit", "Update")]


def test_a_hand_edited_service_port_is_taken_back():
    """The edit moves the port item (keyed by port and protocol) to the editor: an apply alone would
    add ours beside it under the same name, which the API server refuses."""
    ref = Ref("v1", "Service", "web", "demo")
    service: dict = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": "demo", "labels": dict(LABELS), "ownerReferences": [OWNER]},
               "spec": {"selector": {"app": "web"}, "ports": [{"name": "tcp-80", "port": 80, "targetPort": 80,
                                                               "protocol": "TCP"}]}}
    client = FakeClient()
    apply_child(client, service)
    client.patch(ref, {"spec": {"ports": [{"name": "tcp-80", "port": 8081, "targetPort": 80, "protocol": "TCP"}]}},
                 field_manager="kubectl-patch")
    assert apply_child(client, service).action == "updated"
    assert client.objects[ref]["spec"]["ports"] == service["spec"]["ports"]
    assert apply_child(client, service).action == "unchanged"


def test_another_managers_fields_stay():
    client = FakeClient()
    apply_child(client, with_annotations(deployment(), team="cats"))
    client.patch(DEPLOYMENT, {"metadata": {"annotations": {"team": "cats", "oncall": "ada"}}, "spec": {
        "template": {"spec": {"containers": [{"name": "web", "image": "cats:1"}, {"name": "mesh", "image": "envoy"}]}}}},
        field_manager="mesh-injector")
    apply_child(client, deployment(replicas=3))
    live = client.objects[DEPLOYMENT]
    # `team` was set by both managers, `oncall` and the injected container by the other one only.
    assert live["metadata"]["annotations"].keys() == {HASH_ANNOTATION, "team", "oncall"}
    assert [c["name"] for c in live["spec"]["template"]["spec"]["containers"]] == ["web", "mesh"]
    assert live["spec"]["replicas"] == 3


def test_shared_object_keeps_every_owners_reference():
    """A ServiceAccount two Services use: each applies its own reference under its own manager."""
    def account(uid):
        return {"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "role", "namespace": "demo", "labels": dict(LABELS), "ownerReferences": [
                    {**OWNER, "uid": uid, "controller": False}]}}
    client = FakeClient()
    apply_child(client, account("u-a"))
    apply_child(client, account("u-b"))
    refs = client.objects[Ref("v1", "ServiceAccount", "role", "demo")]["metadata"]["ownerReferences"]
    assert sorted(r["uid"] for r in refs) == ["u-a", "u-b"]
