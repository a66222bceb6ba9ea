"""Thin Kopf registrations, one module per custom resource. Importing this package registers them."""

from kube_ecs.handlers import clusters, container_instances, indexes, services, taskdefinitions

__all__ = ["clusters", "container_instances", "indexes", "services", "taskdefinitions"]
