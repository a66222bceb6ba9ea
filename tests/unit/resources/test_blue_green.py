"""BLUE_GREEN manifests: the production and test routes, the hold, the deployment label."""

from __future__ import annotations

from kube_ecs.resources import blue_green, build_service_manifests, names

from .cases import CASES, OWNER
from .conftest import validate

# The test route's Service and Ingress.
TEST = blue_green.route_name("web", OWNER["uid"])
BLUE, GREEN = "ecs-svc/1111111111111111111", "ecs-svc/2222222222222222222"


def built(case: str = "web") -> list[dict]:
    service, taskdef = CASES[case]
    return blue_green.mark(build_service_manifests(
        service=service, service_name=service["serviceName"], taskdef=taskdef, family=taskdef["family"],
        revision=2, namespace="web", cluster="prod", owner=OWNER))


def shaped(**kw) -> list[dict]:
    return blue_green.shape(built(), **{"current": GREEN, "production": BLUE, "green": GREEN, "held": True,
                                        "service_name": "web", "namespace": "web", **kw})


def by_name(manifests: list[dict]) -> dict[tuple[str, str], dict]:
    return {(m["kind"], m["metadata"]["name"]): m for m in manifests}


def test_golden_while_green_scales_up(golden):
    manifests = shaped()
    golden("blue-green", manifests)
    for manifest in manifests:
        validate(manifest)


def test_production_on_blue_test_route_on_green():
    objects = by_name(shaped())
    assert objects["Service", "web"]["spec"]["selector"][blue_green.DEPLOYMENT_LABEL] == "1111111111111111111"
    assert objects["Service", TEST]["spec"]["selector"][blue_green.DEPLOYMENT_LABEL] == "2222222222222222222"
    [rule] = objects["Ingress", TEST]["spec"]["rules"]
    assert rule["host"] == "test.web.example.com"
    assert rule["http"]["paths"][0]["backend"]["service"]["name"] == TEST
    # The test objects are the Service's children like the others: same owner, same labels.
    assert objects["Ingress", TEST]["metadata"]["ownerReferences"] == objects["Ingress", "web"]["metadata"][
        "ownerReferences"]
    assert objects["Service", TEST]["metadata"]["labels"] == objects["Service", "web"]["metadata"]["labels"]


def test_the_green_is_held_at_full_size_beside_blue():
    deployment = by_name(shaped())["Deployment", "web"]["spec"]
    assert deployment["strategy"]["rollingUpdate"] == {"maxSurge": "100%", "maxUnavailable": 0}
    assert deployment["minReadySeconds"] == blue_green.HOLD_SECONDS
    assert deployment["template"]["metadata"]["labels"][blue_green.DEPLOYMENT_LABEL] == "2222222222222222222"
    released = by_name(shaped(held=False, green=None, production=GREEN))
    assert released["Deployment", "web"]["spec"]["minReadySeconds"] == 0
    assert ("Ingress", TEST) not in released and ("Service", TEST) not in released


def test_before_any_deployment_completed_production_is_every_task():
    service = by_name(shaped(production=None, green=None, held=False))["Service", "web"]
    assert blue_green.DEPLOYMENT_LABEL not in service["spec"]["selector"]


def test_test_host_of_any_host():
    assert blue_green.test_host("", "web", "shop") == "test.web.shop"
    assert blue_green.test_host("cats.localhost", "web", "shop") == "test.cats.localhost"


def test_mark_makes_the_label_part_of_the_template():
    [deployment] = [m for m in built() if m["kind"] == "Deployment"]
    assert deployment["spec"]["template"]["metadata"]["labels"][blue_green.DEPLOYMENT_LABEL] == blue_green.UNASSIGNED


def test_a_wildcard_host_keeps_its_wildcard_leading():
    """Kubernetes allows `*` only as a whole first label: `*.example.com` → `*.test.example.com`."""
    assert blue_green.test_host("*.example.com", "web", "web") == "*.test.example.com"
    assert blue_green.test_host("web.example.com", "web", "web") == "test.web.example.com"
    assert blue_green.test_host("", "web", "ns") == "test.web.ns"
    manifests = [{**m, "spec": {**m["spec"], "rules": [{**r, "host": "*.example.com"} for r in m["spec"]["rules"]]}}
                 if m["kind"] == "Ingress" else m for m in built()]
    test_ingress = next(m for m in blue_green.shape(manifests, current=GREEN, production=BLUE, green=GREEN, held=True,
                                                    service_name="web", namespace="web")
                        if m["kind"] == "Ingress" and m["metadata"]["name"] != "web")
    assert [r["host"] for r in test_ingress["spec"]["rules"]] == ["*.test.example.com"]


def test_the_test_route_names_are_the_owner_uids_and_dns_labels():
    """`<name>-test-<hash of the ECS Service's uid>`: never `<name>-test` (the production name of an ECS
    Service called so), the same on every pass, at most 63 characters however long the name."""
    assert TEST == f"web-test-{names.digest(OWNER['uid'])}" != "web-test"
    assert blue_green.route_name("web", OWNER["uid"]) == TEST
    assert blue_green.route_name("web", "another-uid") != TEST
    long = blue_green.route_name("w" * 63, OWNER["uid"])
    assert names.is_dns_label(long) and long.endswith(f"-test-{names.digest(OWNER['uid'])}")
