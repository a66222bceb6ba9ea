module kube-ecs.invalid/registry-gate

go 1.22
