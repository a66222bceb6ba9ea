"""validate: ECS's RegisterTaskDefinition and CreateService checks, with ECS's words and field paths."""

from __future__ import annotations

import pytest

from kube_ecs.ecs.normalize import normalize_service, normalize_task_definition
from kube_ecs.ecs.validate import FARGATE_SIZES, validate_service, validate_service_task, validate_task_definition


def web(**fields):
    return {"name": "web", "image": "nginx:1.27", "memory": 256, **fields}


def check(**spec) -> list[str]:
    normalized, _ = normalize_task_definition({"family": "web", "containerDefinitions": [web()], **spec})
    return [str(p) for p in validate_task_definition(normalized)]


def fargate(cpu, memory, **spec) -> list[str]:
    return check(**{"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": cpu, "memory": memory,
                    "containerDefinitions": [{"name": "web", "image": "nginx"}], **spec})


def test_a_plain_task_definition_is_valid():
    assert check() == []


@pytest.mark.parametrize(("cpu", "memory"), [(256, 512), (256, 2048), (512, 4096), (1024, 8192), (2048, 16384),
                                             (4096, 30720), (8192, 61440), (16384, 122880), ("0.25 vCPU", "1 GB")])
def test_fargate_sizes_ecs_allows(cpu, memory):
    assert fargate(cpu, memory) == []


@pytest.mark.parametrize(("cpu", "memory", "path"), [(256, 1536, "memory"), (256, 4096, "memory"), (512, 512, "memory"),
                                                     (8192, 18432, "memory"), (100, 512, "cpu"), (3072, 8192, "cpu")])
def test_fargate_sizes_ecs_refuses(cpu, memory, path):
    [problem] = fargate(cpu, memory)
    assert problem.startswith(f"{path}: Invalid '{path}' setting for task.")


def test_every_fargate_size_in_the_table_passes():
    for cpu, memories in FARGATE_SIZES.items():
        for memory in memories:
            assert fargate(cpu, memory) == []


def test_fargate_needs_awsvpc_and_a_task_size():
    assert check(requiresCompatibilities=["FARGATE"], networkMode="bridge", cpu=256, memory=512) == [
        "networkMode: Fargate only supports network mode 'awsvpc'."]
    assert check(requiresCompatibilities=["FARGATE"], networkMode="awsvpc") == [
        "cpu: Fargate requires that 'cpu' be defined at the task level.",
        "memory: Fargate requires that 'memory' be defined at the task level."]


def test_fargate_refuses_host_features():
    problems = fargate(1024, 2048, pidMode="host", volumes=[{"name": "v", "host": {"sourcePath": "/data"}}],
                       containerDefinitions=[web(privileged=True, resourceRequirements=[{"type": "GPU", "value": "1"}])])
    assert problems == ["pidMode: pidMode 'host' is not supported on Fargate.",
                        "volumes[0].host: Fargate does not support host volumes.",
                        "containerDefinitions[0].privileged: Fargate does not support privileged containers.",
                        "containerDefinitions[0].resourceRequirements: Fargate does not support GPU resource requirements."]


@pytest.mark.parametrize("mode", ["awsvpc", "host"])
def test_host_port_must_equal_container_port(mode):
    assert check(networkMode=mode, containerDefinitions=[web(portMappings=[{"containerPort": 80, "hostPort": 8080}])]) == [
        f"containerDefinitions[0].portMappings[0].hostPort: When networkMode={mode}, the host ports and container "
        f"ports in port mappings must match."]
    assert check(networkMode="bridge", containerDefinitions=[web(portMappings=[{"containerPort": 80, "hostPort": 8080}])]) == []


def test_container_names_essential_and_memory():
    assert check(containerDefinitions=[web(), web()]) == [
        "containerDefinitions[1]: Duplicate container name 'web': container names must be unique within a task definition."]
    assert check(containerDefinitions=[web(essential=False)]) == [
        "containerDefinitions: A task definition must have at least one essential container."]
    assert check(containerDefinitions=[web(memory=256, memoryReservation=512)]) == [
        "containerDefinitions[0].memoryReservation: Invalid 'memoryReservation' setting for container 'web'. "
        "It must be less than or equal to 'memory' (256 MiB)."]
    assert check(containerDefinitions=[{"name": "web", "image": "x"}]) == [
        "containerDefinitions[0]: Invalid setting for container 'web'. At least one of 'memory' or "
        "'memoryReservation' must be specified."]
    assert check(memory="512", containerDefinitions=[web(memory=300), web(name="b", memory=300)]) == [
        "memory: Invalid 'memory' setting for task. The sum of the containers' memory (600 MiB) is greater than "
        "the task memory (512 MiB)."]


def test_references_to_unknown_containers_and_volumes():
    problems = check(networkMode="bridge", containerDefinitions=[web(
        dependsOn=[{"containerName": "db", "condition": "START"}], links=["cache:redis"],
        volumesFrom=[{"sourceContainer": "seed"}], mountPoints=[{"sourceVolume": "data", "containerPath": "/d"}])])
    assert [p.split(":")[0] for p in problems] == [
        "containerDefinitions[0].dependsOn[0].containerName", "containerDefinitions[0].links[0]",
        "containerDefinitions[0].volumesFrom[0].sourceContainer", "containerDefinitions[0].mountPoints[0].sourceVolume"]


def test_dependency_conditions():
    job = {"name": "migrate", "image": "app", "memory": 64}
    assert check(containerDefinitions=[job, web(dependsOn=[{"containerName": "migrate", "condition": "SUCCESS"}])]) == [
        "containerDefinitions[1].dependsOn[0].condition: Dependency condition SUCCESS cannot be used on essential "
        "container 'migrate'."]
    assert check(containerDefinitions=[{**job, "essential": False},
                                       web(dependsOn=[{"containerName": "migrate", "condition": "COMPLETE"}])]) == []
    assert check(containerDefinitions=[job, web(dependsOn=[{"containerName": "migrate", "condition": "HEALTHY"}])]) == [
        "containerDefinitions[1].dependsOn[0].condition: Dependency condition HEALTHY requires container 'migrate' "
        "to have a healthCheck."]
    assert check(containerDefinitions=[web(dependsOn=[{"containerName": "b", "condition": "START"}]),
                                       web(name="b", dependsOn=[{"containerName": "web", "condition": "START"}])]) == [
        "containerDefinitions: Circular container dependency: web -> b -> web."]


def test_links_health_checks_and_rejected_fields():
    assert check(networkMode="awsvpc", containerDefinitions=[web(links=["b"]), web(name="b")]) == [
        "containerDefinitions[0].links: Links are not supported when networkMode=awsvpc."]
    assert check(containerDefinitions=[web(healthCheck={"command": ["CMD-SHELL", "true"], "interval": 400})]) == [
        "containerDefinitions[0].healthCheck.interval: Invalid 'interval' setting for health check: it must be "
        "between 5 and 300."]
    [rejected] = check(containerDefinitions=[web(environmentFiles=[{"value": "arn:aws:s3:::b/x.env", "type": "s3"}])])
    assert rejected.startswith("containerDefinitions[0].environmentFiles: not supported on Kubernetes: environment files")


def test_efs_rules():
    efs = {"fileSystemId": "fs-1", "authorizationConfig": {"accessPointId": "fsap-1", "iam": "ENABLED"}, "rootDirectory": "/a"}
    assert [p.split(":")[0] for p in check(volumes=[{"name": "v", "efsVolumeConfiguration": efs}])] == [
        "volumes[0].efsVolumeConfiguration.authorizationConfig.iam",
        "volumes[0].efsVolumeConfiguration.authorizationConfig.accessPointId",
        "volumes[0].efsVolumeConfiguration.rootDirectory"]


def service(**spec) -> list[str]:
    normalized, _ = normalize_service({"serviceName": "web", "taskDefinition": "web", "desiredCount": 1, **spec})
    return [str(p) for p in validate_service(normalized)]


def test_service_rules():
    assert service() == []
    assert service(launchType="EC2", capacityProviderStrategy=[{"capacityProvider": "FARGATE"}]) == [
        "capacityProviderStrategy: Specifying both a launch type and capacity provider strategy is not supported. "
        "Remove one and try again."]
    assert service(schedulingStrategy="DAEMON", placementStrategy=[{"type": "spread", "field": "instanceId"}]) == [
        "placementStrategy: Placement strategies are not supported with the DAEMON scheduling strategy."]
    assert service(deploymentConfiguration={"minimumHealthyPercent": 150, "maximumPercent": 50}) == [
        "deploymentConfiguration.minimumHealthyPercent: minimumHealthyPercent must be between 0 and 100."]
    assert service(serviceName="my service") == [
        "serviceName: Invalid service name. Up to 255 letters (uppercase and lowercase), numbers, underscores, and "
        "hyphens are allowed."]
    assert service(loadBalancers=[{"containerName": "web", "ingress": {"path": "api"}}]) == [
        "loadBalancers[0].containerPort: The load balancer needs a containerPort.",
        "loadBalancers[0].ingress.path: An Ingress path must start with '/'."]


def test_load_balancers_must_name_a_declared_container_port():
    taskdef, _ = normalize_task_definition({"family": "web", "containerDefinitions": [web(portMappings=[{"containerPort": 80}])]})
    spec, _ = normalize_service({"serviceName": "web", "loadBalancers": [
        {"containerName": "web", "containerPort": 80}, {"containerName": "web", "containerPort": 8080},
        {"containerName": "api", "containerPort": 80}]})
    assert [str(p) for p in validate_service_task(spec, taskdef)] == [
        "loadBalancers[1].containerPort: The container web did not have a container port 8080 defined.",
        "loadBalancers[2].containerName: The container api does not exist in the task definition."]


@pytest.mark.parametrize(("config", "problems"), [
    ({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5}, []),
    ({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}, []),
    ({"strategy": "BLUE_GREEN"}, ["deploymentConfiguration.bakeTimeInMinutes: You must provide bakeTimeInMinutes "
                                  "when you use the BLUE_GREEN deployment strategy."]),
    ({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1441},
     ["deploymentConfiguration.bakeTimeInMinutes: bakeTimeInMinutes must be between 0 and 1440."]),
    *[({"strategy": s}, [f"deploymentConfiguration.strategy: {s} is not supported: it shifts traffic by weight, "
                         f"which the cluster's ingress (Traefik's Kubernetes Ingress provider) cannot do. Allowed: "
                         f"ROLLING or BLUE_GREEN."]) for s in ("LINEAR", "CANARY")],
])
def test_deployment_strategies(config, problems):
    assert service(deploymentConfiguration=config) == problems


def test_blue_green_needs_replica_scheduling():
    assert service(schedulingStrategy="DAEMON", deploymentConfiguration={
        "strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1}) == [
        "deploymentConfiguration.strategy: BLUE_GREEN needs the REPLICA scheduling strategy: a DAEMON service runs "
        "one task per instance and cannot run blue and green side by side. Allowed: ROLLING."]
