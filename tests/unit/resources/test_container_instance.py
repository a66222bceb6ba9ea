from kube_ecs.resources.container_instance import (
    Usage,
    build_container_instance,
    container_instance_arn,
    container_instance_status,
    cpu_units,
    instance_id,
    is_container_instance_node,
    pod_requests,
)
from kube_ecs.resources.placement import member_of_terms, node_attributes

EC2_LABELS = {
    "kubernetes.io/hostname": "worker", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
    "topology.kubernetes.io/zone": "us-east-1a", "node.kubernetes.io/instance-type": "m5.large",
    "ecs.kube-ecs.dev/node-pool": "ec2", "team": "cats", "beta.kubernetes.io/arch": "amd64",
    "node-role.kubernetes.io/worker": "",
}


def node(name="worker", labels=None, unschedulable=False, ready=True, cpu="2", memory="8Gi"):
    spec: dict = {"providerID": f"kind://docker/kube-ecs/{name}"}
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "uid": "0d6a3f0e-6a3b-4c57-9d43-5f0e3c1b2a9d", "creationTimestamp": "2026-12-01T10:00:00Z",
                     "labels": EC2_LABELS if labels is None else labels},
        "spec": spec,
        "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                   "conditions": [{"type": "Ready", "status": "True" if ready else "Unknown"}],
                   "nodeInfo": {"kubeletVersion": "v1.34.11", "containerRuntimeVersion": "containerd://1.7.24"}},
    }


def test_container_instances_are_the_nodes_outside_control_plane_and_fargate():
    assert is_container_instance_node(node())
    assert is_container_instance_node(node(labels={}))  # any plain worker, on any cluster
    assert not is_container_instance_node(node(labels={"node-role.kubernetes.io/control-plane": ""}))
    assert not is_container_instance_node(node(labels={"ecs.kube-ecs.dev/node-pool": "fargate"}))


def test_pod_requests_follow_the_schedulers_rule():
    def container(cpu, memory, **extra):
        return {"resources": {"requests": {"cpu": cpu, "memory": memory}}, **extra}
    pod = {"spec": {"containers": [container("250m", "512Mi"), container("100m", "128Mi")],
                    "initContainers": [container("1", "64Mi"), container("50m", "32Mi", restartPolicy="Always")],
                    "overhead": {"cpu": "10m"}}}
    # containers + sidecar = 400m, 672Mi; the plain init step needs 1 core, 64Mi: the larger of each.
    assert pod_requests(pod) == (1010, 672 * 1024 * 1024)
    assert pod_requests({"spec": {"containers": [{"name": "bare"}]}}) == (0, 0)


def test_cpu_units_invert_the_builders_mapping():
    assert cpu_units(2000) == 2048
    assert cpu_units(250) == 256  # a 256-unit task asks for 250m


def test_status_mirrors_describe_container_instances():
    status = container_instance_status(node(), Usage(cpu_millicores=500, memory_bytes=1536 * 1024 * 1024,
                                                     running_tasks=2, pending_tasks=1))
    assert status == {
        "containerInstanceArn": "arn:aws:ecs:us-east-1:000000000000:container-instance/0d6a3f0e6a3b4c579d435f0e3c1b2a9d",
        "ec2InstanceId": "worker",
        "status": "ACTIVE",
        "agentConnected": True,
        "runningTasksCount": 2,
        "pendingTasksCount": 1,
        "registeredResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 2048},
                                {"name": "MEMORY", "type": "INTEGER", "integerValue": 8192}],
        "remainingResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 1536},
                               {"name": "MEMORY", "type": "INTEGER", "integerValue": 6656}],
        "attributes": [{"name": "ecs.availability-zone", "value": "us-east-1a"},
                       {"name": "ecs.instance-type", "value": "m5.large"},
                       {"name": "ecs.os-type", "value": "linux"},
                       {"name": "ecs.cpu-architecture", "value": "x86_64"},
                       {"name": "ecs.kube-ecs.dev/node-pool", "value": "ec2"},
                       {"name": "team", "value": "cats"}],
        "versionInfo": {"agentVersion": "v1.34.11", "dockerVersion": "containerd://1.7.24"},
        "registeredAt": "2026-12-01T10:00:00Z",
    }


def test_cordoned_is_draining_and_not_ready_is_disconnected():
    status = container_instance_status(node(unschedulable=True, ready=False), Usage())
    assert status["status"] == "DRAINING" and status["agentConnected"] is False


def test_status_fields_are_botocores():
    from kube_ecs.ecs import model
    members = model.shape("ContainerInstance").members
    assert set(container_instance_status(node(), Usage())) <= set(members)
    resource = set(model.shape("Resource").members)
    assert all(set(r) <= resource for r in container_instance_status(node(), Usage())["registeredResources"])


def test_arn_region_and_instance_id():
    assert ":eu-west-3:" in container_instance_arn(node(labels={"topology.kubernetes.io/region": "eu-west-3"}))
    assert ":local:" in container_instance_arn(node(labels={"topology.kubernetes.io/zone": "rack-1"}))
    eks = node()
    eks["spec"]["providerID"] = "aws:///us-east-1a/i-0123456789abcdef0"
    assert instance_id(eks) == "i-0123456789abcdef0"


def test_custom_attributes_leave_out_kubernetes_own_labels():
    names = [a["name"] for a in node_attributes({"a.k8s.io/x": "1", "kubernetes.io/y": "2", "example.com/rack": "r1",
                                            "flag": ""})]
    assert names == ["example.com/rack", "flag"]
    assert node_attributes({"flag": ""}) == [{"name": "flag"}]


def test_attributes_are_what_member_of_matches():
    # The attribute a user reads off the view, used in a memberOf constraint, selects the same node label.
    assert member_of_terms("attribute:ecs.cpu-architecture == x86_64") == [
        [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]]
    assert {"name": "ecs.cpu-architecture", "value": "x86_64"} in node_attributes({"kubernetes.io/arch": "amd64"})


def test_view_is_owned_by_its_node_without_blocking_its_deletion():
    view = build_container_instance(node())
    assert view["kind"] == "ContainerInstance" and view["metadata"]["name"] == "worker"
    [owner] = view["metadata"]["ownerReferences"]
    assert owner == {"apiVersion": "v1", "kind": "Node", "name": "worker", "uid": node()["metadata"]["uid"],
                     "controller": True, "blockOwnerDeletion": False}
    assert "spec" not in view and "status" not in view
