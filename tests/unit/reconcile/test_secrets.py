"""A planted Secret value never leaves the Secret: not in what the Service's reconcile writes (children,
status), its Events or the operator's logs, nor in `kube-ecs convert --manifests`. The e2e test
(tests/e2e/test_tenant.py) checks the same on the cluster, and that the pod's environment has it."""

import base64
import json
import logging

from kube_ecs import cli
from kube_ecs.ecs.normalize import normalize_task_definition
from kube_ecs.reconcile import revisions as rev
from kube_ecs.reconcile.services import reconcile_service

from .fake import FakeClient

PLANTED = "planted-6f1d2c9e0b"
RAW = {"family": "cats", "containerDefinitions": [{
    "name": "cats", "image": "kube-ecs/cats:1.0", "memory": 64,
    "secrets": [{"name": "PLANTED", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/e2e/planted"}],
    "repositoryCredentials": {"credentialsParameter":
                              "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbCdEf"}}]}
SECRETS = [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "demo"}, "type": kind,
            "data": {key: base64.b64encode(value.encode()).decode()}, "stringData": {key: value}}
           for name, key, value, kind in (
               ("e2e-planted", "value", PLANTED, "Opaque"),
               ("registry", ".dockerconfigjson", json.dumps({"auths": {"r": {"password": PLANTED}}}),
                "kubernetes.io/dockerconfigjson"))]


def test_the_reconcile_writes_and_says_only_names(caplog):
    caplog.set_level(logging.DEBUG)
    taskdef, _ = normalize_task_definition(RAW)
    client = FakeClient(*SECRETS)
    body = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": "cats", "namespace": "demo", "uid": "u", "generation": 1},
            "spec": {"taskDefinition": "cats", "desiredCount": 1}}
    outcome = reconcile_service(client, body, clusters={"demo": "demo"},
                                revisions_of=lambda f: [rev.Revision("cats", 1, rev.ACTIVE, taskdef, rev.digest(taskdef))],
                                replica_sets=[], tasks=[], known_tasks=None, now="t")
    written = [obj for ref, obj in client.objects.items() if ref.kind != "Secret"]
    text = json.dumps([written, outcome.status, [e.message for e in outcome.events]]) + caplog.text
    assert "e2e-planted" in text and "registry" in text  # the names
    assert PLANTED not in text and base64.b64encode(PLANTED.encode()).decode() not in text


def test_convert_prints_only_names(capsys, tmp_path):
    path = tmp_path / "cats.json"
    path.write_text(json.dumps(RAW))
    assert cli.main(["convert", "--manifests", str(path)]) == 0
    out = capsys.readouterr().out
    assert "e2e-planted" in out and "secretKeyRef" in out and "kind: Secret" not in out
