"""Normalized ECS inputs for the golden tests: what ecs.normalize hands the builders (ints, bools,
ECS defaults filled in)."""

from __future__ import annotations

OWNER = {"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "name": "web", "uid": "0c1d2e3f-0000-4000-8000-000000000001"}

HEALTH = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}

# A small web app behind a load balancer, Fargate-style (awsvpc, task size only).
WEB_TASKDEF = {
    "family": "web",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": 256,
    "memory": 512,
    "containerDefinitions": [
        {
            "name": "web",
            "image": "nginx:1.27",
            "essential": True,
            "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp", "name": "http", "appProtocol": "http"}],
            "environment": [{"name": "GREETING", "value": "hello"}],
            "healthCheck": {**HEALTH, "command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "startPeriod": 10},
        }
    ],
}
WEB_SERVICE = {
    "serviceName": "web",
    "desiredCount": 3,
    "schedulingStrategy": "REPLICA",
    "deploymentConfiguration": {"minimumHealthyPercent": 50, "maximumPercent": 200},
    "loadBalancers": [
        {"containerName": "web", "containerPort": 80, "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef", "ingress": {"host": "web.example.com", "path": "/"}}
    ],
    "healthCheckGracePeriodSeconds": 60,
    "tags": [{"key": "team", "value": "cats"}, {"key": "cost center", "value": "Dept 42"}],
}

# Nearly every mapped field at once, in bridge mode.
FULL_TASKDEF = {
    "family": "shop",
    "taskRoleArn": "arn:aws:iam::123456789012:role/apps/shop-task-role",
    "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    "networkMode": "bridge",
    "cpu": 2048,
    "memory": 4096,
    "pidMode": "task",
    "ipcMode": "host",
    "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
    "ephemeralStorage": {"sizeInGiB": 30},
    "placementConstraints": [{"type": "memberOf", "expression": "attribute:ecs.instance-type == m6g.large or attribute:ecs.instance-type == m6g.xlarge"}],
    "tags": [{"key": "app", "value": "shop"}],
    "volumes": [
        {"name": "docker_sock", "host": {"sourcePath": "/var/run/docker.sock"}},
        {"name": "scratch", "dockerVolumeConfiguration": {"scope": "task", "driver": "local"}},
        {"name": "uploads", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": True, "driver": "local"}},
        {"name": "assets", "efsVolumeConfiguration": {"fileSystemId": "fs-0123456789abcdef0", "rootDirectory": "/shop/assets", "transitEncryption": "ENABLED", "authorizationConfig": {"accessPointId": "fsap-0a1b2c3d4e5f", "iam": "ENABLED"}}},
        {"name": "cache"},
    ],
    "containerDefinitions": [
        {
            "name": "app",
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "essential": True,
            "cpu": 1024,
            "memory": 2048,
            "memoryReservation": 1024,
            "entryPoint": ["sh", "-c"],
            "command": ["exec shop --listen :8080 --started-at $(date +%s)"],
            "workingDirectory": "/srv",
            "user": "1000:1000",
            "readonlyRootFilesystem": True,
            "portMappings": [
                {"containerPort": 8080, "hostPort": 0, "protocol": "tcp", "name": "shop_http"},
                {"containerPort": 9090, "hostPort": 9090, "protocol": "tcp"},
            ],
            "environment": [{"name": "MODE", "value": "prod"}, {"name": "DSN_TEMPLATE", "value": "postgres://$(USER)@db"}],
            "secrets": [
                {"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/shop/db-AbCdEf:password::"},
                {"name": "API_TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/shop/api_token"},
            ],
            "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-creds-a1B2c3"},
            "mountPoints": [
                {"sourceVolume": "uploads", "containerPath": "/srv/uploads"},
                {"sourceVolume": "assets", "containerPath": "/srv/assets", "readOnly": True},
            ],
            "volumesFrom": [{"sourceContainer": "cache-warmer", "readOnly": True}],
            "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}, {"containerName": "migrate", "condition": "SUCCESS"}, {"containerName": "envoy", "condition": "START"}],
            "healthCheck": {**HEALTH, "command": ["CMD", "/srv/bin/healthcheck"], "interval": 10, "retries": 5, "startPeriod": 30},
            "linuxParameters": {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}, "initProcessEnabled": True, "sharedMemorySize": 256, "tmpfs": [{"containerPath": "/tmp", "size": 64}]},
            "extraHosts": [{"hostname": "legacy.internal", "ipAddress": "10.0.0.5"}],
            "dnsServers": ["10.0.0.2"],
            "dnsSearchDomains": ["shop.internal"],
            "hostname": "shop.example.com",
            "systemControls": [{"namespace": "net.core.somaxconn", "value": "1024"}],
            "stopTimeout": 45,
            "resourceRequirements": [{"type": "GPU", "value": "1"}],
            "dockerLabels": {"com.example.tier": "frontend", "com.example.description": "The shop, front end"},
        },
        {
            "name": "db",
            "image": "postgres:16",
            "essential": True,
            "portMappings": [{"containerPort": 5432, "hostPort": 0, "protocol": "tcp"}],
            "healthCheck": {**HEALTH, "command": ["CMD-SHELL", "pg_isready -U postgres"], "interval": 5, "startPeriod": 20},
            "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/var/lib/postgresql/data"}],
            "user": "postgres",
        },
        {
            "name": "migrate",
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-migrate:latest",
            "essential": False,
            "command": ["migrate", "up"],
            "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}],
            "memoryReservation": 128,
        },
        {
            "name": "envoy",
            "image": "envoyproxy/envoy:v1.31.0",
            "essential": True,
            "cpu": 256,
            "memory": 256,
            "healthCheck": {**HEALTH, "command": ["CMD", "/bin/true"]},
        },
        {
            "name": "cache-warmer",
            "image": "busybox",
            "essential": False,
            "command": ["sh", "-c", "while true; do sleep 3600; done"],
            "mountPoints": [{"sourceVolume": "cache", "containerPath": "/cache"}, {"sourceVolume": "docker_sock", "containerPath": "/var/run/docker.sock"}],
            "interactive": True,
            "pseudoTerminal": True,
            "privileged": True,
            "stopTimeout": 10,
        },
    ],
}
FULL_SERVICE = {
    "serviceName": "shop",
    "desiredCount": 4,
    "deploymentConfiguration": {"minimumHealthyPercent": 75, "maximumPercent": 150},
    "loadBalancers": [
        {"containerName": "app", "containerPort": 8080, "ingress": {"host": "shop.example.com", "path": "/"}},
        {"containerName": "app", "containerPort": 9090, "ingress": {"host": "shop.example.com", "path": "/metrics"}},
        {"containerName": "app", "containerPort": 8080, "loadBalancerName": "classic-elb"},
    ],
    "placementConstraints": [{"type": "distinctInstance"}, {"type": "memberOf", "expression": "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"}],
    "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}, {"type": "spread", "field": "instanceId"}, {"type": "binpack", "field": "memory"}],
    "healthCheckGracePeriodSeconds": 120,
    "propagateTags": "TASK_DEFINITION",
}

# A per-node agent on the host network.
DAEMON_TASKDEF = {
    "family": "node-agent",
    "networkMode": "host",
    "volumes": [{"name": "proc", "host": {"sourcePath": "/proc"}}],
    "containerDefinitions": [
        {
            "name": "agent",
            "image": "example/agent",
            "essential": True,
            "cpu": 128,
            "memory": 128,
            "portMappings": [{"containerPort": 9100, "hostPort": 9100, "protocol": "tcp", "name": "metrics"}],
            "mountPoints": [{"sourceVolume": "proc", "containerPath": "/host/proc", "readOnly": True}],
        }
    ],
}
DAEMON_SERVICE = {"serviceName": "node-agent", "schedulingStrategy": "DAEMON"}

# Service discovery only: ports but no loadBalancers; tags propagated from the Service.
DISCOVERY_TASKDEF = {
    "family": "api",
    "networkMode": "awsvpc",
    "containerDefinitions": [
        {"name": "api", "image": "example/api:2.1", "essential": True, "memory": 300,
         "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp", "name": "grpc", "appProtocol": "grpc"},
                          {"containerPort": 53, "hostPort": 53, "protocol": "udp"}]}
    ],
}
DISCOVERY_SERVICE = {"serviceName": "api", "desiredCount": 1, "propagateTags": "SERVICE", "tags": [{"key": "team", "value": "platform"}],
                     "serviceRegistries": [{"registryArn": "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-abc"}]}

# A queue worker: no ports, so no Kubernetes Service.
WORKER_TASKDEF = {
    "family": "worker",
    "networkMode": "awsvpc",
    "cpu": 1024,
    "memory": 2048,
    "containerDefinitions": [
        {"name": "worker", "image": "example/worker:1", "essential": True},
        {"name": "log_router", "image": "fluent/fluent-bit:3", "essential": False, "memoryReservation": 50},
    ],
}
WORKER_SERVICE = {"serviceName": "worker", "desiredCount": 0}

# The web app over Fargate and Fargate Spot, ECS's example strategy: 4 tasks on FARGATE, 6 on Spot.
SPOT_SERVICE = {
    **WEB_SERVICE,
    "desiredCount": 10,
    "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "base": 2, "weight": 1},
                                 {"capacityProvider": "FARGATE_SPOT", "weight": 3}],
}

CASES: dict[str, tuple[dict, dict]] = {
    "web": (WEB_SERVICE, WEB_TASKDEF),
    "spot": (SPOT_SERVICE, WEB_TASKDEF),
    "full": (FULL_SERVICE, FULL_TASKDEF),
    "daemon": (DAEMON_SERVICE, DAEMON_TASKDEF),
    "discovery": (DISCOVERY_SERVICE, DISCOVERY_TASKDEF),
    "worker": (WORKER_SERVICE, WORKER_TASKDEF),
}
