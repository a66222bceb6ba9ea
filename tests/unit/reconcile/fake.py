"""An in-memory stand-in for reconcile.kube.Client: enough of the API server's behaviour (create,
server-side apply, merge and JSON patches, list by labels) to table-test the reconcilers without a
cluster.

Server-side apply is modelled as the API server does it, per field manager: every write records
which fields its manager set (`managed`). An apply removes the fields its manager set before and no
longer sends, unless another manager set them too; a field whose value it changes is taken from the
manager that owned it (force, as `Kube.apply` asks). Lists Kubernetes merges by key
(x-kubernetes-list-map-keys, e.g. containers by name) are merged item by item; other lists are atomic.
A field nobody manages (set in the constructor or straight in `objects`) is never removed by an apply.

The Eviction API is modelled minimally: an eviction deletes the pod (if stored) and is recorded in
`evicted`; one of `refuse_evictions` is refused, as a PodDisruptionBudget would (429: `evict` is False).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable
from typing import Any, TypeGuard

from kubernetes.client.exceptions import ApiException

from kube_ecs.reconcile.kube import FIELD_MANAGER, Conflict, NotFound, Ref

# A field: the keys from the object's root; an item of a keyed list is ("=", *its key values).
Path = tuple[Any, ...]
Manager = tuple[str, str]  # (field manager, "Apply" | "Update"), as in metadata.managedFields

# The keyed lists of the kinds the operator writes (the list's field name → the item's key fields).
_LIST_KEYS = {
    "ownerReferences": ("uid",),
    "containers": ("name",),
    "initContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "imagePullSecrets": ("name",),
    "ports": ("containerPort", "port", "protocol"),  # a container's or a Service's
}


def _keyed(value: object, field: object) -> TypeGuard[list[dict]]:
    return field in _LIST_KEYS and isinstance(value, list) and all(isinstance(i, dict) for i in value)


def _item_key(field: Any, item: dict) -> tuple:
    return ("=", *(item.get(k) for k in _LIST_KEYS[field]))


def _fields(value: object, path: Path = ()) -> dict[Path, object]:
    """Every field in `value` (maps, keyed-list items and their contents) → its value."""
    found: dict[Path, object] = {path: value} if path else {}
    field = path[-1] if path else None
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(_fields(item, (*path, key)))
    elif _keyed(value, field):
        for item in value:
            found.update(_fields(item, (*path, _item_key(field, item))))
    return found


def _is_leaf(path: Path, value: object) -> bool:
    return not (isinstance(value, dict) and value) and not _keyed(value, path[-1])


def _apply_merge(live: object, applied: object, field: object = None) -> object:
    """`applied` over `live`: maps merged by key, keyed lists item by item (applied order first, then
    the items only others set), anything else replaced."""
    if isinstance(live, dict) and isinstance(applied, dict):
        merged = copy.deepcopy(live)
        for key, value in applied.items():
            merged[key] = _apply_merge(live.get(key), value, key)
        return merged
    if _keyed(live, field) and _keyed(applied, field):
        by_key = {_item_key(field, item): item for item in live}
        ours = [_apply_merge(by_key.get(_item_key(field, item)), item) for item in applied]
        sent = {_item_key(field, item) for item in applied}
        return ours + [copy.deepcopy(item) for item in live if _item_key(field, item) not in sent]
    return copy.deepcopy(applied)


def _merge_patch(base: dict, patch: dict) -> dict:
    """RFC 7386: maps merged, null deletes, lists replaced."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_patch(merged[key], value)
        elif value is None:
            merged.pop(key, None)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _child(node: object, field: object, key: object) -> object:
    """The field `key` of map `node`, or the item of keyed list `node` (named `field`) with key `key`."""
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list):
        return next((item for item in node if _item_key(field, item) == key), None)
    return None


def _remove(obj: dict, path: Path) -> None:
    node: object = obj
    for i, key in enumerate(path[:-1]):
        node = _child(node, path[i - 1] if i else None, key)
    if isinstance(node, dict):
        node.pop(path[-1], None)
    elif isinstance(node, list):
        node[:] = [item for item in node if _item_key(path[-2], item) != path[-1]]


class FakeClient:
    def __init__(self, *objects: dict, refuse_evictions: Iterable[str] = ()):
        self.objects: dict[Ref, dict] = {}
        # Ref → manager → the fields it set (only fields still present).
        self.managed: dict[Ref, dict[Manager, set[Path]]] = {}
        self.writes: list[tuple[str, Ref]] = []
        self.evicted: list[str] = []  # the names of the pods evicted, in order
        self.refuse_evictions = set(refuse_evictions)
        self._uids = itertools.count(1)
        for obj in objects:
            self._store(copy.deepcopy(obj))

    def _store(self, obj: dict) -> dict:
        obj.setdefault("metadata", {}).setdefault("uid", f"uid-{next(self._uids)}")
        ref = Ref.of(obj)
        self.objects[ref] = obj
        present = set(_fields(obj))
        for fields in self.managed.get(ref, {}).values():
            fields &= present  # a field removed by any write is nobody's any more
        return copy.deepcopy(obj)

    def _record(self, ref: Ref, manager: Manager, sent: dict, before: dict) -> None:
        """`manager` now owns what it sent, and takes over every value it changed."""
        fields = _fields(sent)
        live = _fields(before)
        managers = self.managed.setdefault(ref, {})
        for other, owned in managers.items():
            if other != manager:
                owned -= {p for p, v in fields.items() if _is_leaf(p, v) and p in live and live[p] != v}
        managers[manager] = set(fields)

    def get(self, ref: Ref) -> dict | None:
        obj = self.objects.get(ref)
        return copy.deepcopy(obj) if obj else None

    def create(self, obj: dict) -> dict:
        ref = Ref.of(obj)
        if ref in self.objects:
            raise Conflict(str(ref))
        self.writes.append(("create", ref))
        self._record(ref, (FIELD_MANAGER, "Update"), obj, {})
        return self._store(copy.deepcopy(obj))

    def apply(self, obj: dict, *, field_manager: str = FIELD_MANAGER) -> dict:
        ref = Ref.of(obj)
        self.writes.append(("apply", ref))
        manager = (field_manager, "Apply")
        before = self.objects.get(ref, {})
        previously = set(self.managed.get(ref, {}).get(manager, ()))
        before_managers = copy.deepcopy(self.managed.get(ref, {}))
        self._record(ref, manager, obj, before)
        managers = self.managed[ref]
        kept = set().union(*(owned for m, owned in managers.items() if m != manager))
        merged = _apply_merge(before, obj)
        assert isinstance(merged, dict)
        # Deepest first, so a map we no longer send goes with everything in it that only we set.
        for path in sorted(previously - managers[manager], key=len, reverse=True):
            if not any(other[:len(path)] == path for other in kept):
                _remove(merged, path)
        ports = [port.get("name") for port in (merged.get("spec") or {}).get("ports") or [] if obj["kind"] == "Service"]
        if len(ports) != len(set(ports)):  # the API server's validation of a Service
            self.managed[ref] = before_managers
            raise ApiException(status=422, reason=f"{ref} is invalid: spec.ports: Duplicate value (port names)")
        return self._store(merged)

    def patch(self, ref: Ref, patch: dict | list, *, subresource: str = "", json_patch: bool = False,
              field_manager: str = "kubectl-patch") -> dict:
        """A merge or JSON patch (an Update: it owns what it sets, taking it from whoever had it).
        `field_manager` is not part of `Client`: tests name the editor of a hand edit with it."""
        if ref not in self.objects:
            raise NotFound(str(ref))
        self.writes.append(("patch" + (f"/{subresource}" if subresource else ""), ref))
        obj = self.objects[ref]
        if json_patch:
            assert isinstance(patch, list)
            for op in patch:
                if op["op"] == "remove":
                    index = int(op["path"].rsplit("/", 1)[1])
                    del obj["metadata"]["ownerReferences"][index]
            return self._store(obj)
        assert isinstance(patch, dict)
        self._record(ref, (field_manager, "Update"), _merge_patch({}, patch), obj)
        return self._store(_merge_patch(obj, patch))

    def delete(self, ref: Ref) -> None:
        self.writes.append(("delete", ref))
        self.objects.pop(ref, None)
        self.managed.pop(ref, None)

    def list(self, api_version: str, kind: str, namespace: str | None, selector: str) -> list[dict]:
        wanted = dict(term.split("=", 1) for term in selector.split(",") if term)
        return [copy.deepcopy(obj) for ref, obj in self.objects.items()
                if (ref.api_version, ref.kind) == (api_version, kind) and (namespace is None or ref.namespace == namespace)
                and all((obj["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items())]

    def evict(self, namespace: str, name: str) -> bool:
        """As `Kube.evict`: True once evicted (a pod already gone counts too), False when refused."""
        if name in self.refuse_evictions:
            return False
        ref = Ref("v1", "Pod", name, namespace)
        self.writes.append(("evict", ref))
        self.objects.pop(ref, None)
        self.managed.pop(ref, None)
        self.evicted.append(name)
        return True
