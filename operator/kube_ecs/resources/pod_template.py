"""Task definition (+ the Service's placement and grace period) → Pod template.

Where the containers go (the ECS start order mapped onto Kubernetes' init phase):

- A container another one depends on with COMPLETE or SUCCESS runs to completion: a plain init
  container. Kubernetes requires init containers to exit 0, so COMPLETE behaves like SUCCESS.
- A container another one depends on with START or HEALTHY is long-running and must be up before
  its dependents: a native sidecar (init container with `restartPolicy: Always`). For HEALTHY it gets
  a startupProbe from its healthCheck, and Kubernetes starts the next container only once it passes.
- Essential containers nobody depends on are the main containers.
- Non-essential long-running containers are native sidecars too: they start before the essential
  ones and never keep a finished pod (a Task's Job) alive, as in ECS where only essential containers
  decide when the task stops. If that would leave no main container, they stay main containers.

Init containers are ordered by their dependsOn, ties in task-definition order.
"""

from __future__ import annotations

import json
import math

from kube_ecs.resources import names, placement
from kube_ecs.resources.meta import CONTAINER_NAMES_ANNOTATION, user_metadata

ECS_DEFAULT_STOP_TIMEOUT = 30
_RUN_TO_COMPLETION = ("COMPLETE", "SUCCESS")
_GPU = "nvidia.com/gpu"


# --- quantities -----------------------------------------------------------------------------------


def cpu_quantity(units: int) -> str:
    """ECS cpu units (1024 = 1 vCPU) → Kubernetes cpu, rounded to the nearest millicore (at least 1m),
    written the way the API server stores it ("1" rather than "1000m")."""
    millis = max(1, (units * 1000 + 512) // 1024)
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def mebibytes(mib: int) -> str:
    """MiB → Kubernetes quantity in the API server's canonical form (1024 → "1Gi", 1536 → "1536Mi")."""
    for suffix, factor in (("Ti", 1024 * 1024), ("Gi", 1024)):
        if mib % factor == 0:
            return f"{mib // factor}{suffix}"
    return f"{mib}Mi"


def image_pull_policy(image: str) -> str:
    """IfNotPresent unless the image is (implicitly) `latest` (docs/decisions.md: Images)."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def literal(value: str) -> str:
    """Escape `value` for command, args and env, where Kubernetes expands `$(VAR)` and turns `$$` into
    `$`; ECS passes them verbatim. Doubling every `$` is exact, and only done when it matters."""
    return value.replace("$", "$$") if "$(" in value or "$$" in value else value


# --- containers -----------------------------------------------------------------------------------


def probes(health_check: dict | None, *, window: int, startup: bool) -> dict[str, dict]:
    """ECS healthCheck → exec liveness + readiness probes, and a startupProbe when `startup`.

    ECS counts no failure during startPeriod (and a Service's grace period); `window` is the larger
    of the two. With `startup`, a startupProbe allows that window plus `retries` failures before the
    regular probes take over. A startupProbe holds back the containers after a sidecar, so sidecars
    nothing waits on HEALTHY for delay their first probe with initialDelaySeconds instead.
    """
    if not health_check or not health_check.get("command"):
        return {}
    kind, *rest = health_check["command"]
    if kind == "CMD-SHELL":
        command = ["/bin/sh", "-c", " ".join(rest)]
    elif kind == "CMD":
        command = rest
    else:  # NONE disables the image's check
        return {}
    interval, retries = health_check["interval"], health_check["retries"]
    probe = {
        "exec": {"command": command},
        "periodSeconds": interval,
        "timeoutSeconds": health_check["timeout"],
        "failureThreshold": retries,
    }
    if startup:
        first = {**probe, "failureThreshold": math.ceil(window / interval) + retries}
        return {"startupProbe": first, "livenessProbe": probe, "readinessProbe": probe}
    if window:
        probe = {**probe, "initialDelaySeconds": window}
    return {"livenessProbe": probe, "readinessProbe": probe}


def _run_as(user: str) -> dict[str, int]:
    """ECS `user` ("uid", "uid:gid", "user", "user:group") → runAsUser / runAsGroup.

    Kubernetes takes numbers only: "root" is 0; other names are left to the image's passwd file,
    i.e. not set (validation reports them)."""
    context = {}
    for part, field in zip(user.split(":", 1), ("runAsUser", "runAsGroup"), strict=False):
        if part.isdigit() or part == "root":
            context[field] = 0 if part == "root" else int(part)
    return context


def _security_context(container: dict) -> dict:
    context: dict = _run_as(container.get("user", ""))
    if container.get("privileged"):
        context["privileged"] = True
    if container.get("readonlyRootFilesystem"):
        context["readOnlyRootFilesystem"] = True
    capabilities = (container.get("linuxParameters") or {}).get("capabilities") or {}
    caps = {k: sorted(set(capabilities[k])) for k in ("add", "drop") if capabilities.get(k)}
    if caps:
        context["capabilities"] = caps
    return context


def _env(container: dict) -> list[dict]:
    """environment + secrets, sorted by name (ECS gives them no order); a secret wins over a plain
    variable of the same name."""
    env: dict[str, dict] = {}
    for var in container.get("environment", []):
        value = literal(var.get("value", ""))
        env[var["name"]] = {"name": var["name"], **({"value": value} if value else {})}
    for secret in container.get("secrets", []):
        name, key = names.secret_ref(secret["valueFrom"])
        env[secret["name"]] = {"name": secret["name"], "valueFrom": {"secretKeyRef": {"name": name, "key": key}}}
    return [env[name] for name in sorted(env)]


def _ports(container: dict, network_mode: str) -> list[dict]:
    """portMappings → container ports; hostPort only where ECS binds one (bridge and host modes)."""
    ports = []
    for mapping in container.get("portMappings", []):
        if "containerPort" not in mapping:  # containerPortRange: nothing to declare per port
            continue
        port = {"containerPort": mapping["containerPort"], "protocol": mapping.get("protocol", "tcp").upper()}
        if mapping.get("name"):
            port["name"] = names.port_name(mapping["name"])
        if network_mode in ("bridge", "host") and mapping.get("hostPort"):
            port["hostPort"] = mapping["hostPort"]
        ports.append(port)
    return sorted(ports, key=lambda p: (p["containerPort"], p["protocol"]))


def _resources(container: dict, cpu_share: int, memory_share: int, ephemeral_gib: int) -> dict:
    """cpu → requests.cpu; memory → limits.memory (+ request); memoryReservation → requests.memory;
    GPU → nvidia.com/gpu limit. The shares come from the task size (see `_task_shares`)."""
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}
    if cpu := container.get("cpu") or cpu_share:
        requests["cpu"] = cpu_quantity(cpu)
    reservation = container.get("memoryReservation")
    memory = container.get("memory") or memory_share
    if memory:
        limits["memory"] = mebibytes(memory)
    if reservation or memory:
        requests["memory"] = mebibytes(reservation or memory)
    if ephemeral_gib:
        requests["ephemeral-storage"] = limits["ephemeral-storage"] = mebibytes(ephemeral_gib * 1024)
    gpus = sum(int(r["value"]) for r in container.get("resourceRequirements", []) if r.get("type") == "GPU")
    if gpus:
        limits[_GPU] = str(gpus)
    return {k: v for k, v in (("requests", requests), ("limits", limits)) if v}


def _task_shares(containers: list[dict], taskdef: dict) -> dict[str, tuple[int, int]]:
    """Task-level cpu / memory → per-container (cpu units, MiB) for containers that set none.

    Kubernetes has no per-pod budget every cluster enforces, so the task size is shared: what the
    containers that set a value leave of it is divided equally (rounded down) among the containers
    that set nothing. Containers that set their own values keep them; a task size already used up
    gives the others nothing.
    """
    def split(total: int | None, used: list[int], unset: list[str]) -> dict[str, int]:
        if not total or not unset:
            return {}
        share = max(0, total - sum(used)) // len(unset)
        return dict.fromkeys(unset, share)

    cpu = split(
        taskdef.get("cpu"),
        [c.get("cpu", 0) for c in containers],
        [c["name"] for c in containers if not c.get("cpu")],
    )
    memory = split(
        taskdef.get("memory"),
        [c.get("memory") or c.get("memoryReservation", 0) for c in containers],
        [c["name"] for c in containers if not c.get("memory") and not c.get("memoryReservation")],
    )
    return {c["name"]: (cpu.get(c["name"], 0), memory.get(c["name"], 0)) for c in containers}


def _mount(name: str, path: str, *, read_only: bool = False, sub_path: str = "") -> dict:
    mount: dict = {"name": name, "mountPath": path}
    if read_only:
        mount["readOnly"] = True
    if sub_path:
        mount["subPath"] = sub_path
    return mount


def _mount_points(container: dict, by_name: dict[str, dict], seen: frozenset[str]) -> list[tuple[dict, bool]]:
    """A container's mountPoints plus, recursively, those of its volumesFrom sources (as Docker does),
    each with its effective read-only flag."""
    points = [(point, bool(point.get("readOnly"))) for point in container.get("mountPoints", [])]
    for source in container.get("volumesFrom", []):
        other = by_name.get(source["sourceContainer"])
        if other is None or other["name"] in seen:
            continue
        for point, read_only in _mount_points(other, by_name, seen | {other["name"]}):
            points.append((point, read_only or bool(source.get("readOnly"))))
    return points


def _memory_volume(name: str, size_mib: int | None) -> dict:
    """tmpfs-like storage: a memory-backed emptyDir (sharedMemorySize, tmpfs)."""
    empty_dir: dict = {"medium": "Memory"}
    if size_mib:
        empty_dir["sizeLimit"] = mebibytes(size_mib)
    return {"name": name, "emptyDir": empty_dir}


def _memory_volumes(container: dict) -> list[tuple[dict, str]]:
    """linuxParameters sharedMemorySize (→ /dev/shm) and tmpfs → (volume, mount path) pairs."""
    linux = container.get("linuxParameters") or {}
    pairs = []
    if linux.get("sharedMemorySize"):
        volume = _memory_volume(names.dns_label(f"{container['name']}-shm"), linux["sharedMemorySize"])
        pairs.append((volume, "/dev/shm"))
    for tmpfs in linux.get("tmpfs", []):
        name = names.dns_label(f"{container['name']}-tmpfs-{tmpfs['containerPath']}")
        pairs.append((_memory_volume(name, tmpfs.get("size")), tmpfs["containerPath"]))
    return pairs


def _volume_mounts(container: dict, by_name: dict[str, dict], sub_paths: dict[str, str]) -> list[dict]:
    """mountPoints, volumesFrom and memory volumes → volumeMounts, one per path (the container's own
    mount wins), sorted by path so a parent directory is mounted before what is mounted inside it."""
    mounts: dict[str, dict] = {}
    for point, read_only in _mount_points(container, by_name, frozenset({container["name"]})):
        volume, path = point["sourceVolume"], point["containerPath"]
        sub_path = sub_paths.get(volume, "")
        mounts.setdefault(path, _mount(names.dns_label(volume), path, read_only=read_only, sub_path=sub_path))
    for volume, path in _memory_volumes(container):
        mounts.setdefault(path, _mount(volume["name"], path))
    return [mounts[path] for path in sorted(mounts)]


def _task_volume(volume: dict) -> tuple[dict, str]:
    """A task `volumes[]` entry → (Kubernetes volume, subPath for its mounts).

    host.sourcePath → hostPath (no type: the path may be a file, like docker.sock); docker volume
    with scope "shared" → the PVC named after the volume, which must exist; EFS → the PVC named
    `<fileSystemId>[-<accessPointId>]` bound to the EFS CSI driver, rootDirectory as subPath;
    anything else (no source, scope "task", kinds reported as unsupported) → emptyDir, which lives
    as long as the task, as Docker's anonymous volumes do.
    """
    name = names.dns_label(volume["name"])
    docker = volume.get("dockerVolumeConfiguration") or {}
    efs = volume.get("efsVolumeConfiguration") or {}
    if source := (volume.get("host") or {}).get("sourcePath"):
        return {"name": name, "hostPath": {"path": source}}, ""
    if docker.get("scope") == "shared":
        return {"name": name, "persistentVolumeClaim": {"claimName": name}}, ""
    if efs.get("fileSystemId"):
        access_point = (efs.get("authorizationConfig") or {}).get("accessPointId")
        claim = names.dns_label("-".join(filter(None, (efs["fileSystemId"], access_point))))
        return {"name": name, "persistentVolumeClaim": {"claimName": claim}}, efs.get("rootDirectory", "").strip("/")
    return {"name": name, "emptyDir": {}}, ""


def _roles(containers: list[dict]) -> tuple[list[str], set[str], list[str]]:
    """(init containers in start order, which of them are sidecars, main containers); see module doc."""
    depends = {c["name"]: [d["containerName"] for d in c.get("dependsOn", [])] for c in containers}
    targets = {t for deps in depends.values() for t in deps}
    completion = {
        d["containerName"] for c in containers for d in c.get("dependsOn", []) if d["condition"] in _RUN_TO_COMPLETION
    }
    essential = {c["name"] for c in containers if c.get("essential", True)}
    order = [c["name"] for c in containers]
    long_running = [n for n in order if n not in completion]
    main = [n for n in long_running if n in essential and n not in targets]
    if not main:
        main = [n for n in long_running if n not in targets]
    sidecars = {n for n in long_running if n not in main}
    init = [n for n in order if n not in main]
    started: list[str] = []
    while init:  # dependencies first; on a cycle (validation reports it) fall back to ECS order
        ready = next((n for n in init if not set(depends[n]) & set(init)), init[0])
        started.append(ready)
        init.remove(ready)
    return started, sidecars, main


def _healthy_targets(containers: list[dict]) -> set[str]:
    return {d["containerName"] for c in containers for d in c.get("dependsOn", []) if d.get("condition") == "HEALTHY"}


def _container(
    container: dict,
    *,
    taskdef: dict,
    by_name: dict[str, dict],
    sub_paths: dict[str, str],
    resources: dict,
    probe_set: dict[str, dict],
    sidecar: bool,
) -> dict:
    """One container definition → a Kubernetes container (sidecar: an init container that keeps running)."""
    out: dict = {
        "name": names.dns_label(container["name"]),
        "image": container["image"],
        "imagePullPolicy": image_pull_policy(container["image"]),
    }
    if sidecar:
        out["restartPolicy"] = "Always"
    if container.get("entryPoint"):
        out["command"] = [literal(part) for part in container["entryPoint"]]
    if container.get("command"):
        out["args"] = [literal(part) for part in container["command"]]
    if container.get("workingDirectory"):
        out["workingDir"] = container["workingDirectory"]
    if env := _env(container):
        out["env"] = env
    if ports := _ports(container, taskdef.get("networkMode", "awsvpc")):
        out["ports"] = ports
    if resources:
        out["resources"] = resources
    if mounts := _volume_mounts(container, by_name, sub_paths):
        out["volumeMounts"] = mounts
    out.update(probe_set)
    if context := _security_context(container):
        out["securityContext"] = context
    if container.get("interactive"):
        out["stdin"] = True
    if container.get("pseudoTerminal"):
        out["tty"] = True
    return out


# --- pod ------------------------------------------------------------------------------------------


def _host_aliases(containers: list[dict]) -> list[dict]:
    """extraHosts of every container → hostAliases, one entry per IP (sorted), names in given order."""
    by_ip: dict[str, list[str]] = {}
    for container in containers:
        for host in container.get("extraHosts", []):
            hostnames = by_ip.setdefault(host["ipAddress"], [])
            if host["hostname"] not in hostnames:
                hostnames.append(host["hostname"])
    return [{"ip": ip, "hostnames": by_ip[ip]} for ip in sorted(by_ip)]


def _dns(containers: list[dict], host_network: bool) -> dict:
    """dnsServers / dnsSearchDomains → dnsConfig; with servers, dnsPolicy None (only those servers, as
    in ECS). A host-network task keeps cluster DNS (ClusterFirstWithHostNet) so it still finds the
    Kubernetes Services of its peers."""
    servers = list(dict.fromkeys(s for c in containers for s in c.get("dnsServers", [])))
    searches = list(dict.fromkeys(s for c in containers for s in c.get("dnsSearchDomains", [])))
    dns: dict = {}
    if servers:
        dns["dnsPolicy"] = "None"
    elif host_network:
        dns["dnsPolicy"] = "ClusterFirstWithHostNet"
    config = {k: v for k, v in (("nameservers", servers), ("searches", searches)) if v}
    if config:
        dns["dnsConfig"] = config
    return dns


def _pod_security_context(containers: list[dict]) -> dict:
    """systemControls of every container → pod sysctls (one value per name, last wins; sorted)."""
    sysctls = {s["namespace"]: str(s["value"]) for c in containers for s in c.get("systemControls", [])}
    return {"sysctls": [{"name": k, "value": sysctls[k]} for k in sorted(sysctls)]} if sysctls else {}


def _volumes(taskdef: dict) -> tuple[list[dict], dict[str, str]]:
    """Task volumes and the containers' memory volumes (sorted by name), and the subPath each task
    volume's mounts get."""
    volumes: dict[str, dict] = {}
    sub_paths: dict[str, str] = {}
    for ecs_volume in taskdef.get("volumes", []):
        volume, sub_paths[ecs_volume["name"]] = _task_volume(ecs_volume)
        volumes[volume["name"]] = volume
    for container in taskdef["containerDefinitions"]:
        for volume, _ in _memory_volumes(container):
            volumes[volume["name"]] = volume
    return [volumes[k] for k in sorted(volumes)], sub_paths


def _containers(taskdef: dict, service: dict, sub_paths: dict[str, str]) -> dict[str, list[dict]]:
    """initContainers (when any) and containers, each placed by its role (see the module doc)."""
    containers = taskdef["containerDefinitions"]
    by_name = {c["name"]: c for c in containers}
    init, sidecars, main = _roles(containers)
    healthy = _healthy_targets(containers)
    shares = _task_shares(containers, taskdef)
    # Kubernetes has no pod-level ephemeral-storage: the first main container carries the task's.
    ephemeral = dict.fromkeys(main[:1], (taskdef.get("ephemeralStorage") or {}).get("sizeInGiB", 0))
    grace = service.get("healthCheckGracePeriodSeconds", 0)

    def build(name: str) -> dict:
        container = by_name[name]
        check = container.get("healthCheck")
        probe_set = {}  # run-to-completion init containers cannot have probes
        if name in main or name in sidecars:
            window = max(grace, (check or {}).get("startPeriod", 0))
            probe_set = probes(check, window=window, startup=name in main or name in healthy)
        return _container(
            container,
            taskdef=taskdef,
            by_name=by_name,
            sub_paths=sub_paths,
            resources=_resources(container, *shares[name], ephemeral.get(name, 0)),
            probe_set=probe_set,
            sidecar=name in sidecars,
        )

    placed = {"initContainers": [build(n) for n in init]} if init else {}
    return {**placed, "containers": [build(n) for n in main]}


def _pod_level(taskdef: dict) -> dict:
    """Pod-wide fields the task and its containers decide: pull secrets, host namespaces, DNS and
    hosts, sysctls, the stop timeout."""
    containers = taskdef["containerDefinitions"]
    host_network = taskdef.get("networkMode", "awsvpc") == "host"
    spec: dict = {}
    credentials = [(c.get("repositoryCredentials") or {}).get("credentialsParameter") for c in containers]
    if pull_secrets := sorted({names.secret_ref(arn)[0] for arn in credentials if arn}):
        spec["imagePullSecrets"] = [{"name": n} for n in pull_secrets]
    if host_network:
        spec["hostNetwork"] = True
    spec.update(_dns(containers, host_network))
    if hostname := next((c["hostname"] for c in containers if c.get("hostname")), None):
        spec["hostname"] = names.dns_label(hostname.split(".")[0])
    if aliases := _host_aliases(containers):
        spec["hostAliases"] = aliases
    # initProcessEnabled: with a shared namespace the pause container is PID 1 and reaps zombies.
    init_process = any((c.get("linuxParameters") or {}).get("initProcessEnabled") for c in containers)
    if taskdef.get("pidMode") == "task" or init_process:
        spec["shareProcessNamespace"] = True
    if taskdef.get("pidMode") == "host":
        spec["hostPID"] = True
    if taskdef.get("ipcMode") == "host":
        spec["hostIPC"] = True
    if context := _pod_security_context(containers):
        spec["securityContext"] = context
    spec["terminationGracePeriodSeconds"] = max(c.get("stopTimeout", ECS_DEFAULT_STOP_TIMEOUT) for c in containers)
    return spec


def _placement(taskdef: dict, service: dict, selector: dict[str, str]) -> dict:
    """nodeSelector, affinity, topology spread and the binpack scheduler from the task's and the
    Service's placement."""
    spec: dict = {}
    if node_selector := placement.node_selector(taskdef.get("runtimePlatform")):
        spec["nodeSelector"] = node_selector
    constraints = taskdef.get("placementConstraints", []) + service.get("placementConstraints", [])
    if affinity := placement.affinity(constraints, selector):
        spec["affinity"] = affinity
    if spread := placement.topology_spread(service.get("placementStrategy", []), selector):
        spec["topologySpreadConstraints"] = spread
    if scheduler := placement.scheduler_name(service.get("placementStrategy", [])):
        spec["schedulerName"] = scheduler
    return spec


def container_names(containers: list[dict]) -> str:
    """The CONTAINER_NAMES_ANNOTATION value: each Kubernetes container name → its ECS name, so what
    reads pods (status) can speak of containers by the names the user gave them."""
    mapping = {names.dns_label(c["name"]): c["name"] for c in containers}
    return json.dumps(mapping, sort_keys=True, separators=(",", ":"))


def _metadata(containers: list[dict], labels: dict[str, str], annotations: dict[str, str]) -> dict:
    """Pod labels and annotations: ours, the containers' dockerLabels (see `build_pod_template`) and
    the container names (ours win over a dockerLabel of the same key)."""
    docker_labels, docker_annotations = user_metadata(
        (k, v) for c in containers for k, v in sorted((c.get("dockerLabels") or {}).items())
    )
    pod_annotations = {**annotations, **docker_annotations, CONTAINER_NAMES_ANNOTATION: container_names(containers)}
    return {"labels": dict(sorted({**docker_labels, **labels}.items())),
            "annotations": dict(sorted(pod_annotations.items()))}


def build_pod_template(
    taskdef: dict,
    *,
    labels: dict[str, str],
    selector: dict[str, str],
    annotations: dict[str, str] | None = None,
    service: dict | None = None,
) -> dict:
    """The Pod template for `taskdef`. `labels` are the pod's own labels (they win over dockerLabels),
    `annotations` extra ones (dockerLabels win), `selector` the labels that pick the Service's pods
    (for anti-affinity and spread), `service` the Service spec for its placement and
    healthCheckGracePeriodSeconds."""
    service = service or {}
    volumes, sub_paths = _volumes(taskdef)
    spec: dict = {}
    if taskdef.get("taskRoleArn"):
        spec["serviceAccountName"] = names.service_account_name(taskdef["taskRoleArn"])
    spec.update(_containers(taskdef, service, sub_paths))
    if volumes:
        spec["volumes"] = volumes
    spec.update(_pod_level(taskdef))
    spec.update(_placement(taskdef, service, selector))
    return {"metadata": _metadata(taskdef["containerDefinitions"], labels, annotations or {}), "spec": spec}
