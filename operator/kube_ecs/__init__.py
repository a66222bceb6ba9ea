"""kube-ecs: Amazon ECS's model as a Kubernetes operator."""

GROUP = "ecs.kube-ecs.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
