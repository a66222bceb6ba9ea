"""The field registry: one rule for every member of the ECS shapes kube-ecs takes.

Keyed by shape path (`ContainerDefinition.healthCheck`, `HealthCheck.startPeriod`), each rule says
what happens to the field:

- mapped: carried over; the text says to what.
- reported: accepted, "not supported on Kubernetes: ignored"; the text says why. A reported member
  covers everything inside it, so the members of its nested shapes need no rule of their own.
- rejected: refused (validation), the text says why and what to do instead. Covers its subtree too.
- read-only: describe-task-definition output; dropped with a note.

Rules depending on a value (a `user` name, an unmappable memberOf expression, networkMode none) live in
normalize.py (notes) and validate.py (problems); the text here mentions them.
tests/unit/ecs/test_rules.py walks the installed botocore model and fails on any member without a rule,
so a new ECS field cannot be dropped silently. `kube-ecs coverage` prints the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from kube_ecs.ecs import model
from kube_ecs.ecs.problems import join

MAPPED, REPORTED, REJECTED, READ_ONLY = "mapped", "reported", "rejected", "read-only"
# Where a member's rule covers its nested shapes, and what a user sees for a reported field.
COVERING = (REPORTED, REJECTED)
NOT_SUPPORTED = "not supported on Kubernetes: ignored"


@dataclass(frozen=True)
class Rule:
    kind: str
    text: str


def _m(text: str) -> Rule:
    return Rule(MAPPED, text)


def _r(text: str) -> Rule:
    return Rule(REPORTED, text)


def _x(text: str) -> Rule:
    return Rule(REJECTED, text)


_READ_ONLY = Rule(READ_ONLY, "set by ECS at registration (describe-task-definition output): dropped")

_TASK_DEFINITION = {
    "family": _m("TaskDefinition name (lower case, '_' as '-'); revisions are numbered per family"),
    "taskRoleArn": _m("ServiceAccount named after the role, annotated eks.amazonaws.com/role-arn (IRSA)"),
    "executionRoleArn": _m("recorded; image pulls and secrets use the pod's ServiceAccount and Secrets"),
    "networkMode": _m("awsvpc, bridge: pod network (bridge keeps hostPort); host: hostNetwork; "
                      "none: reported (a pod always has a network); default bridge, as ECS"),
    "containerDefinitions": _m("the pod's containers, init containers and native sidecars (dependsOn)"),
    "volumes": _m("pod volumes: hostPath, PVC (shared docker volume, EFS) or emptyDir"),
    "placementConstraints": _m("memberOf → required node affinity on node labels"),
    "requiresCompatibilities": _m("ECS's validation rules of that launch type (Fargate sizes, awsvpc, ...)"),
    "cpu": _m("task size in cpu units (\"1 vCPU\" accepted): shared among containers that set no cpu"),
    "memory": _m("task size in MiB (\"1 GB\" accepted): shared among containers that set no memory"),
    "tags": _m("pod annotations, and labels where valid, with the Service's propagateTags TASK_DEFINITION"),
    "pidMode": _m("task → shareProcessNamespace, host → hostPID"),
    "ipcMode": _m("host → hostIPC; task: the pod's containers share IPC anyway; none: not isolated further"),
    "proxyConfiguration": _r("App Mesh proxy configuration: no mesh injection on Kubernetes; the proxy "
                             "container still runs"),
    "inferenceAccelerators": _r("Elastic Inference accelerators do not exist on Kubernetes"),
    "ephemeralStorage": _m("ephemeral-storage request and limit on the first main container"),
    "runtimePlatform": _m("nodeSelector kubernetes.io/arch and kubernetes.io/os"),
    "enableFaultInjection": _r("ECS fault injection endpoints have no Kubernetes counterpart"),
    "trustedExecutionConfiguration": _x("ECS's isolated or confidential sandboxes cannot be provided by a "
                                        "pod; remove it to run without that isolation"),
}

_CONTAINER = {
    "name": _m("container name (lower case, '_' as '-')"),
    "image": _m("container image; imagePullPolicy IfNotPresent unless the tag is latest"),
    "repositoryCredentials": _m("imagePullSecrets: the Secret named after credentialsParameter"),
    "cpu": _m("requests.cpu = units·1000/1024 millicores (no limit: ECS cpu is a share)"),
    "memory": _m("limits.memory (and requests.memory without memoryReservation)"),
    "memoryReservation": _m("requests.memory"),
    "links": _r("containers of a pod share localhost: reach the linked container there"),
    "portMappings": _m("container ports (hostPort in bridge and host mode) and Kubernetes Service ports"),
    "essential": _m("which containers are main containers; default true, as ECS"),
    "restartPolicy": _r("ECS's in-place container restarts: Kubernetes restarts containers by the pod's "
                        "own policy"),
    "entryPoint": _m("command"),
    "command": _m("args"),
    "environment": _m("env"),
    "environmentFiles": _x("environment files in S3 cannot be read on Kubernetes: move the variables into "
                           "environment or secrets"),
    "mountPoints": _m("volumeMounts"),
    "volumesFrom": _m("the source container's volumeMounts (read-only when asked)"),
    "linuxParameters": _m("capabilities, shared process namespace, memory volumes; see its members"),
    "secrets": _m("env from secretKeyRef: Secret and key named from the ARN or parameter name"),
    "dependsOn": _m("start order: init containers and native sidecars (HEALTHY waits on a startupProbe)"),
    "startTimeout": _r("Kubernetes has no per-dependency start timeout"),
    "stopTimeout": _m("terminationGracePeriodSeconds (the largest over containers; default 30)"),
    "versionConsistency": _r("image digests are resolved by the container runtime at each pull"),
    "hostname": _m("pod hostname (the first one set, its first DNS label)"),
    "user": _m("runAsUser/runAsGroup for numeric uid[:gid] and root; other names are reported"),
    "workingDirectory": _m("workingDir"),
    "disableNetworking": _r("a pod's containers always share its network"),
    "privileged": _m("securityContext.privileged"),
    "readonlyRootFilesystem": _m("securityContext.readOnlyRootFilesystem"),
    "dnsServers": _m("dnsConfig.nameservers with dnsPolicy None"),
    "dnsSearchDomains": _m("dnsConfig.searches"),
    "extraHosts": _m("hostAliases"),
    "dockerSecurityOptions": _r("Docker security options (SELinux, AppArmor labels) are not passed on"),
    "interactive": _m("stdin"),
    "pseudoTerminal": _m("tty"),
    "dockerLabels": _m("pod annotations, and labels where key and value are valid labels"),
    "ulimits": _r("Kubernetes has no per-container ulimits: the node's limits apply"),
    "logConfiguration": _r("logs go to the container's stdout, read with kubectl logs"),
    "healthCheck": _m("exec liveness and readiness probes, startupProbe for startPeriod"),
    "systemControls": _m("pod securityContext.sysctls"),
    "resourceRequirements": _m("GPU → nvidia.com/gpu limit; other types are reported"),
    "firelensConfiguration": _r("FireLens log routing: the log router container runs, but no logs are "
                                "routed to it"),
    "credentialSpecs": _r("Active Directory credential specs (gMSA) are not provided"),
}

_NESTED_TASK = {
    "RepositoryCredentials.credentialsParameter": _m("imagePullSecrets entry named after the ARN"),
    "PortMapping.containerPort": _m("containerPort and Service port"),
    "PortMapping.hostPort": _m("hostPort in bridge and host mode; awsvpc defaults it to containerPort"),
    "PortMapping.protocol": _m("port protocol (default tcp)"),
    "PortMapping.name": _m("port name (IANA service name form) and Service port name"),
    "PortMapping.appProtocol": _m("Service port appProtocol"),
    "PortMapping.containerPortRange": _r("port ranges are not declared per port on Kubernetes (they "
                                         "are reachable on the pod IP)"),
    "KeyValuePair.name": _m("variable name"),
    "KeyValuePair.value": _m("variable value, `$` escaped where Kubernetes would expand it"),
    "MountPoint.sourceVolume": _m("volumeMount name"),
    "MountPoint.containerPath": _m("mountPath"),
    "MountPoint.readOnly": _m("readOnly"),
    "VolumeFrom.sourceContainer": _m("container whose mounts are copied"),
    "VolumeFrom.readOnly": _m("the copied mounts read-only"),
    "LinuxParameters.capabilities": _m("securityContext.capabilities"),
    "LinuxParameters.devices": _r("host devices are not passed into pods (use a device plugin)"),
    "LinuxParameters.initProcessEnabled": _m("shareProcessNamespace (the pause container reaps zombies)"),
    "LinuxParameters.sharedMemorySize": _m("memory emptyDir at /dev/shm of that size"),
    "LinuxParameters.tmpfs": _m("memory emptyDir at containerPath"),
    "LinuxParameters.maxSwap": _r("swap is configured per node on Kubernetes"),
    "LinuxParameters.swappiness": _r("swap is configured per node on Kubernetes"),
    "KernelCapabilities.add": _m("capabilities.add"),
    "KernelCapabilities.drop": _m("capabilities.drop"),
    "Tmpfs.containerPath": _m("mountPath of the memory emptyDir"),
    "Tmpfs.size": _m("sizeLimit of the memory emptyDir (MiB)"),
    "Tmpfs.mountOptions": _r("tmpfs mount options cannot be set on an emptyDir"),
    "Secret.name": _m("variable name"),
    "Secret.valueFrom": _m("secretKeyRef (Secret and key named from the ARN or parameter, decisions.md)"),
    "ContainerDependency.containerName": _m("the container started first"),
    "ContainerDependency.condition": _m("START/HEALTHY: native sidecar (HEALTHY with a startupProbe); "
                                        "COMPLETE/SUCCESS: init container (exit 0 required)"),
    "HostEntry.hostname": _m("hostAliases hostname"),
    "HostEntry.ipAddress": _m("hostAliases ip"),
    "HealthCheck.command": _m("probe exec command (CMD-SHELL through /bin/sh -c; NONE: no probe)"),
    "HealthCheck.interval": _m("periodSeconds (default 30)"),
    "HealthCheck.timeout": _m("timeoutSeconds (default 5)"),
    "HealthCheck.retries": _m("failureThreshold (default 3)"),
    "HealthCheck.startPeriod": _m("startupProbe window (default 0)"),
    "SystemControl.namespace": _m("sysctl name"),
    "SystemControl.value": _m("sysctl value"),
    "ResourceRequirement.value": _m("number of GPUs"),
    "ResourceRequirement.type": _m("GPU → nvidia.com/gpu; InferenceAccelerator and NeuronDevice reported"),
    "ResourceRequirement.sharingStrategy": _r("NVIDIA MPS sharing is configured on the node's device "
                                              "plugin, not per pod"),
    "Volume.name": _m("pod volume name"),
    "Volume.host": _m("hostPath"),
    "Volume.dockerVolumeConfiguration": _m("scope shared → PVC named after the volume; task → emptyDir"),
    "Volume.efsVolumeConfiguration": _m("PVC <fileSystemId>[-<accessPointId>], rootDirectory as subPath"),
    "Volume.s3filesVolumeConfiguration": _r("S3 file systems are not mounted: an emptyDir takes its place"),
    "Volume.fsxWindowsFileServerVolumeConfiguration": _r("FSx for Windows is not mounted: an emptyDir "
                                                         "takes its place"),
    "Volume.configuredAtLaunch": _r("volumes configured by the Service at launch (managed EBS) are not "
                                    "provided: an emptyDir takes its place"),
    "HostVolumeProperties.sourcePath": _m("hostPath.path; without it an emptyDir"),
    "DockerVolumeConfiguration.scope": _m("shared → PVC, task → emptyDir"),
    "DockerVolumeConfiguration.autoprovision": _r("kube-ecs creates no PVC: it must exist"),
    "DockerVolumeConfiguration.driver": _r("the PVC's storage class decides the driver"),
    "DockerVolumeConfiguration.driverOpts": _r("the PVC's storage class decides the driver options"),
    "DockerVolumeConfiguration.labels": _r("Docker volume labels are not set on the PVC"),
    "EFSVolumeConfiguration.fileSystemId": _m("PVC name"),
    "EFSVolumeConfiguration.rootDirectory": _m("subPath of the mounts"),
    "EFSVolumeConfiguration.transitEncryption": _r("set on the EFS CSI PersistentVolume by the admin"),
    "EFSVolumeConfiguration.transitEncryptionPort": _r("set on the EFS CSI PersistentVolume by the admin"),
    "EFSVolumeConfiguration.authorizationConfig": _m("accessPointId is part of the PVC name"),
    "EFSAuthorizationConfig.accessPointId": _m("PVC name suffix"),
    "EFSAuthorizationConfig.iam": _r("set on the EFS CSI PersistentVolume by the admin"),
    "TaskDefinitionPlacementConstraint.type": _m("memberOf"),
    "TaskDefinitionPlacementConstraint.expression": _m("node affinity terms; expressions a node label "
                                                       "cannot answer are reported"),
    "Tag.key": _m("label/annotation key (made valid if needed)"),
    "Tag.value": _m("label/annotation value"),
    "EphemeralStorage.sizeInGiB": _m("ephemeral-storage in GiB"),
    "RuntimePlatform.cpuArchitecture": _m("nodeSelector kubernetes.io/arch (X86_64 → amd64, ARM64 → arm64)"),
    "RuntimePlatform.operatingSystemFamily": _m("nodeSelector kubernetes.io/os (LINUX → linux, else windows)"),
}

_SERVICE = {
    "cluster": _m("must name the Cluster whose namespace holds the Service"),
    "serviceName": _m("Service name (defaults to metadata.name)"),
    "taskDefinition": _m("family (latest ACTIVE revision), family:N or a task-definition ARN"),
    "availabilityZoneRebalancing": _r("the scheduler spreads on placementStrategy only"),
    "loadBalancers": _m("Kubernetes Service port + Ingress rule per entry"),
    "serviceRegistries": _m("the Kubernetes Service's DNS name plays the service-discovery role"),
    "desiredCount": _m("replicas (default 1)"),
    "clientToken": _r("idempotency token: Kubernetes objects are declarative"),
    "launchType": _m("FARGATE → the Fargate node pool; EC2, EXTERNAL, MANAGED_INSTANCES → the EC2 node pool; "
                     "neither it nor a strategy: the Cluster's default strategy, else EC2"),
    "capacityProviderStrategy": _m("one Deployment per provider, on its node pool, tasks split by base and weight "
                                   "as ECS splits them"),
    "platformVersion": _r("Fargate platform versions do not exist on Kubernetes"),
    "role": _r("the load balancer's IAM role: the Ingress controller needs none"),
    "deploymentConfiguration": _m("rolling update; see its members"),
    "placementConstraints": _m("distinctInstance → pod anti-affinity on hostname; memberOf → node affinity"),
    "placementStrategy": _m("spread → topologySpreadConstraints; binpack → a MostAllocated scheduler profile "
                            "(schedulerName kube-ecs-binpack-cpu|memory); random is the default"),
    "networkConfiguration": _r("subnets and security groups have no pod counterpart"),
    "healthCheckGracePeriodSeconds": _m("startup window of the probes"),
    "schedulingStrategy": _m("REPLICA → Deployment, DAEMON → DaemonSet"),
    "deploymentController": _r("rollouts are always Kubernetes' rolling updates (ECS type)"),
    "tags": _m("labels (where valid) and annotations on every child"),
    "enableECSManagedTags": _r("ECS-managed tags are not added"),
    "propagateTags": _m("SERVICE / TASK_DEFINITION tags also on the pods"),
    "enableExecuteCommand": _r("use kubectl exec"),
    "serviceConnectConfiguration": _r("Service Connect: reach the Service by its Kubernetes Service DNS name"),
    "volumeConfigurations": _r("managed EBS volumes are not provisioned"),
    "vpcLatticeConfigurations": _r("VPC Lattice does not exist on Kubernetes"),
    "gatewayConnectors": _r("gateway connectors have no Kubernetes counterpart"),
    "monitoring": _r("metrics are collected by the cluster's own monitoring"),
}

_NESTED_SERVICE = {
    "LoadBalancer.targetGroupArn": _r("recorded: the Ingress routes to the Service port"),
    "LoadBalancer.loadBalancerName": _r("recorded: the Ingress routes to the Service port"),
    "LoadBalancer.containerName": _m("the container whose port is served"),
    "LoadBalancer.containerPort": _m("Service port and Ingress backend port"),
    "LoadBalancer.advancedConfiguration": _r("ELB target groups and listener rules: a BLUE_GREEN test route is the "
                                             "Ingress host test.<host> (docs/rollouts.md)"),
    "LoadBalancer.ingress": _m("kube-ecs extension: Ingress rule host and path"),
    "KubeEcsIngress.host": _m("Ingress rule host (default: any host)"),
    "KubeEcsIngress.path": _m("Ingress path prefix (default /)"),
    "ServiceRegistry.registryArn": _r("Cloud Map is not used: the Kubernetes Service's DNS name is"),
    "ServiceRegistry.port": _r("every port of the task is a Kubernetes Service port"),
    "ServiceRegistry.containerName": _r("every port of the task is a Kubernetes Service port"),
    "ServiceRegistry.containerPort": _r("every port of the task is a Kubernetes Service port"),
    "DeploymentConfiguration.deploymentCircuitBreaker": _m("ECS's failure counting and threshold; a failed "
                                                           "deployment is stopped or rolled back (docs/rollouts.md)"),
    "DeploymentCircuitBreaker.enable": _m("count failed tasks and fail the deployment at the threshold"),
    "DeploymentCircuitBreaker.rollback": _m("a failed deployment returns to the last COMPLETED one's revision"),
    "DeploymentCircuitBreaker.resetOnHealthyTask": _m("a task reaching RUNNING resets the count (default true)"),
    "DeploymentCircuitBreaker.thresholdConfiguration": _m("the threshold: COUNT, BOUNDED_PERCENT (default 50, "
                                                          "3 to 200) or UNBOUNDED_PERCENT of desiredCount"),
    "ThresholdConfiguration.type": _m("COUNT, BOUNDED_PERCENT or UNBOUNDED_PERCENT"),
    "ThresholdConfiguration.value": _m("the count, or the percentage of desiredCount (rounded up)"),
    "DeploymentConfiguration.maximumPercent": _m("maxSurge = floor(desired·max/100) − desired"),
    "DeploymentConfiguration.minimumHealthyPercent": _m("maxUnavailable = desired − ceil(desired·min/100)"),
    "DeploymentConfiguration.alarms": _r("CloudWatch alarms do not exist on Kubernetes"),
    "DeploymentConfiguration.strategy": _m("ROLLING (the default): a Kubernetes rolling update; BLUE_GREEN: green "
                                           "beside blue, test Ingress host test.<host>, production switched once "
                                           "green is healthy; LINEAR and CANARY refused (docs/rollouts.md)"),
    "DeploymentConfiguration.bakeTimeInMinutes": _m("BLUE_GREEN: blue is kept this long after the production switch; "
                                                    "a green task failing meanwhile switches back to blue"),
    "DeploymentConfiguration.lifecycleHooks": _r("lifecycle hooks (Lambda, PAUSE) are not run: their stages pass at "
                                                 "once, status.rollout.blueGreen.green.lifecycleStage says where a "
                                                 "blue/green deployment is"),
    "DeploymentConfiguration.linearConfiguration": _r("rollouts are always rolling updates"),
    "DeploymentConfiguration.canaryConfiguration": _r("rollouts are always rolling updates"),
    "DeploymentConfiguration.earlySuccessCriteria": _r("rollouts are always rolling updates"),
    "PlacementConstraint.type": _m("distinctInstance or memberOf"),
    "PlacementConstraint.expression": _m("memberOf node affinity terms; unmappable expressions reported"),
    "PlacementStrategy.type": _m("spread and binpack mapped, random is the scheduler's default"),
    "PlacementStrategy.field": _m("spread: topology key (zone, hostname or node label); binpack: cpu or memory"),
}

_CLUSTER = {
    "clusterName": _m("the Namespace the Cluster owns (defaults to metadata.name)"),
    "tags": _m("Namespace labels (where valid) and annotations"),
    "settings": _r("Container Insights: use the cluster's own monitoring"),
    "configuration": _r("execute-command logging and managed storage keys have no counterpart"),
    "capacityProviders": _m("the providers its Services may use: FARGATE, FARGATE_SPOT or CapacityProvider names"),
    "defaultCapacityProviderStrategy": _m("the strategy of Services with neither launchType nor "
                                          "capacityProviderStrategy"),
    "serviceConnectDefaults": _r("Service Connect: Kubernetes Service DNS names are used instead"),
    "ecrMirror": _m("kube-ecs extension: a registry (e.g. localhost:5001) that ECR image names of this Cluster's "
                    "tasks are pulled from, as <registry>/<repository>:<tag> (docs/registry.md)"),
    "podSecurity": _m("kube-ecs extension: the Namespace's Pod Security Admission levels (default baseline); "
                      "Services whose tasks the enforce level refuses are refused"),
}

# docs/security.md: privileged, baseline or restricted, per admission mode.
_NESTED_CLUSTER = {
    "KubeEcsPodSecurity.enforce": _m("pod-security.kubernetes.io/enforce; Services are checked against it "
                                     "(default baseline)"),
    "KubeEcsPodSecurity.warn": _m("pod-security.kubernetes.io/warn (default: the enforce level)"),
    "KubeEcsPodSecurity.audit": _m("pod-security.kubernetes.io/audit (default: the enforce level)"),
}

# Strategies of Services and Clusters alike (docs/capacity.md).
_STRATEGY_ITEM = {
    "capacityProvider": _m("FARGATE / FARGATE_SPOT → the Fargate node pool, another name → that CapacityProvider's "
                           "node pool; must be one of the Cluster's capacityProviders"),
    "weight": _m("share of the tasks after base (default 0), placed one task at a time"),
    "base": _m("tasks placed on this provider first (default 0; at most one provider has one)"),
}

_CAPACITY_PROVIDER = {
    "name": _m("CapacityProvider name (defaults to metadata.name), named by Clusters and strategies"),
    "cluster": _r("a provider is account-wide here: any Cluster listing it may use it"),
    "autoScalingGroupProvider": _m("an EC2 node pool: the nodes nodeSelector picks"),
    "managedInstancesProvider": _r("ECS-provisioned instances: nodeSelector picks existing nodes instead"),
    "tags": _r("a CapacityProvider makes no Kubernetes object to carry them"),
    "nodeSelector": _m("kube-ecs extension: the container instances of this EC2 pool (default: all of them)"),
}

_NESTED_CAPACITY_PROVIDER = {
    "AutoScalingGroupProvider.autoScalingGroupArn": _m("recorded: the group's instances are the nodes nodeSelector "
                                                       "picks"),
    "AutoScalingGroupProvider.managedScaling": _r("node pools are scaled by the cluster's autoscaler, not by ECS"),
    "AutoScalingGroupProvider.managedTerminationProtection": _r("scale-in is the cluster autoscaler's decision"),
    "AutoScalingGroupProvider.managedDraining": _r("drain a node with kubectl drain: Kubernetes evicts its pods"),
}

# Standalone tasks (docs/tasks.md): a Task is a RunTask request, each of its `count` tasks one Pod.
_RUN_TASK = {
    "taskDefinition": _m("family (latest ACTIVE revision), family:N (ACTIVE) or a task-definition ARN; "
                         "resolved once, at launch"),
    "cluster": _m("must name the Cluster whose namespace holds the Task"),
    "count": _m("that many tasks (1 to 10, default 1), each its own Pod named by its task id"),
    "startedBy": _m("status startedBy and a Pod annotation"),
    "group": _m("status group (default family:<family>) and a Pod annotation"),
    "overrides": _m("applied to the task definition before the Pods are built; see its members"),
    "launchType": _m("FARGATE → the Fargate node pool; EC2, EXTERNAL, MANAGED_INSTANCES → the EC2 node pool; "
                     "neither it nor a strategy: the Cluster's default strategy, else EC2"),
    "capacityProviderStrategy": _m("the tasks split over the providers' node pools by base and weight, as for "
                                   "Services"),
    "placementConstraints": _m("distinctInstance → pod anti-affinity among the Task's Pods; memberOf → node "
                               "affinity"),
    "placementStrategy": _m("spread → topologySpreadConstraints; binpack → the MostAllocated scheduler profile"),
    "tags": _m("Pod labels (where valid) and annotations"),
    "propagateTags": _m("TASK_DEFINITION: the task definition's tags on the Pods too; SERVICE refused (no "
                        "Service runs a standalone task)"),
    "enableExecuteCommand": _r("use kubectl exec"),
    "enableECSManagedTags": _r("ECS-managed tags are not added"),
    "networkConfiguration": _r("subnets and security groups have no pod counterpart"),
    "platformVersion": _r("Fargate platform versions do not exist on Kubernetes"),
    "referenceId": _r("ECS keeps it for its callers: nothing on Kubernetes reads it"),
    "clientToken": _r("idempotency token: the Task object itself is the idempotent request"),
    "volumeConfigurations": _r("managed EBS volumes are not provisioned"),
    "desiredStatus": _m("kube-ecs extension: STOPPED is StopTask (stopCode UserInitiated; SIGTERM, then SIGKILL "
                        "after the task definition's stopTimeout); a stopped task never runs again"),
    "reason": _m("kube-ecs extension: StopTask's reason, the stopped tasks' stoppedReason"),
    "ttlSecondsAfterStopped": _m("kube-ecs extension: the Task object is deleted that long after its last task "
                                 "STOPPED (default: kept until deleted)"),
}

_NESTED_RUN_TASK = {
    "TaskOverride.containerOverrides": _m("per container, before the Pod is built; the container must exist"),
    "TaskOverride.cpu": _m("the task size in cpu units, as the task definition's cpu"),
    "TaskOverride.memory": _m("the task size in MiB, as the task definition's memory"),
    "TaskOverride.taskRoleArn": _m("the ServiceAccount of that role (IRSA), as the task definition's taskRoleArn"),
    "TaskOverride.executionRoleArn": _r("image pulls and secrets use the pod's ServiceAccount and Secrets"),
    "TaskOverride.inferenceAcceleratorOverrides": _r("Elastic Inference accelerators do not exist on Kubernetes"),
    "TaskOverride.ephemeralStorage": _m("the task definition's ephemeralStorage"),
    "ContainerOverride.name": _m("the container overridden (a containerDefinitions name)"),
    "ContainerOverride.command": _m("the container's command (Kubernetes args)"),
    "ContainerOverride.environment": _m("variables added to, or replacing, the container's environment"),
    "ContainerOverride.environmentFiles": _x("environment files in S3 cannot be read on Kubernetes: use "
                                             "environment"),
    "ContainerOverride.cpu": _m("the container's cpu"),
    "ContainerOverride.memory": _m("the container's memory"),
    "ContainerOverride.memoryReservation": _m("the container's memoryReservation"),
    "ContainerOverride.resourceRequirements": _m("the container's resourceRequirements (GPU)"),
}

# Scheduled tasks (docs/tasks.md): what an EventBridge schedule with an ECS target holds.
_SCHEDULED_TASK = {
    "scheduleExpression": _m("cron(min hour day-of-month month day-of-week year) with ?, L, W, # as AWS "
                             "has them, or rate(N minutes|hours|days); fired by the operator"),
    "scheduleExpressionTimezone": _m("IANA time zone of a cron expression (default UTC)"),
    "state": _m("ENABLED (default) fires runs; DISABLED fires none (running tasks go on)"),
    "runsHistoryLimit": _m("kube-ecs extension: the runs (Task objects) kept, oldest stopped ones deleted "
                           "first (1 to 50, default 5)"),
    "runTask": _m("the RunTask request of every run: each run is a Task owned by the ScheduledTask"),
}


# Application Auto Scaling (docs/autoscaling.md): a ScalableTarget and its ScalingPolicies make a
# HorizontalPodAutoscaler on the Service's Deployment.
_AUTOSCALING_COMMON = {
    "ServiceNamespace": _m("must be ecs (the only service kube-ecs scales)"),
    "ResourceId": _m("service/<cluster>/<service>: the Service of that name in the Cluster whose namespace holds "
                     "this object"),
    "ScalableDimension": _m("must be ecs:service:DesiredCount: the Deployment's replicas"),
}

_SCALABLE_TARGET = {
    **_AUTOSCALING_COMMON,
    "MinCapacity": _m("HorizontalPodAutoscaler minReplicas (at least 1: an HPA cannot scale to 0)"),
    "MaxCapacity": _m("HorizontalPodAutoscaler maxReplicas"),
    "RoleARN": _r("the HorizontalPodAutoscaler needs no IAM role"),
    "SuspendedState": _m("suspends scale-in / scale-out (HPA behavior selectPolicy Disabled); see its members"),
    "Tags": _r("tags of a scalable target are not carried to the HorizontalPodAutoscaler"),
}

_NESTED_SCALABLE_TARGET = {
    "SuspendedState.DynamicScalingInSuspended": _m("behavior.scaleDown.selectPolicy Disabled"),
    "SuspendedState.DynamicScalingOutSuspended": _m("behavior.scaleUp.selectPolicy Disabled"),
    "SuspendedState.ScheduledScalingSuspended": _r("scheduled actions are not implemented: nothing to suspend"),
}

_SCALING_POLICY = {
    **_AUTOSCALING_COMMON,
    "PolicyName": _m("the policy's name (defaults to metadata.name)"),
    "PolicyType": _m("TargetTrackingScaling → a metric of the HorizontalPodAutoscaler; StepScaling and "
                     "PredictiveScaling are reported"),
    "StepScalingPolicyConfiguration": _r("step scaling acts on CloudWatch alarms, which do not exist on "
                                         "Kubernetes: use target tracking"),
    "TargetTrackingScalingPolicyConfiguration": _m("one HPA metric; several policies are one HPA, which "
                                                   "scales out when any asks and in only when all allow"),
    "PredictiveScalingPolicyConfiguration": _r("predictive scaling forecasts from CloudWatch history: the "
                                               "HorizontalPodAutoscaler only reacts"),
}

_NESTED_SCALING_POLICY = {
    "TargetTrackingScalingPolicyConfiguration.TargetValue": _m("averageUtilization (percent, rounded) of the "
                                                               "pods' requests, which are the task's cpu/memory"),
    "TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification": _m("the HPA's Resource metric"),
    "TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification": _r(
        "CloudWatch metrics do not exist on Kubernetes and no external-metrics adapter is installed"),
    "TargetTrackingScalingPolicyConfiguration.ScaleOutCooldown": _m("behavior.scaleUp.stabilizationWindowSeconds "
                                                                    "(default 300, the smallest of the policies)"),
    "TargetTrackingScalingPolicyConfiguration.ScaleInCooldown": _m("behavior.scaleDown.stabilizationWindowSeconds "
                                                                   "(default 300, the largest of the policies)"),
    "TargetTrackingScalingPolicyConfiguration.DisableScaleIn": _m("behavior.scaleDown.selectPolicy Disabled"),
    "PredefinedMetricSpecification.PredefinedMetricType": _m(
        "ECSServiceAverageCPUUtilization[HighResolution] → Resource cpu, ECSServiceAverageMemoryUtilization"
        "[HighResolution] → Resource memory, as Utilization; ALBRequestCountPerTarget is reported (no "
        "request-metrics adapter); other services' types are refused"),
    "PredefinedMetricSpecification.ResourceLabel": _r("names an ALB target group: ALBRequestCountPerTarget is "
                                                      "not mapped"),
}


def _keyed(structure: str, rules: dict[str, Rule]) -> dict[str, Rule]:
    return {f"{structure}.{member}": rule for member, rule in rules.items()}


RULES: dict[str, Rule] = {
    **_keyed(model.TASK_DEFINITION, _TASK_DEFINITION),
    **_keyed(model.CONTAINER, _CONTAINER),
    **_NESTED_TASK,
    **_keyed(model.SERVICE, _SERVICE),
    **_NESTED_SERVICE,
    **_keyed(model.CLUSTER, _CLUSTER),
    **_NESTED_CLUSTER,
    **_keyed(model.STRATEGY_ITEM, _STRATEGY_ITEM),
    **_keyed(model.CAPACITY_PROVIDER, _CAPACITY_PROVIDER),
    **_NESTED_CAPACITY_PROVIDER,
    **_keyed(model.RUN_TASK, _RUN_TASK),
    **_NESTED_RUN_TASK,
    **_keyed(model.SCHEDULED_TASK, _SCHEDULED_TASK),
    **_keyed(model.SCALABLE_TARGET, _SCALABLE_TARGET),
    **_NESTED_SCALABLE_TARGET,
    **_keyed(model.SCALING_POLICY, _SCALING_POLICY),
    **_NESTED_SCALING_POLICY,
    **{f"{model.DESCRIBED}.{member}": _READ_ONLY for member in model.read_only_members()},
}


@dataclass(frozen=True)
class Row:
    """One member of the coverage table: its shape path, its rule, and the member whose rule covers it
    (itself, or a reported/rejected parent)."""

    path: str
    rule: Rule | None
    covered_by: str


def rows(root: str) -> Iterator[Row]:
    """Every member reachable from `root` with the rule that decides it (rule None: no rule, a bug the
    coverage test catches). Members inside a reported or rejected member inherit its rule; a shape
    reached from several places is listed once per rule that covers it."""
    seen = set()
    for row in _rows(root, None):
        if (row.path, row.covered_by) not in seen:
            seen.add((row.path, row.covered_by))
            yield row


def _rows(structure: str, cover: tuple[str, Rule] | None, seen: frozenset[str] = frozenset()) -> Iterator[Row]:
    for name, member in model.members(structure).items():
        path = f"{structure}.{name}"
        covered_by, rule = cover if cover else (path, RULES.get(path))
        yield Row(path, rule, covered_by)
        inner = model.nested(member)
        if inner and inner not in seen:
            inherited = cover or ((path, rule) if rule and rule.kind in COVERING else None)
            yield from _rows(inner, inherited, seen | {structure})


def rule_for(structure: str, member: str) -> Rule | None:
    return RULES.get(f"{structure}.{member}")


def present(spec: dict, root: str) -> Iterator[tuple[str, Rule]]:
    """(field path, rule) for every field of normalized `spec` decided by a covering rule (reported or
    rejected), outermost only: what normalize notes and validate refuses."""
    yield from _present(spec, root, "")


@cache
def _decisions(structure: str) -> dict[str, Rule | str]:
    """What `_present` does with each member of `structure`: its covering rule, or the structure to
    look into; members with neither are not listed."""
    decisions: dict[str, Rule | str] = {}
    for name, member in model.members(structure).items():
        rule = rule_for(structure, name)
        if rule is not None and rule.kind in COVERING:
            decisions[name] = rule
        elif inner := model.nested(member):
            decisions[name] = inner
    return decisions


def _present(value: dict, structure: str, path: str) -> Iterator[tuple[str, Rule]]:
    decisions = _decisions(structure)
    for key, item in value.items():
        decision = decisions.get(key)
        if decision is None or item in ([], {}) or item is False:
            continue  # an empty list or a false flag asks for nothing
        where = join(path, key)
        if isinstance(decision, Rule):
            yield where, decision
        else:
            for item_path, element in _elements(item, where):
                yield from _present(element, decision, item_path)


def _elements(value: Any, path: str) -> Iterator[tuple[str, dict]]:
    """The structures inside `value` (itself, or the items of nested lists) with their paths."""
    if isinstance(value, dict):
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _elements(item, join(path, i))
