"""Thin Kopf registrations, one module per custom resource. Importing this package registers them.

mypy checks every handler against Kopf's callback protocols, so:
- Kopf's kwargs keep Kopf's types: `body: kopf.Body`, `spec: kopf.Spec`, `status: kopf.Status`,
  `labels: kopf.Labels`, `namespace: str | None` (assert it is not None for a namespaced resource).
- Pure functions that only read an object take `Mapping[str, Any]`, so a kopf.Body fits as is. A
  handler that needs a plain dict (a snapshot for a worker thread) copies it under a new name:
  `snapshot = dict(body)`, never `body = dict(body)`.
- Helpers that tests call with plain dicts take the minimal protocol, e.g. an index as
  `Mapping[str, Collection[str]]`.
- Index kwargs (`services_by_namespace: kopf.Index`) have no place in Kopf's protocols: only the
  registering decorator nearest the function gets `# type: ignore[arg-type]`, under a comment saying so.
"""

from kube_ecs.handlers import (
    autoscaling,
    capacity_providers,
    clusters,
    container_instances,
    indexes,
    scheduled_tasks,
    services,
    taskdefinitions,
    tasks,
)

__all__ = ["autoscaling", "capacity_providers", "clusters", "container_instances", "indexes", "scheduled_tasks",
           "services", "taskdefinitions", "tasks"]
