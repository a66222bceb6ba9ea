import asyncio
import logging
from typing import Any

import kopf
import pytest
from reconcile.fake import FakeClient  # type: ignore[import-not-found]  # tests/unit is on the path

from kube_ecs import runner
from kube_ecs.handlers import clusters, common, services, tasks, wakers
from kube_ecs.reconcile.service_status import Task


def task(name, running=True, terminating=False):
    return Task(name=name, revision="1", template_hash="h", running=running, terminating=terminating, restarts=0)


def test_cluster_counts_from_indexes():
    tasks = {("demo", "cats"): [task("a"), task("b", running=False), task("c", terminating=True)],
             ("other", "x"): [task("d")]}
    found = clusters.counts("demo", {"demo": ["cats", "dogs"]}, tasks, {"node-1": [{}]})
    assert found == clusters.Counts(services=2, running=1, pending=1, instances=1)
    assert clusters.counts("empty", {}, {}, {}) == clusters.Counts()


def test_cluster_counts_take_standalone_tasks_and_what_holds_the_cluster():
    # A standalone task's Pod has no service label: indexed under (namespace, "").
    tasks = {("demo", ""): [task("t1"), task("t2", running=False), task("t3", terminating=True)]}
    found = clusters.counts("demo", {}, tasks, {}, active_tasks={"demo": ["job"]},
                            scheduled_tasks={"demo": ["nightly"], "other": ["x"]})
    assert found == clusters.Counts(running=1, pending=1, tasks=1, scheduled=1)


def test_service_key_matches_the_service_label():
    assert wakers.service_key("demo", "cats") == ("demo", "cats")
    long = "a" * 70
    assert len(wakers.service_key("demo", long)[1]) <= 63


def test_spec_change_filter():
    assert services._spec_changed({"metadata": {"generation": 2}, "status": {"observedGeneration": 1}})
    assert not services._spec_changed({"metadata": {"generation": 2}, "status": {"observedGeneration": 2}})
    assert services._spec_changed({"metadata": {"generation": 1}})
    # forceNewDeployment is an annotation: a new value wakes the Service although the generation is the same.
    force = "ecs.kube-ecs.dev/force-new-deployment"
    seen = {"observedGeneration": 2, "rollout": {"current": {"force": "1"}}}
    assert services._spec_changed({"metadata": {"generation": 2, "annotations": {force: "2"}}, "status": seen})
    assert not services._spec_changed({"metadata": {"generation": 2, "annotations": {force: "1"}}, "status": seen})


def test_family_of_reference():
    """One family_of (handlers/common.py) for the Service and Task handlers, on the whole body."""
    assert common.family_of({"spec": {"taskDefinition": "arn:aws:ecs:eu-west-1:1:task-definition/cats:4"}}) == "cats"
    assert common.family_of({"spec": {"taskDefinition": "cats"}}) == "cats"
    assert common.family_of({"spec": {}}) == "" and common.family_of({}) == ""
    assert common.family_of({"spec": {"taskDefinition": "arn:aws:ecs:eu-west-1:1:cluster/x"}}) == ""
    assert not hasattr(services, "_family_of") and not hasattr(tasks, "family_of")


def test_poke_wakes_only_a_registered_daemon():
    async def scenario():
        waker = wakers.register(("demo", "cats"))
        try:
            wakers.poke(("demo", "dogs"))
            assert not waker.is_set()
            wakers.poke(("demo", "cats"))
            assert waker.is_set()
        finally:
            wakers.unregister(("demo", "cats"), waker)
    asyncio.run(scenario())


def test_runner_settings():
    settings = kopf.OperatorSettings()
    runner.configure(settings)
    assert settings.persistence.finalizer == "ecs.kube-ecs.dev/finalizer"
    assert isinstance(settings.persistence.progress_storage, kopf.AnnotationsProgressStorage)
    server, client = settings.watching.server_timeout, settings.watching.client_timeout
    assert server is not None and client is not None and server < client
    assert settings.posting.level == logging.WARNING
    assert settings.peering.standalone and settings.scanning.disabled


def test_plumbing_successes_are_not_logged_but_everything_else_is():
    def logged(message):
        return runner._not_plumbing_success(logging.LogRecord("kopf.objects", logging.INFO, __file__, 0, message,
                                                              None, None))

    assert not logged("Timer 'cluster_counts' succeeded.")
    assert not logged("Handler 'poke-owner-pods' succeeded.")
    assert logged("Timer 'cluster_counts' failed with an exception and will try again in 60 seconds: boom")
    assert logged("Handler 'poke-family' failed with an exception and will try again in 60 seconds: boom")
    assert logged("Handler 'cluster_reconcile' succeeded.")


def test_daemon_wait_ends_on_a_poke_a_stop_or_the_resync_interval():
    from kopf._core.intents.stoppers import DaemonStopper, DaemonStoppingReason

    async def returns_within_a_second(action, timeout=30.0):
        waker, stopper = asyncio.Event(), DaemonStopper()
        wait = asyncio.create_task(wakers.poked_or_stopped(waker, stopper.async_waiter, timeout))
        await asyncio.sleep(0.05)
        action(waker, stopper)
        await asyncio.wait_for(wait, timeout=1)

    async def scenario():
        await returns_within_a_second(lambda waker, _: waker.set())
        await returns_within_a_second(lambda _, stopper: stopper.set(reason=DaemonStoppingReason.RESOURCE_DELETED))
        await returns_within_a_second(lambda *_: None, timeout=0.1)
        with pytest.raises(TimeoutError):
            await returns_within_a_second(lambda *_: None)
    asyncio.run(scenario())


def test_a_stopping_daemon_does_not_unregister_its_successor():
    async def scenario():
        old = wakers.register(("demo", "cats"))
        new = wakers.register(("demo", "cats"))
        try:
            wakers.unregister(("demo", "cats"), old)
            wakers.poke(("demo", "cats"))
            assert new.is_set() and not old.is_set()
        finally:
            wakers.unregister(("demo", "cats"), new)
    asyncio.run(scenario())


def test_one_value_per_key_indexes_as_dicts():
    assert common.values({"demo": ["demo"], "x": ["y"]}) == {"demo": "demo", "x": "y"}


def test_container_instance_indexes_keep_ec2_nodes_and_bound_pods():
    from kube_ecs.handlers import container_instances

    # Called as Kopf calls them, with only the keyword arguments they use (hence Any, not Kopf's types).
    nodes: Any = container_instances.container_instance_nodes
    pods: Any = container_instances.pods_by_node
    worker = {"metadata": {"name": "w", "uid": "u", "labels": {"ecs.kube-ecs.dev/node-pool": "ec2"}}, "status": {}}
    fargate = {"metadata": {"name": "f", "uid": "v", "labels": {"ecs.kube-ecs.dev/node-pool": "fargate"}}}
    assert list(nodes(name="w", body=worker)) == ["w"]
    assert nodes(name="f", body=fargate) == {}
    pod = {"metadata": {"name": "p", "namespace": "demo"}, "spec": {"nodeName": "w", "containers": []},
           "status": {"phase": "Running"}}
    assert list(pods(body=pod)) == ["w"]
    assert pods(body={**pod, "spec": {"containers": []}}) == {}


def test_a_poke_after_a_quiet_spell_is_acted_on_at_once_and_a_burst_is_debounced():
    half = wakers.DEBOUNCE_SECONDS / 2
    assert wakers.debounce(passed=10.0, now=10.0 + half) == pytest.approx(half)
    assert wakers.debounce(passed=10.0, now=10.0 + wakers.DEBOUNCE_SECONDS) == 0
    assert wakers.debounce(passed=10.0, now=70.0) == 0


def test_task_daemons_have_their_own_keys_and_are_not_counted_as_service_daemons():
    async def check() -> None:
        service = wakers.register(wakers.service_key("demo", "job"))
        task = wakers.register(wakers.object_key("task", "demo", "job"))
        try:
            assert wakers.object_key("task", "demo", "job") != wakers.service_key("demo", "job")
            assert list(wakers.service_wakers().values()) == [service]
        finally:
            wakers.unregister(wakers.service_key("demo", "job"), service)
            wakers.unregister(wakers.object_key("task", "demo", "job"), task)

    asyncio.run(check())


def test_tasks_wait_for_a_revision_of_their_family_only_until_they_launch():
    from kube_ecs.handlers import indexes

    unlaunched: Any = indexes.unlaunched_tasks_by_family
    body = {"metadata": {"name": "run"}, "spec": {"taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/Job:3"}}
    assert unlaunched(namespace="demo", name="run", body=body) == {"job": ("demo", "run")}
    assert unlaunched(namespace="demo", name="run", body={**body, "status": {"tasks": [{"taskArn": "a"}]}}) == {}
    deleting = {**body, "metadata": {"name": "run", "deletionTimestamp": "t"}}
    assert unlaunched(namespace="demo", name="run", body=deleting) == {}


def test_a_service_waits_silently_for_its_registering_revision_then_says_not_found(monkeypatch):
    """Applied with its TaskDefinition, a Service waits for the revision without a status or an Event; a
    TaskDefinition that never registers is reported once the patience has run out."""

    client = FakeClient({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
                         "metadata": {"name": "cats", "generation": 1}})
    written: list[dict] = []
    clock = [1000.0]
    monkeypatch.setattr(common, "client", lambda: client)

    def write_status(ref, previous, status) -> bool:
        written.append(status)
        return True

    monkeypatch.setattr(common, "write_status", write_status)
    monkeypatch.setattr(common, "post", lambda body, events: None)
    monkeypatch.setattr(common.time, "monotonic", lambda: clock[0])
    body = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": "cats", "namespace": "demo", "uid": "u", "generation": 1},
            "spec": {"taskDefinition": "cats", "desiredCount": 1}}
    state = services._State()

    def one_pass() -> bool:
        return services._reconcile_once(body, state, clusters={"demo": "demo"}, revisions=[], replica_sets=[],
                                        tasks=[], cluster_specs={}, providers={}, levels={})

    assert one_pass() and written == [] and state.wake_in == services.RETRY_SECONDS
    clock[0] += common.REGISTRATION_PATIENCE_SECONDS - 1
    assert one_pass() and written == []
    clock[0] += 2
    assert one_pass()
    [status] = written
    ready = {c["type"]: c for c in status["conditions"]}["Ready"]
    assert ready["reason"] == "TaskDefinitionNotFound", ready
