module kube-ecs.invalid/pause

go 1.22
