"""BLUE_GREEN deployments (docs/rollouts.md): the Service's manifests while blue and green run side by side.

Pure: the manifests of `build_service_manifests` in, the same with the blue/green parts out.

- Each task carries label `ecs.kube-ecs.dev/deployment` (the digits of its ECS deployment id), so a
  Kubernetes Service can select one deployment's tasks, whichever ReplicaSet or Deployment (one per
  capacity provider) runs them.
- The production Service selects the production deployment only; the test Service `<name>-test-<uid hash>`
  (`route_name`) selects the green one, behind the test Ingress of the same name whose hosts are
  `test.<host>` (`*.test.<domain>` for `*.<domain>`, docs/rollouts.md).
- The Deployment surges the green ReplicaSet to full size beside blue (maxSurge 100%, maxUnavailable 0)
  and, while the green is held, counts green tasks as available only after HOLD_SECONDS (minReadySeconds),
  so Kubernetes never scales blue down by itself: the operator lifts the hold when the bake time ends.
"""

from __future__ import annotations

from kube_ecs import GROUP
from kube_ecs.resources import names

DEPLOYMENT_LABEL = f"{GROUP}/deployment"
# The template's label before its deployment is known: the label's presence is part of the deployment's
# identity (turning BLUE_GREEN on or off starts a new deployment), its value is not.
UNASSIGNED = "unassigned"
# One second below the progress deadline the operator sets (Kubernetes wants minReadySeconds below it).
HOLD_SECONDS = 2**31 - 2
SUFFIX = "-test"


def deployment_label(deployment_id: str) -> str:
    """`ecs-svc/1234…` → `1234…`, a valid label value."""
    return names.label_value(deployment_id.rsplit("/", 1)[-1])


def test_host(host: str, service_name: str, namespace: str) -> str:
    """The test route's host for a production host (`""`: any host). A wildcard `*.d` gives `*.test.d`:
    Kubernetes allows `*` only as the whole first label, so `test.*.d` would be refused."""
    if not host:
        return f"test.{names.dns_label(service_name)}.{namespace}"
    if host.startswith("*."):
        return f"*.test.{host[2:]}"
    return f"test.{host}"


def route_name(name: str, owner_uid: str) -> str:
    """A test object's name: `<name>-test-` + a hash of the owning ECS Service's uid, shortened to a DNS label.
    Without the hash an ECS Service literally named `<name>-test` in the same Cluster would have its
    production children under the same names (ChildConflict); the hash stays the same across passes."""
    suffix = f"{SUFFIX}-{names.digest(owner_uid)}"
    return names.shorten(name, names.DNS_LABEL_MAX - len(suffix)) + suffix


def _owner_uid(manifest: dict) -> str:
    """The uid of the manifest's controller (the ECS Service); its namespace/name when it has none."""
    meta = manifest["metadata"]
    refs = meta.get("ownerReferences") or []
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    return ref["uid"] if ref else f"{meta.get('namespace', '')}/{meta['name']}"


def _templates(manifest: dict) -> bool:
    return manifest["kind"] == "Deployment"


def mark(manifests: list[dict]) -> list[dict]:
    """Every Deployment's pod template with the deployment label, its value not yet assigned."""
    return [_labelled(m, UNASSIGNED) if _templates(m) else m for m in manifests]


def _labelled(manifest: dict, value: str) -> dict:
    spec = manifest["spec"]
    template = spec["template"]
    meta = template.get("metadata") or {}
    labels = {**(meta.get("labels") or {}), DEPLOYMENT_LABEL: value}
    return {**manifest, "spec": {**spec, "template": {**template, "metadata": {**meta, "labels": labels}}}}


def shape(manifests: list[dict], *, current: str, production: str | None, green: str | None, held: bool,
          service_name: str, namespace: str) -> list[dict]:
    """The manifests of a BLUE_GREEN Service whose tasks are deployment `current`: production traffic on
    deployment `production` (None: the Service's every task, before a deployment has completed), the test
    route on `green` (None: none), the green held (`held`) or not."""
    out = []
    for manifest in manifests:
        if _templates(manifest):
            manifest = _labelled(manifest, deployment_label(current))
            manifest = {**manifest, "spec": {**manifest["spec"], "minReadySeconds": HOLD_SECONDS if held else 0,
                                             "strategy": {"type": "RollingUpdate", "rollingUpdate": {
                                                 "maxSurge": "100%", "maxUnavailable": 0}}}}
        elif manifest["kind"] == "Service" and production:
            manifest = _selecting(manifest, production)
        out.append(manifest)
    if green:
        out += _test_route(manifests, green, service_name, namespace)
    return out


def _selecting(service: dict, deployment_id: str) -> dict:
    spec = service["spec"]
    return {**service, "spec": {**spec, "selector": {**spec["selector"],
                                                     DEPLOYMENT_LABEL: deployment_label(deployment_id)}}}


def _test_route(manifests: list[dict], green: str, service_name: str, namespace: str) -> list[dict]:
    """The test Service and Ingress: copies of the production ones (same labels and owner, so the prune finds
    them by label once the route is no longer wanted), on the green tasks and the test hosts."""
    service = next((m for m in manifests if m["kind"] == "Service"), None)
    ingress = next((m for m in manifests if m["kind"] == "Ingress"), None)
    if service is None or ingress is None:
        return []
    backend = route_name(service["metadata"]["name"], _owner_uid(service))
    test_service = _renamed(_selecting(service, green), backend)
    rules = []
    for rule in ingress["spec"]["rules"]:
        paths = [{**p, "backend": {"service": {**p["backend"]["service"], "name": backend}}}
                 for p in rule["http"]["paths"]]
        rules.append({"host": test_host(rule.get("host", ""), service_name, namespace), "http": {"paths": paths}})
    test_ingress = {**_renamed(ingress, route_name(ingress["metadata"]["name"], _owner_uid(ingress))),
                    "spec": {**ingress["spec"], "rules": rules}}
    return [test_service, test_ingress]


def _renamed(manifest: dict, name: str) -> dict:
    return {**manifest, "metadata": {**manifest["metadata"], "name": name}}
