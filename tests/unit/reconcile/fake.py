"""An in-memory stand-in for reconcile.kube.Client: enough of the API server's behaviour (create,
server-side apply as a merge, list by labels) to table-test the reconcilers without a cluster."""

from __future__ import annotations

import copy
import itertools

from kube_ecs.reconcile.kube import Conflict, NotFound, Ref


def _merge(base: dict, patch: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        elif value is None:
            merged.pop(key, None)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class FakeClient:
    def __init__(self, *objects: dict):
        self.objects: dict[Ref, dict] = {}
        self.writes: list[tuple[str, Ref]] = []
        self._uids = itertools.count(1)
        for obj in objects:
            self._store(copy.deepcopy(obj))

    def _store(self, obj: dict) -> dict:
        obj.setdefault("metadata", {}).setdefault("uid", f"uid-{next(self._uids)}")
        self.objects[Ref.of(obj)] = obj
        return copy.deepcopy(obj)

    def get(self, ref: Ref) -> dict | None:
        obj = self.objects.get(ref)
        return copy.deepcopy(obj) if obj else None

    def create(self, obj: dict) -> dict:
        if Ref.of(obj) in self.objects:
            raise Conflict(str(Ref.of(obj)))
        self.writes.append(("create", Ref.of(obj)))
        return self._store(copy.deepcopy(obj))

    def apply(self, obj: dict, *, field_manager: str = "kube-ecs") -> dict:
        ref = Ref.of(obj)
        self.writes.append(("apply", ref))
        return self._store(_merge(self.objects.get(ref, {}), obj))

    def patch(self, ref: Ref, patch: dict | list, *, subresource: str = "", json_patch: bool = False) -> dict:
        if ref not in self.objects:
            raise NotFound(str(ref))
        self.writes.append(("patch" + (f"/{subresource}" if subresource else ""), ref))
        if json_patch:
            obj = self.objects[ref]
            for op in patch:
                if op["op"] == "remove":
                    index = int(op["path"].rsplit("/", 1)[1])
                    del obj["metadata"]["ownerReferences"][index]
            return copy.deepcopy(obj)
        return self._store(_merge(self.objects[ref], patch))

    def delete(self, ref: Ref) -> None:
        self.writes.append(("delete", ref))
        self.objects.pop(ref, None)

    def list(self, api_version: str, kind: str, namespace: str | None, selector: str) -> list[dict]:
        wanted = dict(term.split("=", 1) for term in selector.split(",") if term)
        return [copy.deepcopy(obj) for ref, obj in self.objects.items()
                if (ref.api_version, ref.kind) == (api_version, kind) and (namespace is None or ref.namespace == namespace)
                and all((obj["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items())]
