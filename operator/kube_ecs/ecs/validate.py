"""ECS's own checks: what RegisterTaskDefinition and CreateService would refuse, refused here with the
field path and, where ECS has one, ECS's wording. Takes normalized specs (normalize.py).

Rejected fields (rules.py) are refused here too, with the rule's reason. `check_task_definition` and
`check_service` run normalize and validate as one step: the operator and `kube-ecs convert` share them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from kube_ecs.ecs import capacity, model, rules
from kube_ecs.ecs.normalize import (
    normalize_capacity_provider,
    normalize_cluster,
    normalize_service,
    normalize_task_definition,
)
from kube_ecs.ecs.problems import InvalidSpec, Note, Problem, join

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_NAME_RULE = "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed."
_RUN_TO_COMPLETION = ("COMPLETE", "SUCCESS")
# Container lists whose entries are nothing without these members (botocore marks only some required).
_ENTRY_MEMBERS = {"environment": ("name",), "secrets": ("name", "valueFrom"), "systemControls": ("namespace", "value")}
MIN_CONTAINER_MEMORY = 6  # MiB, ECS's floor for a container's memory and memoryReservation

# Fargate's task sizes (ECS's table): cpu units → the memory values (MiB) allowed with it.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
# Ranges ECS accepts (inclusive).
HEALTH_CHECK_RANGES = {"interval": (5, 300), "timeout": (2, 60), "retries": (1, 10), "startPeriod": (0, 300)}
EC2_TASK_CPU = (128, 196608)
EPHEMERAL_GIB = (21, 200)
STOP_TIMEOUT_MAX = 120
# ECS refuses capacity provider names with these prefixes: they are its own.
RESERVED_PREFIXES = ("aws", "ecs", "fargate")


def _memory_choices(allowed: tuple[int, ...]) -> str:
    if len(allowed) <= 4:
        return f"one of {', '.join(map(str, allowed))} MiB"
    return f"{allowed[0]} to {allowed[-1]} MiB in steps of {allowed[1] - allowed[0]}"


def rejected_problems(spec: dict, root: str) -> list[Problem]:
    return [Problem(path, f"not supported on Kubernetes: {rule.text}")
            for path, rule in rules.present(spec, root) if rule.kind == rules.REJECTED]


# --- task definitions -----------------------------------------------------------------------------


def _task_size(spec: dict, fargate: bool) -> Iterator[Problem]:
    cpu, memory = spec.get("cpu"), spec.get("memory")
    if fargate:
        if cpu is None:
            yield Problem("cpu", "Fargate requires that 'cpu' be defined at the task level.")
        if memory is None:
            yield Problem("memory", "Fargate requires that 'memory' be defined at the task level.")
        if cpu is not None and cpu not in FARGATE_SIZES:
            yield Problem("cpu", f"Invalid 'cpu' setting for task. Fargate takes {', '.join(map(str, FARGATE_SIZES))} "
                                 f"cpu units, not {cpu}.")
        elif cpu is not None and memory is not None and memory not in FARGATE_SIZES[cpu]:
            yield Problem("memory", f"Invalid 'memory' setting for task. No Fargate configuration exists for "
                                    f"{cpu} CPU units and {memory} MiB: with {cpu} CPU units memory is "
                                    f"{_memory_choices(FARGATE_SIZES[cpu])}.")
    elif cpu is not None and not EC2_TASK_CPU[0] <= cpu <= EC2_TASK_CPU[1]:
        yield Problem("cpu", f"Invalid 'cpu' setting for task. Task cpu must be between {EC2_TASK_CPU[0]} and "
                             f"{EC2_TASK_CPU[1]} cpu units.")
    if memory is not None and memory < MIN_CONTAINER_MEMORY:
        yield Problem("memory", "Invalid 'memory' setting for task.")
    containers = spec["containerDefinitions"]
    if memory is not None:
        hard = sum(c.get("memory", 0) for c in containers)
        if hard > memory:
            yield Problem("memory", f"Invalid 'memory' setting for task. The sum of the containers' memory "
                                    f"({hard} MiB) is greater than the task memory ({memory} MiB).")
        reserved = sum(c.get("memoryReservation", 0) for c in containers)
        if reserved > memory:
            yield Problem("memory", f"Invalid 'memory' setting for task. The sum of the containers' "
                                    f"memoryReservation ({reserved} MiB) is greater than the task memory "
                                    f"({memory} MiB).")
    if cpu is not None and (used := sum(c.get("cpu", 0) for c in containers)) > cpu:
        yield Problem("cpu", f"Invalid 'cpu' setting for task. The sum of the containers' cpu ({used}) is greater "
                             f"than the task cpu ({cpu}).")


def _container_memory(path: str, container: dict, task_memory: int | None) -> Iterator[Problem]:
    name = container.get("name", "")
    memory, reservation = container.get("memory"), container.get("memoryReservation")
    if task_memory is None and memory is None and reservation is None:
        yield Problem(path, f"Invalid setting for container '{name}'. At least one of 'memory' or "
                            f"'memoryReservation' must be specified.")
    for field, value in (("memory", memory), ("memoryReservation", reservation)):
        if value is not None and value < MIN_CONTAINER_MEMORY:
            yield Problem(join(path, field), f"Invalid '{field}' setting for container '{name}'. The minimum is "
                                             f"{MIN_CONTAINER_MEMORY} MiB.")
    if memory is not None and reservation is not None and reservation > memory:
        yield Problem(join(path, "memoryReservation"), f"Invalid 'memoryReservation' setting for container "
                                                       f"'{name}'. It must be less than or equal to 'memory' "
                                                       f"({memory} MiB).")
    if task_memory is not None and memory is not None and memory > task_memory:
        yield Problem(join(path, "memory"), f"Invalid 'memory' setting for container '{name}'. It is greater "
                                            f"than the task memory ({task_memory} MiB).")


def _ports(path: str, container: dict, network_mode: str) -> Iterator[Problem]:
    mappings = container.get("portMappings", [])
    if network_mode == "none" and mappings:
        yield Problem(join(path, "portMappings"), "Port mappings are not supported when networkMode=none.")
        return
    for j, mapping in enumerate(mappings):
        where = join(join(path, "portMappings"), j)
        port, host = mapping.get("containerPort"), mapping.get("hostPort")
        if port is None and not mapping.get("containerPortRange"):
            yield Problem(join(where, "containerPort"), f"Invalid 'containerPort' setting for container "
                                                        f"'{container.get('name', '')}'.")
        for field, value in (("containerPort", port), ("hostPort", host)):
            if value is not None and not (0 if field == "hostPort" else 1) <= value <= 65535:
                yield Problem(join(where, field), f"Invalid '{field}' setting for container "
                                                  f"'{container.get('name', '')}': ports are 1 to 65535.")
        if network_mode in ("awsvpc", "host") and port is not None and host not in (None, port):
            yield Problem(join(where, "hostPort"), f"When networkMode={network_mode}, the host ports and container "
                                                   f"ports in port mappings must match.")
        if mapping.get("containerPortRange") and port is not None:
            yield Problem(where, "containerPort and containerPortRange cannot both be set.")


def _health_check(path: str, check: dict) -> Iterator[Problem]:
    command = check.get("command") or []
    if not command:
        yield Problem(join(path, "command"), "The health check command cannot be empty.")
    elif command[0] in ("CMD", "CMD-SHELL") and len(command) < 2:
        yield Problem(join(path, "command"), f"The health check command {command[0]} needs a command to run.")
    for field, (low, high) in HEALTH_CHECK_RANGES.items():
        if not low <= check[field] <= high:
            yield Problem(join(path, field), f"Invalid '{field}' setting for health check: it must be between "
                                             f"{low} and {high}.")


def _references(path: str, container: dict, names: set[str], volumes: set[str]) -> Iterator[Problem]:
    name = container.get("name", "")
    for j, dependency in enumerate(container.get("dependsOn", [])):
        target = dependency["containerName"]
        where = join(join(join(path, "dependsOn"), j), "containerName")
        if target == name:
            yield Problem(where, f"Container '{name}' cannot depend on itself.")
        elif target not in names:
            yield Problem(where, f"Container '{name}' depends on container '{target}', which does not exist in "
                                 f"the task definition.")
    for j, link in enumerate(container.get("links", [])):
        target = link.split(":", 1)[0]
        if target not in names or target == name:
            yield Problem(join(join(path, "links"), j), f"Container '{name}' links to container '{target}', "
                                                        f"which does not exist in the task definition.")
    for j, source in enumerate(container.get("volumesFrom", [])):
        target = source.get("sourceContainer")
        if target not in names or target == name:
            yield Problem(join(join(join(path, "volumesFrom"), j), "sourceContainer"),
                          f"Container '{name}' mounts volumes from container '{target}', which does not exist in "
                          f"the task definition.")
    for j, point in enumerate(container.get("mountPoints", [])):
        where = join(join(path, "mountPoints"), j)
        if not point.get("sourceVolume"):
            yield Problem(join(where, "sourceVolume"), f"Container '{name}': a mount point needs a sourceVolume.")
        elif point["sourceVolume"] not in volumes:
            yield Problem(join(where, "sourceVolume"), f"Unknown volume '{point['sourceVolume']}'.")
        if not point.get("containerPath"):
            yield Problem(join(where, "containerPath"), f"Container '{name}': a mount point needs a containerPath.")


def _dependencies(containers: list[dict]) -> Iterator[Problem]:
    """COMPLETE/SUCCESS only on non-essential containers, HEALTHY only on containers with a health
    check, and no dependency cycle."""
    by_name = {c.get("name"): c for c in containers}
    for i, container in enumerate(containers):
        for j, dependency in enumerate(container.get("dependsOn", [])):
            target = by_name.get(dependency["containerName"])
            where = join(join(join("containerDefinitions", i), "dependsOn"), j)
            if target is None:
                continue
            if dependency["condition"] in _RUN_TO_COMPLETION and target["essential"]:
                yield Problem(join(where, "condition"), f"Dependency condition {dependency['condition']} cannot "
                                                        f"be used on essential container '{target['name']}'.")
            if dependency["condition"] == "HEALTHY" and not target.get("healthCheck"):
                yield Problem(join(where, "condition"), f"Dependency condition HEALTHY requires container "
                                                        f"'{target['name']}' to have a healthCheck.")
    graph = {c.get("name", ""): [d["containerName"] for d in c.get("dependsOn", [])] for c in containers}
    if cycle := _cycle(graph):
        yield Problem("containerDefinitions", f"Circular container dependency: {' -> '.join(cycle)}.")


def _cycle(graph: dict[str, list[str]]) -> list[str]:
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt] if nxt in path else [node, nxt]
            if nxt in graph and not state.get(nxt) and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return []

    for node in graph:
        if not state.get(node) and (found := visit(node, [node])):
            return found
    return []


def _fargate(spec: dict) -> Iterator[Problem]:
    """What Fargate does not run (RegisterTaskDefinition refuses these with FARGATE compatibility)."""
    if spec["networkMode"] != "awsvpc":
        yield Problem("networkMode", "Fargate only supports network mode 'awsvpc'.")
    for field in ("pidMode", "ipcMode"):
        if spec.get(field) == "host":
            yield Problem(field, f"{field} 'host' is not supported on Fargate.")
    if spec.get("placementConstraints"):
        yield Problem("placementConstraints", "Task placement constraints are not supported on Fargate.")
    for i, volume in enumerate(spec.get("volumes", [])):
        for field in ("host", "dockerVolumeConfiguration"):
            if field in volume and (field != "host" or volume["host"].get("sourcePath")):
                yield Problem(join(join("volumes", i), field), f"Fargate does not support {field} volumes.")
    for i, container in enumerate(spec["containerDefinitions"]):
        path = join("containerDefinitions", i)
        if container.get("privileged"):
            yield Problem(join(path, "privileged"), "Fargate does not support privileged containers.")
        linux = container.get("linuxParameters", {})
        for field in ("devices", "sharedMemorySize", "tmpfs", "maxSwap", "swappiness"):
            if field in linux:
                yield Problem(join(join(path, "linuxParameters"), field), f"Fargate does not support "
                                                                          f"linuxParameters.{field}.")
        if any(r["type"] == "GPU" for r in container.get("resourceRequirements", [])):
            yield Problem(join(path, "resourceRequirements"), "Fargate does not support GPU resource requirements.")
        if container.get("stopTimeout", 0) > STOP_TIMEOUT_MAX:
            yield Problem(join(path, "stopTimeout"), f"stopTimeout is at most {STOP_TIMEOUT_MAX} seconds on Fargate.")


def _volumes(spec: dict) -> Iterator[Problem]:
    counts = Counter(v.get("name") for v in spec.get("volumes", []))
    for i, volume in enumerate(spec.get("volumes", [])):
        where = join("volumes", i)
        if not volume.get("name") or not _NAME.match(volume["name"]):
            yield Problem(join(where, "name"), f"Invalid volume name. {_NAME_RULE}")
        elif counts[volume["name"]] > 1:
            yield Problem(join(where, "name"), f"Duplicate volume name '{volume['name']}'.")
        kinds = [k for k in ("host", "dockerVolumeConfiguration", "efsVolumeConfiguration",
                             "s3filesVolumeConfiguration", "fsxWindowsFileServerVolumeConfiguration") if k in volume]
        if len(kinds) > 1:
            yield Problem(where, f"A volume can have only one of {', '.join(kinds)}.")
        efs = volume.get("efsVolumeConfiguration")
        if efs:
            encrypted = efs.get("transitEncryption") == "ENABLED"
            auth = efs.get("authorizationConfig", {})
            if auth.get("iam") == "ENABLED" and not encrypted:
                yield Problem(join(where, "efsVolumeConfiguration.authorizationConfig.iam"),
                              "Transit encryption must be enabled when IAM authorization is used.")
            if auth.get("accessPointId") and not encrypted:
                yield Problem(join(where, "efsVolumeConfiguration.authorizationConfig.accessPointId"),
                              "Transit encryption must be enabled when an access point is used.")
            if auth.get("accessPointId") and efs.get("rootDirectory", "/") != "/":
                yield Problem(join(where, "efsVolumeConfiguration.rootDirectory"),
                              "The root directory must be omitted or '/' when an access point is used.")


def _container(i: int, container: dict, spec: dict, names: set[str], volumes: set[str]) -> Iterator[Problem]:
    path = join("containerDefinitions", i)
    if not container.get("name"):
        yield Problem(join(path, "name"), "Container.name should not be null or empty.")
    elif not _NAME.match(container["name"]):
        yield Problem(join(path, "name"), f"Invalid container name '{container['name']}'. {_NAME_RULE}")
    if not container.get("image"):
        yield Problem(join(path, "image"), "Container.image should not be null or empty.")
    yield from _container_memory(path, container, spec.get("memory"))
    yield from _ports(path, container, spec["networkMode"])
    yield from _references(path, container, names, volumes)
    if "healthCheck" in container:
        yield from _health_check(join(path, "healthCheck"), container["healthCheck"])
    if container.get("links") and spec["networkMode"] == "awsvpc":
        yield Problem(join(path, "links"), "Links are not supported when networkMode=awsvpc.")
    for j, limit in enumerate(container.get("ulimits", [])):
        if limit["softLimit"] > limit["hardLimit"]:
            yield Problem(join(join(path, "ulimits"), j), f"The soft limit of ulimit '{limit['name']}' is greater "
                                                          f"than its hard limit.")
    for j, requirement in enumerate(container.get("resourceRequirements", [])):
        if requirement["type"] == "GPU" and not str(requirement.get("value", "")).isdigit():
            yield Problem(join(join(join(path, "resourceRequirements"), j), "value"),
                          "The GPU resource requirement value must be a whole number.")
    for field, needed in _ENTRY_MEMBERS.items():
        for j, entry in enumerate(container.get(field, [])):
            for member in needed:
                if entry.get(member) in (None, ""):
                    yield Problem(join(join(join(path, field), j), member), f"Each of {field} needs a {member}.")


def validate_task_definition(spec: dict) -> list[Problem]:
    """Every problem RegisterTaskDefinition would refuse `spec` (normalized) for."""
    problems: list[Problem] = []
    family = spec.get("family", "")
    if not _NAME.match(family):
        problems.append(Problem("family", f"Family contains invalid characters. {_NAME_RULE}"))
    containers = spec.get("containerDefinitions", [])
    if not containers:
        return [*problems, Problem("containerDefinitions", "Container list cannot be empty.")]
    names = [c.get("name") for c in containers]
    for name, count in Counter(names).items():
        if name and count > 1:
            problems.append(Problem(join("containerDefinitions", len(names) - 1 - names[::-1].index(name)),
                                    f"Duplicate container name '{name}': container names must be unique "
                                    f"within a task definition."))
    if not any(c["essential"] for c in containers):
        problems.append(Problem("containerDefinitions", "A task definition must have at least one essential "
                                                        "container."))
    volumes = {v.get("name") for v in spec.get("volumes", [])}
    for i, container in enumerate(containers):
        problems += _container(i, container, spec, set(filter(None, names)), volumes)
    problems += _dependencies(containers)
    problems += _volumes(spec)
    if "FARGATE" in spec.get("requiresCompatibilities", []):
        problems += fargate_problems(spec)
    else:
        problems += _task_size(spec, False)
    size = spec.get("ephemeralStorage", {}).get("sizeInGiB")
    if size and not EPHEMERAL_GIB[0] <= size <= EPHEMERAL_GIB[1]:
        problems.append(Problem("ephemeralStorage.sizeInGiB", f"The ephemeral storage size must be between "
                                                              f"{EPHEMERAL_GIB[0]} and {EPHEMERAL_GIB[1]} GiB."))
    proxy = spec.get("proxyConfiguration")
    if proxy and proxy["containerName"] not in names:
        problems.append(Problem("proxyConfiguration.containerName", f"The proxy container "
                                                                    f"'{proxy['containerName']}' does not exist in "
                                                                    f"the task definition."))
    if proxy and spec["networkMode"] != "awsvpc":
        problems.append(Problem("proxyConfiguration", "Proxy configuration requires networkMode=awsvpc."))
    problems += _firelens(containers)
    problems += tag_problems(spec)
    return problems + rejected_problems(spec, model.TASK_DEFINITION)


def fargate_problems(spec: dict) -> list[Problem]:
    """Why task definition `spec` (normalized) cannot run on Fargate: ECS registers it with FARGATE among
    its compatibilities only when this is empty."""
    return [*_task_size(spec, True), *_fargate(spec)]


def tag_problems(spec: dict) -> list[Problem]:
    return [Problem(join(join("tags", i), "key"), "Each of tags needs a key.")
            for i, tag in enumerate(spec.get("tags", [])) if not tag.get("key")]


def _firelens(containers: list[dict]) -> Iterator[Problem]:
    routers = [i for i, c in enumerate(containers) if c.get("firelensConfiguration")]
    for i in routers[1:]:
        yield Problem(join(join("containerDefinitions", i), "firelensConfiguration"),
                      "Only one container in a task definition can have a firelensConfiguration.")
    for i, container in enumerate(containers):
        if container.get("logConfiguration", {}).get("logDriver") == "awsfirelens" and not routers:
            yield Problem(join(join("containerDefinitions", i), "logConfiguration.logDriver"),
                          "The awsfirelens log driver requires a container with a firelensConfiguration.")


# --- services -------------------------------------------------------------------------------------


def validate_service(spec: dict) -> list[Problem]:
    """Every problem CreateService would refuse `spec` (normalized) for."""
    problems: list[Problem] = []
    if not _NAME.match(spec.get("serviceName", "")):
        problems.append(Problem("serviceName", f"Invalid service name. {_NAME_RULE}"))
    daemon = spec.get("schedulingStrategy") == "DAEMON"
    desired = spec.get("desiredCount")
    if desired is not None and desired < 0:
        problems.append(Problem("desiredCount", "The desired count cannot be negative."))
    if daemon and spec.get("placementStrategy"):
        problems.append(Problem("placementStrategy", "Placement strategies are not supported with the DAEMON "
                                                     "scheduling strategy."))
    if daemon and spec.get("launchType") == "FARGATE":
        problems.append(Problem("schedulingStrategy", "The DAEMON scheduling strategy does not support the FARGATE "
                                                      "launch type."))
    if spec.get("launchType") and spec.get("capacityProviderStrategy"):
        problems.append(Problem("capacityProviderStrategy", "Specifying both a launch type and capacity provider "
                                                            "strategy is not supported. Remove one and try again."))
    if daemon and spec.get("capacityProviderStrategy"):
        problems.append(Problem("capacityProviderStrategy", capacity.DAEMON_STRATEGY))
    problems += capacity.validate_strategy(spec.get("capacityProviderStrategy", []), "capacityProviderStrategy")
    config = spec.get("deploymentConfiguration", {})
    minimum = config.get("minimumHealthyPercent")
    if minimum is not None and not 0 <= minimum <= 100:
        problems.append(Problem("deploymentConfiguration.minimumHealthyPercent",
                                "minimumHealthyPercent must be between 0 and 100."))
    problems += _strategy(config, daemon)
    if spec.get("healthCheckGracePeriodSeconds", 0) < 0:
        problems.append(Problem("healthCheckGracePeriodSeconds", "The health check grace period cannot be negative."))
    for i, balancer in enumerate(spec.get("loadBalancers", [])):
        where = join("loadBalancers", i)
        for field in ("containerName", "containerPort"):
            if field not in balancer:
                problems.append(Problem(join(where, field), f"The load balancer needs a {field}."))
        path = (balancer.get("ingress") or {}).get("path")
        if path is not None and not path.startswith("/"):
            problems.append(Problem(join(where, "ingress.path"), "An Ingress path must start with '/'."))
    for i, constraint in enumerate(spec.get("placementConstraints", [])):
        if constraint.get("type") == "memberOf" and not constraint.get("expression"):
            problems.append(Problem(join(join("placementConstraints", i), "expression"),
                                    "A memberOf constraint needs an expression."))
    return problems + tag_problems(spec) + rejected_problems(spec, model.SERVICE)


# Strategies that shift traffic by weight: the cluster's Traefik runs its Kubernetes Ingress provider, which
# cannot weight backends (only its kubernetescrd provider's TraefikService can, docs/decisions.md).
_WEIGHTED = ("LINEAR", "CANARY")
BAKE_MINUTES = (0, 1440)


def _strategy(config: dict, daemon: bool) -> list[Problem]:
    """What kube-ecs refuses of deploymentConfiguration.strategy and its blue/green members (docs/rollouts.md)."""
    strategy = config.get("strategy", "ROLLING")
    where = "deploymentConfiguration.strategy"
    if strategy in _WEIGHTED:
        return [Problem(where, f"{strategy} is not supported: it shifts traffic by weight, which the cluster's "
                               f"ingress (Traefik's Kubernetes Ingress provider) cannot do. Allowed: ROLLING or "
                               f"BLUE_GREEN.")]
    if strategy != "BLUE_GREEN":
        return []
    if daemon:
        return [Problem(where, "BLUE_GREEN needs the REPLICA scheduling strategy: a DAEMON service runs one task "
                               "per instance and cannot run blue and green side by side. Allowed: ROLLING.")]
    bake = config.get("bakeTimeInMinutes")
    if bake is None:
        return [Problem("deploymentConfiguration.bakeTimeInMinutes", "You must provide bakeTimeInMinutes when you "
                                                                     "use the BLUE_GREEN deployment strategy.")]
    if not BAKE_MINUTES[0] <= bake <= BAKE_MINUTES[1]:
        return [Problem("deploymentConfiguration.bakeTimeInMinutes",
                        f"bakeTimeInMinutes must be between {BAKE_MINUTES[0]} and {BAKE_MINUTES[1]}.")]
    return []


def validate_service_task(service: dict, taskdef: dict) -> list[Problem]:
    """What CreateService refuses about the pair: loadBalancers naming a container the task definition
    does not have, or a port that container does not declare (both normalized)."""
    ports = {c["name"]: {m.get("containerPort") for m in c.get("portMappings", [])}
             for c in taskdef.get("containerDefinitions", [])}
    problems = []
    for i, balancer in enumerate(service.get("loadBalancers", [])):
        name, port = balancer.get("containerName"), balancer.get("containerPort")
        if name not in ports:
            problems.append(Problem(join(join("loadBalancers", i), "containerName"),
                                    f"The container {name} does not exist in the task definition."))
        elif port not in ports[name]:
            problems.append(Problem(join(join("loadBalancers", i), "containerPort"),
                                    f"The container {name} did not have a container port {port} defined."))
    return problems


def validate_placement(placement: capacity.Effective, taskdef: dict) -> list[Problem]:
    """What CreateService refuses about where the tasks go: Fargate takes only Fargate-compatible task
    definitions (awsvpc, Fargate sizes, no privileged containers or host volumes, ...)."""
    reasons = fargate_problems(taskdef) if placement.fargate else []
    if not reasons:
        return []
    why = f" The task definition's {'; '.join(map(str, reasons))}"
    if placement.launch_type:
        return [Problem("launchType", f"Task definition does not support launch_type FARGATE.{why}")]
    return [Problem(placement.path, f"Task definition does not support capacity provider {name}.{why}")
            for name in placement.providers if name in capacity.FARGATE_PROVIDERS]


# --- clusters and capacity providers --------------------------------------------------------------


def validate_cluster(spec: dict) -> list[Problem]:
    """Every problem CreateCluster (with PutClusterCapacityProviders' checks) would refuse `spec` for."""
    return capacity.validate_cluster(spec) + tag_problems(spec) + rejected_problems(spec, model.CLUSTER)



def validate_capacity_provider(spec: dict) -> list[Problem]:
    """Every problem CreateCapacityProvider would refuse `spec` (normalized) for."""
    problems = []
    name = spec.get("name", "")
    if not _NAME.match(name):
        problems.append(Problem("name", f"Invalid capacity provider name. {_NAME_RULE}"))
    elif name.lower().startswith(RESERVED_PREFIXES):
        problems.append(Problem("name", "The name can't be prefixed with \"aws\", \"ecs\", or \"fargate\"."))
    return problems + tag_problems(spec) + rejected_problems(spec, model.CAPACITY_PROVIDER)


# --- normalize + validate -------------------------------------------------------------------------


def check_task_definition(raw: Any) -> tuple[dict | None, list[Problem], list[Note]]:
    """(normalized spec, or None when ECS would refuse it; the problems; the notes) of task definition `raw`."""
    return checked(raw, normalize_task_definition, validate_task_definition)


def check_service(raw: Any) -> tuple[dict | None, list[Problem], list[Note]]:
    """(normalized spec, or None when ECS would refuse it; the problems; the notes) of CreateService `raw`."""
    return checked(raw, normalize_service, validate_service)


def check_cluster(raw: Any) -> tuple[dict | None, list[Problem], list[Note]]:
    """(normalized spec, or None when ECS would refuse it; the problems; the notes) of CreateCluster `raw`."""
    return checked(raw, normalize_cluster, validate_cluster)


def check_capacity_provider(raw: Any) -> tuple[dict | None, list[Problem], list[Note]]:
    """(normalized spec, or None when ECS would refuse it; the problems; the notes) of CreateCapacityProvider `raw`."""
    return checked(raw, normalize_capacity_provider, validate_capacity_provider)


def checked(raw: Any, normalize: Callable[[Any], tuple[dict, list[Note]]],
             validate: Callable[[dict], list[Problem]]) -> tuple[dict | None, list[Problem], list[Note]]:
    try:
        spec, notes = normalize(raw)
    except InvalidSpec as e:
        return None, e.problems, []
    problems = validate(spec)
    return (None if problems else spec), problems, notes
