"""The cluster's own ECR (docs/registry.md): images built and pushed from the host run from the
registry on every node; private images pull with repositoryCredentials and fail, in ECS's words,
without; the sample image has a shell, so CMD-SHELL health checks run."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster import REPO, App, apply, items, kubectl, wait_for, wait_http_ok

pytestmark = pytest.mark.e2e

PUBLIC, PRIVATE = "localhost:5001", "localhost:5002"


def docker(*args: str, config: Path | None = None) -> str:
    env = {**os.environ, "DOCKER_BUILDKIT": "0", **({"DOCKER_CONFIG": str(config)} if config else {})}
    result = subprocess.run(["docker", *args], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, f"docker {' '.join(args)}: {result.stderr.strip()}"
    return result.stdout


@pytest.fixture
def app(request) -> Iterator[App]:
    made = App(f"e2e-reg-{request.node.name.removeprefix('test_')[:12].replace('_', '-')}-{uuid.uuid4().hex[:5]}",
               cpu=None)
    yield made
    made.delete()


def pod_images(app: App) -> set[str]:
    pods = items("pods", "-n", app.namespace, "-l", f"ecs.kube-ecs.dev/service={app.name}")
    return {c["image"] for p in pods if not p["metadata"].get("deletionTimestamp") for c in p["spec"]["containers"]}


def test_build_push_run_and_roll_to_a_new_tag(app: App):
    repo = f"{PUBLIC}/{app.name}"
    docker("build", "-q", "-t", f"{repo}:1", str(REPO / "images/cats"))
    docker("push", "-q", f"{repo}:1")
    container = app.taskdef["spec"]["containerDefinitions"][0]
    container["image"] = f"{repo}:1"
    app.create()
    app.wait_ready()
    assert "A container of cats" in wait_http_ok(app.host)
    assert pod_images(app) == {f"{repo}:1"}
    # A second tag and a revision naming it roll the Service.
    docker("tag", f"{repo}:1", f"{repo}:2")
    docker("push", "-q", f"{repo}:2")
    container["image"] = f"{repo}:2"
    apply(app.taskdef)
    wait_for("the Service on revision 2", lambda: app.status().get("taskDefinition") == f"{app.name}:2" and app.ready())
    wait_for("only tag 2 running", lambda: pod_images(app), until=lambda images: images == {f"{repo}:2"})
    listed = subprocess.run([str(REPO / ".venv/bin/kube-ecs"), "images", app.name], capture_output=True, text=True)
    assert listed.returncode == 0 and {"1", "2"} <= {line.split()[1] for line in listed.stdout.splitlines()[1:]}


def test_a_pasted_ecr_image_name_runs_from_the_clusters_mirror(app: App):
    """A Cluster with ecrMirror runs `<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>` as
    `<mirror>/<repo>:<tag>`: push under the same repository name, and the pasted file runs as it is."""
    docker("tag", "kube-ecs/cats:1.0", f"{PUBLIC}/{app.name}:7")
    docker("push", "-q", f"{PUBLIC}/{app.name}:7")
    app.cluster["spec"]["ecrMirror"] = PUBLIC
    app.taskdef["spec"]["containerDefinitions"][0]["image"] = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{app.name}:7"
    app.create()
    app.wait_ready()
    assert pod_images(app) == {f"{PUBLIC}/{app.name}:7"}
    assert "A container of cats" in wait_http_ok(app.host)


def test_private_image_pulls_with_repository_credentials_only(app: App, tmp_path: Path):
    image = f"{PRIVATE}/{app.name}:1"
    login = subprocess.run(["docker", "--config", str(tmp_path), "login", PRIVATE, "-u", "kube-ecs",
                            "--password-stdin"], input="kube-ecs", capture_output=True, text=True, timeout=60)
    assert login.returncode == 0, login.stderr
    docker("tag", "kube-ecs/cats:1.0", image)
    docker("push", "-q", image, config=tmp_path)
    container = app.taskdef["spec"]["containerDefinitions"][0]
    container["image"] = image
    app.create()
    # Without credentials: ECS's CannotPullContainerError in the Service's events, not a bare back-off.
    status = wait_for("CannotPullContainerError in the events", app.status, until=lambda s: any(
        "CannotPullContainerError" in e["message"] for e in s.get("events", [])))
    assert status.get("runningCount", 0) == 0
    # With them: a docker-registry Secret named as secrets' valueFrom names it.
    kubectl("-n", app.namespace, "create", "secret", "docker-registry", "regcreds", f"--docker-server={PRIVATE}",
            "--docker-username=kube-ecs", "--docker-password=kube-ecs")
    container["repositoryCredentials"] = {
        "credentialsParameter": "arn:aws:secretsmanager:us-east-1:123456789012:secret:regcreds-AbCdEf"}
    apply(app.taskdef)
    wait_for("the Service on revision 2", lambda: app.status().get("taskDefinition") == f"{app.name}:2" and app.ready())
    assert "A container of cats" in wait_http_ok(app.host)


def test_cmd_shell_health_checks_run_on_the_sample(app: App):
    container = app.taskdef["spec"]["containerDefinitions"][0]
    container["image"] = f"{PUBLIC}/cats:1.0"
    container["healthCheck"] = {"command": ["CMD-SHELL", "wget -q -O /dev/null http://localhost/healthz || exit 1"],
                                "interval": 5, "timeout": 2, "retries": 2}
    app.create()
    app.wait_ready()
    # A check that always fails: the tasks never pass it, and their restarts are counted.
    container["healthCheck"] = {"command": ["CMD-SHELL", "test -e /no-such-file"], "interval": 5, "timeout": 2,
                                "retries": 1}
    apply(app.taskdef)
    status = wait_for("failed tasks of the new deployment", app.status, timeout=240, until=lambda s: any(
        d["status"] == "PRIMARY" and d["taskDefinition"] == f"{app.name}:2" and d["failedTasks"] > 0
        for d in s.get("deployments", [])))
    primary = next(d for d in status["deployments"] if d["status"] == "PRIMARY")
    assert primary["runningCount"] == 0


def manifest_url(name: str, reference: str) -> str:
    return f"http://{PUBLIC}/v2/{name}/manifests/{reference}"


@pytest.mark.serial  # the immutable list and the garbage collector are the registry's, not this test's
def test_immutable_tags_and_the_untagged_image_clean_up():
    name = f"e2e-immutable-{uuid.uuid4().hex[:5]}"
    repo = f"{PUBLIC}/{name}"
    # An image of this test's own (a unique label): no other repository holds its manifest.
    built = subprocess.run(["docker", "build", "-q", "-t", f"{repo}:1", "-"], capture_output=True, text=True,
                           input=f"FROM kube-ecs/busybox:bookworm\nLABEL dev.kube-ecs.e2e={name}\n",
                           env={**os.environ, "DOCKER_BUILDKIT": "0"}, timeout=120)
    assert built.returncode == 0, built.stderr
    docker("push", "-q", f"{repo}:1")
    head = subprocess.run(["curl", "-sfI", "-H", "Accept: application/vnd.docker.distribution.manifest.v2+json",
                           manifest_url(name, "1")], capture_output=True, text=True, check=True).stdout
    digest = next(line.split(":", 1)[1].strip() for line in head.splitlines()
                  if line.lower().startswith("docker-content-digest"))
    # A mutable repository: another image under :1 leaves the first one untagged, and gc deletes it.
    docker("tag", "kube-ecs/busybox:bookworm", f"{repo}:1")
    docker("push", "-q", f"{repo}:1")
    subprocess.run([str(REPO / "hack/registry.sh"), "gc"], check=True, capture_output=True)
    gone = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", manifest_url(name, digest)],
                          capture_output=True, text=True).stdout
    assert gone == "404", f"the untagged image is still there (HTTP {gone})"
    # Immutable: an existing tag is refused with ECR's words; a new tag is not.
    subprocess.run([str(REPO / "hack/registry.sh"), "immutable", name], check=True, capture_output=True)
    docker("tag", "kube-ecs/cats:1.0", f"{repo}:1")
    refused = subprocess.run(["docker", "push", f"{repo}:1"], capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "ImageTagAlreadyExistsException" in refused.stdout + refused.stderr
    docker("tag", "kube-ecs/cats:1.0", f"{repo}:2")
    docker("push", "-q", f"{repo}:2")
