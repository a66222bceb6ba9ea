"""A small generic client for the kinds kube-ecs reads and writes, on top of the kubernetes client.

The typed clients need one method per kind and verb; the apply-child routine treats every child the
same way, so it works on plain dicts addressed by (apiVersion, kind, namespace, name). The kinds are
listed here rather than discovered: discovery costs round trips at start-up and the set is fixed.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import kubernetes
import urllib3
from kubernetes.client.exceptions import ApiException

from kube_ecs import API_VERSION

FIELD_MANAGER = "kube-ecs"

# Every call is bounded: a reconcile runs in a worker thread, and an API server that is down or
# restarting must cost it seconds, not minutes. Connecting to a live API server takes milliseconds;
# the slowest call we make (a labelled list of one Service's pods) answers well within the read timeout.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 20.0
# Reconciles run in threads that spend their time waiting on the API server. Python's default pool
# (cores + 4: six threads on two cores) let six passes stalled on an API server that was coming back
# hold up every other object; so many threads, and as many pooled connections for them.
CONCURRENT_CALLS = 32


def retries() -> urllib3.Retry:
    """A refused or timed-out connect is retried (the request was never sent, so this is safe for POST
    and PATCH too), briefly: after that the pass fails and the daemon retries it on its own schedule,
    woken early by the watches once the API server is back. A read that fails is never retried here:
    the request may have been applied."""
    return urllib3.Retry(total=3, connect=3, read=0, status=0, other=0, redirect=0, backoff_factor=0.2,
                         raise_on_status=False)


def default_api_client() -> kubernetes.client.ApiClient:
    """An ApiClient on the loaded configuration (kubeconfig or ServiceAccount) with our retries."""
    configuration = kubernetes.client.Configuration.get_default_copy()
    configuration.retries = retries()
    configuration.connection_pool_maxsize = CONCURRENT_CALLS
    return kubernetes.client.ApiClient(configuration)


# kind → (plural, namespaced)
KINDS: dict[str, tuple[str, bool]] = {
    "Namespace": ("namespaces", False),
    "ServiceAccount": ("serviceaccounts", True),
    "Service": ("services", True),
    "Deployment": ("deployments", True),
    "DaemonSet": ("daemonsets", True),
    "Ingress": ("ingresses", True),
    "Node": ("nodes", False),
    "Pod": ("pods", True),
    "ReplicaSet": ("replicasets", True),
    "Cluster": ("clusters", False),
    "TaskDefinition": ("taskdefinitions", False),
    "TaskDefinitionRevision": ("taskdefinitionrevisions", False),
    "ContainerInstance": ("containerinstances", False),
    "ValidatingWebhookConfiguration": ("validatingwebhookconfigurations", False),
    "HorizontalPodAutoscaler": ("horizontalpodautoscalers", True),
    "ScalableTarget": ("scalabletargets", True),
    "ScalingPolicy": ("scalingpolicies", True),
    "Task": ("tasks", True),
    "ScheduledTask": ("scheduledtasks", True),
    "Lease": ("leases", True),
}
# Our own "Service" kind shares its name with the core one; the apiVersion tells them apart.
ECS_SERVICE = (API_VERSION, "Service")


class NotFound(Exception):
    pass


class Conflict(Exception):
    """The object exists already (409 on create)."""


class NotLeader(ApiException):
    """A write refused before it is sent: this replica cannot prove it still holds the operator's Lease
    (`kube_ecs.lease`). An ApiException (503), so every caller retries it as it retries the API server
    being away."""

    def __init__(self, path: str):
        super().__init__(status=503, reason=f"not the active replica (Lease not confirmed): {path}")


@dataclass(frozen=True)
class Ref:
    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    @classmethod
    def of(cls, obj: dict) -> Ref:
        meta = obj["metadata"]
        return cls(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


def collection_path(api_version: str, kind: str, namespace: str | None) -> str:
    plural, namespaced = ("services", True) if (api_version, kind) == ECS_SERVICE else KINDS[kind]
    root = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    if namespaced and namespace:
        return f"{root}/namespaces/{namespace}/{plural}"
    return f"{root}/{plural}"


def object_path(ref: Ref) -> str:
    return f"{collection_path(ref.api_version, ref.kind, ref.namespace)}/{ref.name}"


class Client(Protocol):
    """What reconcile/ needs from the API server; `Kube` is the real one, tests use an in-memory one."""

    def get(self, ref: Ref) -> dict | None: ...
    def create(self, obj: dict) -> dict: ...
    def apply(self, obj: dict, *, field_manager: str = FIELD_MANAGER) -> dict: ...
    def patch(self, ref: Ref, patch: dict | list, *, subresource: str = "", json_patch: bool = False) -> dict: ...
    def delete(self, ref: Ref) -> None: ...
    def list(self, api_version: str, kind: str, namespace: str | None, selector: str) -> list[dict]: ...
    def evict(self, namespace: str, name: str) -> bool: ...


class Kube:
    """`Client` over HTTP. Thread-safe: handlers run it from Kopf's thread pool."""

    def __init__(self, api_client: kubernetes.client.ApiClient | None = None,
                 may_write: Callable[[], bool] | None = None):
        self._api = api_client or default_api_client()
        # Asked before every write (`kube_ecs.lease.may_write` in the operator); None: always allowed.
        self._may_write = may_write

    def _call(self, method: str, path: str, *, body: Any = None, query: list | None = None,
              content_type: str = "application/json") -> Any:
        if method != "GET" and self._may_write is not None and not self._may_write():
            raise NotLeader(path)
        try:
            return self._api.call_api(
                path, method, query_params=query or [], body=body,
                header_params={"Content-Type": content_type, "Accept": "application/json"},
                response_type="object", auth_settings=["BearerToken"],
                _return_http_data_only=True, _preload_content=True,
                _request_timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            )
        except ApiException as e:
            if e.status == 404:
                raise NotFound(path) from e
            if e.status == 409 and method == "POST":
                raise Conflict(path) from e
            raise

    def get(self, ref: Ref) -> dict | None:
        try:
            return self._call("GET", object_path(ref))
        except NotFound:
            return None

    def create(self, obj: dict) -> dict:
        ref = Ref.of(obj)
        return self._call("POST", collection_path(ref.api_version, ref.kind, ref.namespace), body=obj,
                          query=[("fieldManager", FIELD_MANAGER)])

    def apply(self, obj: dict, *, field_manager: str = FIELD_MANAGER) -> dict:
        """Server-side apply with force: the fields we stop sending are removed, and a hand edit of a
        field we own is taken back (self-healing)."""
        return self._call("PATCH", object_path(Ref.of(obj)), body=obj,
                          query=[("fieldManager", field_manager), ("force", "true")],
                          content_type="application/apply-patch+yaml")

    def patch(self, ref: Ref, patch: dict | list, *, subresource: str = "", json_patch: bool = False) -> dict:
        path = object_path(ref) + (f"/{subresource}" if subresource else "")
        content_type = "application/json-patch+json" if json_patch else "application/merge-patch+json"
        return self._call("PATCH", path, body=patch, content_type=content_type)

    def delete(self, ref: Ref) -> None:
        with contextlib.suppress(NotFound):
            self._call("DELETE", object_path(ref), body={"propagationPolicy": "Background"})

    def list(self, api_version: str, kind: str, namespace: str | None, selector: str) -> list[dict]:
        result = self._call("GET", collection_path(api_version, kind, namespace),
                            query=[("labelSelector", selector)])
        # Items of a list carry no apiVersion/kind; put them back so they address themselves.
        return [{"apiVersion": api_version, "kind": kind, **item} for item in result.get("items", [])]


    def evict(self, namespace: str, name: str) -> bool:
        """The Eviction API (what `kubectl drain` uses): False while a PodDisruptionBudget refuses it."""
        body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": namespace}}
        try:
            self._call("POST", f"/api/v1/namespaces/{namespace}/pods/{name}/eviction", body=body)
        except NotFound:
            pass
        except ApiException as e:
            if e.status == 429:
                return False
            raise
        return True


def api_error_message(error: Exception) -> str:
    """The API server's own message (e.g. an admission refusal) instead of a dump of the response."""
    if isinstance(error, ApiException) and error.body:
        try:
            return json.loads(error.body).get("message", str(error))
        except (ValueError, AttributeError):
            return str(error.body)
    return str(error)
