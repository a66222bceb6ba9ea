"""ECR image names → the cluster's own registry (docs/registry.md). Pure.

A task definition pasted from an ECS account names `<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`
(or `public.ecr.aws/<alias>/<repo>:<tag>`), which cannot resolve on a local cluster. A Cluster whose
`ecrMirror` names a registry runs those images as `<registry>/<repo>:<tag>`, so the same file runs
once the image is pushed under the same repository name. Done in the pod spec rather than in the
nodes' registry configuration: it is per Cluster (opt-in), the pod shows what is pulled, and no
account or region has to be known in advance.
"""

from __future__ import annotations

import re

# The registry part of an ECR name: private (with the China and FIPS variants) or ECR Public's alias.
_ECR = re.compile(r"^(?:\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?"
                  r"|public\.ecr\.aws/[^/]+)/(?P<repo>.+)$")


def mirrored(image: str, registry: str | None) -> str:
    """`image` as pulled from `registry` when it is an ECR name, else `image` unchanged."""
    found = _ECR.match(image) if registry else None
    return f"{registry.rstrip('/')}/{found['repo']}" if found and registry else image


def with_mirror(taskdef: dict, registry: str | None) -> dict:
    """`taskdef` with its containers' ECR images mirrored (a copy; `taskdef` itself is unchanged)."""
    if not registry:
        return taskdef
    containers = [{**c, "image": mirrored(c["image"], registry)} if "image" in c else c
                  for c in taskdef.get("containerDefinitions", [])]
    return {**taskdef, "containerDefinitions": containers}
