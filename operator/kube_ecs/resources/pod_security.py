"""Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/) over
the pod templates kube-ecs builds, and each violation traced back to the ECS field that caused it.

Pure. `violations(pod_spec, level)` is the Kubernetes side (field paths of the pod spec, the checks
Pod Security Admission's `latest` version makes for `baseline` and `restricted`); `task_refusals`
builds the pod of a task definition and names the ECS fields, so a Service's status says
`containerDefinitions[0].privileged` rather than what the ReplicaSet's FailedCreate event would say.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kube_ecs.ecs.problems import Problem, join
from kube_ecs.resources import names
from kube_ecs.resources.pod_template import build_pod_template

PRIVILEGED, BASELINE, RESTRICTED = "privileged", "baseline", "restricted"
LEVELS = (PRIVILEGED, BASELINE, RESTRICTED)  # from the most permissive
MODES = ("enforce", "warn", "audit")
DEFAULT_LEVEL = BASELINE
LABEL_PREFIX = "pod-security.kubernetes.io/"

# Baseline: capabilities a container may add (Docker's default set, which is what ECS grants).
BASELINE_CAPABILITIES = frozenset({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                                   "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
# Baseline: the namespaced sysctls known to be safe (PSS `latest`).
SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"})
# Restricted: the only volume types allowed.
RESTRICTED_VOLUMES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                                "projected", "secret"})


def stricter(a: str | None, b: str | None) -> str:
    """The stricter of two levels (an unknown or missing one counts as privileged, PSA's own default)."""
    rank = {level: i for i, level in enumerate(LEVELS)}
    return max(a or PRIVILEGED, b or PRIVILEGED, key=lambda level: rank.get(level, 0))


def allows(level: str, needed: str) -> bool:
    return LEVELS.index(needed) <= LEVELS.index(level)


@dataclass(frozen=True)
class Violation:
    """One Pod Security check a pod fails. `path`: the pod spec's field; `level`: the least strict level
    that refuses it (baseline's checks refuse under restricted too); `where`: what it is about, for the
    ECS mapping (("container", k8s name, detail), ("volume", k8s name), ("pod", field))."""

    path: str
    level: str
    message: str
    where: tuple = ()


def _containers(spec: dict) -> Iterator[tuple[str, dict]]:
    for kind in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(kind) or []):
            yield f"spec.{kind}[{i}]", container


def _baseline(spec: dict) -> Iterator[Violation]:
    for field, what in (("hostNetwork", "the host's network"), ("hostPID", "the host's process namespace"),
                        ("hostIPC", "the host's IPC namespace")):
        if spec.get(field):
            yield Violation(f"spec.{field}", BASELINE, f"pods may not use {what}", ("pod", field))
    for i, volume in enumerate(spec.get("volumes") or []):
        if "hostPath" in volume:
            yield Violation(f"spec.volumes[{i}].hostPath", BASELINE,
                            f"hostPath volumes are not allowed (path {volume['hostPath'].get('path')!r})",
                            ("volume", volume["name"]))
    for i, sysctl in enumerate((spec.get("securityContext") or {}).get("sysctls") or []):
        if sysctl["name"] not in SAFE_SYSCTLS:
            yield Violation(f"spec.securityContext.sysctls[{i}]", BASELINE, f"sysctl {sysctl['name']} is not one of "
                            "the safe sysctls", ("sysctl", sysctl["name"]))
    for path, container in _containers(spec):
        name = container["name"]
        context = container.get("securityContext") or {}
        if context.get("privileged"):
            yield Violation(f"{path}.securityContext.privileged", BASELINE, "privileged containers are not allowed",
                            ("container", name, "privileged"))
        added = sorted(set((context.get("capabilities") or {}).get("add") or []) - BASELINE_CAPABILITIES)
        if added:
            yield Violation(f"{path}.securityContext.capabilities.add", BASELINE,
                            f"capabilities {', '.join(added)} may not be added", ("container", name, "capabilities"))
        for j, port in enumerate(container.get("ports") or []):
            if port.get("hostPort"):
                yield Violation(f"{path}.ports[{j}].hostPort", BASELINE, f"host port {port['hostPort']} is not allowed",
                                ("container", name, "hostPort", port["hostPort"]))


def _restricted(spec: dict) -> Iterator[Violation]:
    for i, volume in enumerate(spec.get("volumes") or []):
        kind = next((k for k in volume if k != "name"), "")
        if kind not in RESTRICTED_VOLUMES and kind != "hostPath":  # hostPath: refused by baseline already
            yield Violation(f"spec.volumes[{i}].{kind}", RESTRICTED, f"{kind} volumes are not allowed",
                            ("volume", volume["name"]))
    pod = spec.get("securityContext") or {}
    for path, container in _containers(spec):
        name = container["name"]
        context = container.get("securityContext") or {}
        if context.get("allowPrivilegeEscalation") is not False:
            yield Violation(f"{path}.securityContext.allowPrivilegeEscalation", RESTRICTED,
                            "allowPrivilegeEscalation must be false", ("container", name, "escalation"))
        caps = context.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            yield Violation(f"{path}.securityContext.capabilities.drop", RESTRICTED, "capabilities must drop ALL",
                            ("container", name, "drop"))
        if (set(caps.get("add") or []) & BASELINE_CAPABILITIES) - {"NET_BIND_SERVICE"}:  # the rest: baseline's
            yield Violation(f"{path}.securityContext.capabilities.add", RESTRICTED,
                            "only NET_BIND_SERVICE may be added", ("container", name, "capabilities"))
        non_root = context.get("runAsNonRoot", pod.get("runAsNonRoot"))
        user = context.get("runAsUser", pod.get("runAsUser"))
        if user == 0:
            yield Violation(f"{path}.securityContext.runAsUser", RESTRICTED, "containers may not run as root (uid 0)",
                            ("container", name, "user"))
        elif non_root is not True:
            yield Violation(f"{path}.securityContext.runAsNonRoot", RESTRICTED, "runAsNonRoot must be true",
                            ("container", name, "user"))
        seccomp = (context.get("seccompProfile") or pod.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            yield Violation(f"{path}.securityContext.seccompProfile", RESTRICTED,
                            "seccompProfile must be RuntimeDefault or Localhost", ("container", name, "seccomp"))


def violations(pod_spec: dict, level: str) -> list[Violation]:
    """What Pod Security Admission at `level` would refuse about a pod with spec `pod_spec`."""
    if level == PRIVILEGED:
        return []
    found = list(_baseline(pod_spec))
    if level == RESTRICTED:
        found += _restricted(pod_spec)
    return found


def required_level(pod_spec: dict) -> str:
    """The least strict level a pod needs (what the corpus note counts)."""
    if list(_baseline(pod_spec)):
        return PRIVILEGED
    return BASELINE if list(_restricted(pod_spec)) else RESTRICTED


# --- back to ECS ----------------------------------------------------------------------------------

_POD_FIELDS = {"hostNetwork": ("networkMode", "networkMode 'host'"),
               "hostPID": ("pidMode", "pidMode 'host'"), "hostIPC": ("ipcMode", "ipcMode 'host'")}
_CONTAINER_FIELDS = {"privileged": "privileged", "capabilities": "linuxParameters.capabilities.add",
                     "drop": "linuxParameters.capabilities.drop", "user": "user",
                     "escalation": "", "seccomp": ""}


def ecs_field(violation: Violation, taskdef: dict) -> str:
    """The field of normalized task definition `taskdef` that made the pod fail `violation`."""
    containers = taskdef.get("containerDefinitions") or []
    kind, *rest = violation.where or ("",)
    if kind == "pod":
        return _POD_FIELDS[rest[0]][0]
    if kind == "volume":
        i = next((i for i, v in enumerate(taskdef.get("volumes") or []) if names.dns_label(v["name"]) == rest[0]), None)
        return join(join("volumes", i), "host.sourcePath") if i is not None else "volumes"
    if kind == "sysctl":
        for i, c in enumerate(containers):
            for j, s in enumerate(c.get("systemControls") or []):
                if s.get("namespace") == rest[0]:
                    return join(join(join("containerDefinitions", i), "systemControls"), j)
        return "containerDefinitions"
    if kind == "container":
        i = next((i for i, c in enumerate(containers) if names.dns_label(c["name"]) == rest[0]), None)
        if i is None:
            return "containerDefinitions"
        path = join("containerDefinitions", i)
        if rest[1] == "hostPort":
            for j, mapping in enumerate(containers[i].get("portMappings") or []):
                if mapping.get("hostPort") == rest[2]:
                    return join(join(join(path, "portMappings"), j), "hostPort")
            return join(path, "portMappings")
        field = _CONTAINER_FIELDS.get(rest[1], "")
        return f"{path}.{field}" if field else path
    return ""


def task_problems(taskdef: dict, pod_spec: dict, level: str) -> list[Problem]:
    """The violations of `pod_spec` (built from `taskdef`) at `level`, as ECS field problems that name
    the level and the pod field: `containerDefinitions[0].privileged: privileged containers are not
    allowed by the Cluster's Pod Security level 'baseline' (spec.containers[0].securityContext.privileged)`."""
    problems: list[Problem] = []
    for v in violations(pod_spec, level):
        if v.where and v.where[0] == "container" and v.where[2] in ("escalation", "seccomp"):
            message = f"{v.message}, which an ECS task definition cannot say"
        else:
            message = v.message
        problems.append(Problem(ecs_field(v, taskdef), f"{message}: refused by the Cluster's Pod Security level "
                                                       f"'{level}' ({v.path})"))
    # One per field and message: a task's several Deployments share one template.
    return list(dict.fromkeys(problems))


def namespace_labels(levels: dict[str, str]) -> dict[str, str]:
    """`pod-security.kubernetes.io/<mode>` labels (and their `-version: latest`) for a Cluster's levels."""
    labels = {}
    for mode in MODES:
        labels[f"{LABEL_PREFIX}{mode}"] = levels[mode]
        labels[f"{LABEL_PREFIX}{mode}-version"] = "latest"
    return labels


def cluster_levels(cluster_spec: dict | None, existing: dict[str, str] | None = None) -> dict[str, str]:
    """The three levels of a Cluster (extension `podSecurity`: {enforce, warn, audit}, each default
    baseline), made no less strict than what the namespace's labels `existing` already say (an adopted
    namespace keeps its stricter level). A mode the spec leaves out follows `enforce`."""
    setting = (cluster_spec or {}).get("podSecurity") or {}
    enforce = setting.get("enforce", DEFAULT_LEVEL)
    levels = {mode: setting.get(mode, enforce) for mode in MODES}
    existing = existing or {}
    return {mode: stricter(levels[mode], existing.get(f"{LABEL_PREFIX}{mode}")) if existing.get(
        f"{LABEL_PREFIX}{mode}") else levels[mode] for mode in MODES}


def task_refusals(taskdef: dict, service: dict | None, level: str) -> list[str]:
    """What a Cluster at Pod Security `level` refuses about running normalized `taskdef` for normalized
    `service`: the pod template is built as the Service's workloads will have it, and checked."""
    if level == PRIVILEGED:
        return []
    pod = build_pod_template(taskdef, labels={}, selector={}, service=service or {})["spec"]
    return [str(p) for p in task_problems(taskdef, pod, level)]


def enforced(cluster_spec: dict | None, cluster_status: dict | None = None) -> str:
    """The enforce level a Cluster's Services are checked against: the stricter of what its Namespace is
    labelled with (status.podSecurity, an adopted namespace's floor included) and what its spec asks
    for (the Namespace follows the spec a moment later)."""
    labelled = ((cluster_status or {}).get("podSecurity") or {}).get("enforce")
    wanted = cluster_levels(cluster_spec)["enforce"]
    return stricter(labelled, wanted) if labelled in LEVELS else wanted
