"""The one apply-child routine, for every kind the operator makes.

get → missing: create → exists but controlled by someone else: report, never touch → ours: compare
the fields we own, write only on a difference. A reconcile with nothing to do writes nothing.

"The fields we own" are checked two ways, because each alone misses a case:
- the desired object must be a semantic subset of the live one (catches hand edits; ignores what the
  API server defaults, such as a container's terminationMessagePath);
- a hash of the desired object is kept in an annotation (catches fields we stopped wanting, which a
  subset check cannot see).
Writes are server-side applies under our field manager, so a field we stop sending is removed and a
field someone edited by hand is taken back.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from kubernetes.client.exceptions import ApiException
from kubernetes.utils import parse_quantity

from kube_ecs import GROUP
from kube_ecs.reconcile.kube import FIELD_MANAGER, Client, Ref

log = logging.getLogger(__name__)

HASH_ANNOTATION = f"{GROUP}/desired-hash"
MANAGED_BY = ("app.kubernetes.io/managed-by", "kube-ecs")
# Parents whose values are resource quantities: the API server rewrites "1024Mi" as "1Gi".
_QUANTITY_PARENTS = frozenset({"limits", "requests", "hard", "sizeLimit"})

Action = Literal["created", "updated", "unchanged", "conflict"]


@dataclass(frozen=True)
class Applied:
    ref: Ref
    action: Action
    live: dict | None
    message: str = ""


def controller_uid(obj: dict) -> str | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def desired_hash(desired: dict) -> str:
    """Hash of the desired object without its owner references: objects several owners share (a
    ServiceAccount) hash the same for each of them, so they do not fight over the annotation."""
    meta = {k: v for k, v in desired["metadata"].items() if k != "ownerReferences"}
    return hashlib.sha256(json.dumps({**desired, "metadata": meta}, sort_keys=True).encode()).hexdigest()[:16]


def with_hash(desired: dict) -> dict:
    meta = desired["metadata"]
    annotations = {**meta.get("annotations", {}), HASH_ANNOTATION: desired_hash(desired)}
    return {**desired, "metadata": {**meta, "annotations": annotations}}


def _same_scalar(live: object, desired: object, parent: str) -> bool:
    if live == desired:
        return True
    if parent in _QUANTITY_PARENTS and isinstance(desired, (str, int)) and isinstance(live, (str, int)):
        try:
            return parse_quantity(live) == parse_quantity(desired)
        except ValueError:
            return False
    return False


def contains(live: object, desired: object, parent: str = "") -> bool:
    """Is `desired` a semantic subset of `live`? Maps: every desired key, recursively. Lists: same
    length, element-wise (order means something in containers, env, ports). Owner references: each
    desired one is present (others may share the object)."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return False
        # Inside `limits`/`requests` every value is a quantity, whatever its own key.
        return all(key in live and contains(live[key], value, parent if parent in _QUANTITY_PARENTS else key)
                   for key, value in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list):
            return False
        if parent == "ownerReferences":
            return all(any(contains(have, want) for have in live) for want in desired)
        return len(live) == len(desired) and all(contains(h, w, parent) for h, w in zip(live, desired, strict=True))
    return _same_scalar(live, desired, parent)


def ownership_problem(live: dict, desired: dict) -> str | None:
    """Why `live` is not ours to change, or None. A desired controller must already be the live one's
    controller; an object we share (non-controller owners) must have been made by kube-ecs; an object
    we only label (an adopted Namespace) must have no other controller."""
    refs = desired["metadata"].get("ownerReferences") or []
    want = next((r for r in refs if r.get("controller")), None)
    have = controller_uid(live)
    if want is not None:
        if have != want["uid"]:
            return f"{Ref.of(desired)} exists and is not controlled by {want['kind']} {want['name']}"
        return None
    if have is not None:
        return f"{Ref.of(desired)} exists and is controlled by another object"
    labels = live["metadata"].get("labels") or {}
    if refs and labels.get(MANAGED_BY[0]) != MANAGED_BY[1]:
        return f"{Ref.of(desired)} exists and was not made by kube-ecs"
    return None


def field_manager(desired: dict) -> str:
    """Each owner of a shared object applies under its own manager: its owner reference and labels are
    then its own, and one owner's apply never removes another's reference."""
    shared = [r for r in desired["metadata"].get("ownerReferences") or [] if not r.get("controller")]
    return f"{FIELD_MANAGER}-{shared[0]['uid']}" if shared else FIELD_MANAGER


def apply_child(client: Client, desired: dict) -> Applied:
    desired = with_hash(desired)
    ref = Ref.of(desired)
    live = client.get(ref)
    if live is None:
        return Applied(ref, "created", client.apply(desired, field_manager=field_manager(desired)))
    problem = ownership_problem(live, desired)
    if problem:
        return Applied(ref, "conflict", live, problem)
    if contains(live, desired):
        return Applied(ref, "unchanged", live)
    try:
        return Applied(ref, "updated", client.apply(desired, field_manager=field_manager(desired)))
    except ApiException as e:
        if e.status != 422:
            raise
    # A hand edit of a keyed list item's key (a Service port's number) made the item another manager's:
    # an apply adds ours beside it, which the API server refuses when their names clash. A merge patch
    # replaces each list with ours; the apply after it owns the fields again.
    client.patch(ref, {k: v for k, v in desired.items() if k not in ("apiVersion", "kind", "metadata")})
    return Applied(ref, "updated", client.apply(desired, field_manager=field_manager(desired)))


def prune(
    client: Client, *, owner_uid: str, keep: Iterable[Ref], kinds: Iterable[tuple[str, str]],
    namespace: str, selector: str,
) -> list[Ref]:
    """Delete the objects of `kinds` matching `selector` that `owner_uid` controls and that are no
    longer desired (e.g. the Ingress once loadBalancers is emptied). Objects the owner only shares
    lose its owner reference, and go when it was the last one."""
    keep = set(keep)
    removed = []
    for api_version, kind in kinds:
        for obj in client.list(api_version, kind, namespace, selector):
            ref = Ref.of(obj)
            refs = obj["metadata"].get("ownerReferences") or []
            index = next((i for i, r in enumerate(refs) if r.get("uid") == owner_uid), None)
            if ref in keep or index is None:
                continue
            if refs[index].get("controller") or len(refs) == 1:
                client.delete(ref)
            else:
                # The test makes the removal safe against a concurrent change of the list.
                client.patch(ref, [
                    {"op": "test", "path": f"/metadata/ownerReferences/{index}/uid", "value": owner_uid},
                    {"op": "remove", "path": f"/metadata/ownerReferences/{index}"},
                ], json_patch=True)
            removed.append(ref)
    return removed
