module kube-ecs.invalid/cats

go 1.22
