"""crds/ is generated (`make crds`); these tests fail when it is stale or loses what users rely on."""

from pathlib import Path

import yaml

from kube_ecs import crds

CRDS = Path(__file__).resolve().parents[2] / "crds"


def test_committed_crds_are_current():
    for crd in crds.crd_manifests():
        path = CRDS / f"{crd['metadata']['name']}.yaml"
        assert path.exists(), f"{path.name} missing: run `make crds`"
        assert path.read_text() == crds.render(crd), f"{path.name} is stale: run `make crds`"
    assert {p.name for p in CRDS.glob("*.yaml")} == {f"{c['metadata']['name']}.yaml" for c in crds.crd_manifests()}


def by_kind():
    return {c["spec"]["names"]["kind"]: c for c in crds.crd_manifests()}


def test_every_kind_is_in_category_ecs_with_status_subresource():
    for crd in crds.crd_manifests():
        version = crd["spec"]["versions"][0]
        assert crd["spec"]["names"]["categories"] == ["ecs"]
        assert version["subresources"] == {"status": {}}
        status = version["schema"]["openAPIV3Schema"]["properties"]["status"]
        assert status["x-kubernetes-preserve-unknown-fields"] is True
        yaml.safe_load(crds.render(crd))


def test_printer_columns_and_short_names():
    kinds = by_kind()
    columns = {k: [c["name"] for c in v["spec"]["versions"][0]["additionalPrinterColumns"]] for k, v in kinds.items()}
    assert columns["Service"] == ["Desired", "Running", "Pending", "TaskDef", "Rollout", "Age"]
    assert columns["TaskDefinition"] == ["Revision", "Status", "Containers", "Age"]
    assert columns["Cluster"][:3] == ["Status", "Services", "Running"]
    assert "esvc" in kinds["Service"]["spec"]["names"]["shortNames"]
    assert "td" in kinds["TaskDefinition"]["spec"]["names"]["shortNames"]
    assert "tdrev" in kinds["TaskDefinitionRevision"]["spec"]["names"]["shortNames"]
    assert columns["CapacityProvider"] == ["Status", "Nodes", "AutoScalingGroup", "Age"]
    assert "ecscp" in kinds["CapacityProvider"]["spec"]["names"]["shortNames"]
    assert columns["ContainerInstance"] == ["Status", "Running", "Pending", "CPU Remaining", "Memory Remaining",
                                            "Agent", "Zone", "Instance Type", "Age"]
    assert "ci" in kinds["ContainerInstance"]["spec"]["names"]["shortNames"]
    assert kinds["Service"]["spec"]["scope"] == "Namespaced"
    assert {kinds[k]["spec"]["scope"] for k in ("Cluster", "TaskDefinition", "TaskDefinitionRevision",
                                                "CapacityProvider", "ContainerInstance")} == {"Cluster"}


def test_names_default_to_metadata_name():
    kinds = by_kind()

    def spec(kind):
        return kinds[kind]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]

    assert "family" not in spec("TaskDefinition").get("required", [])
    assert "serviceName" not in spec("Service").get("required", [])
    assert "name" not in spec("CapacityProvider").get("required", [])
    assert spec("CapacityProvider")["properties"]["nodeSelector"]["additionalProperties"] == {"type": "string"}
    assert spec("Service")["properties"]["desiredCount"]["type"] == "integer"


def test_revisions_are_immutable_by_cel():
    spec = by_kind()["TaskDefinitionRevision"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    rules = [r["rule"] for r in spec["x-kubernetes-validations"]]
    assert any("self.taskDefinition == oldSelf.taskDefinition" in r for r in rules)
    assert any("INACTIVE" in r for r in rules)
