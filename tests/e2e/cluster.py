"""Shared by the end-to-end tests: kubectl against the kind cluster `make cluster` brings up, and
bounded waits that say what they waited for."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CONTEXT = os.environ.get("KUBE_CONTEXT", "kind-kube-ecs")
INGRESS = os.environ.get("KUBE_ECS_INGRESS", "http://127.0.0.1:8080")
KUBECTL = shutil.which("kubectl", path=f"{Path.home()}/.cache/kube-ecs/bin:{os.environ.get('PATH', '')}") or "kubectl"
READY_TIMEOUT = 180


def kubectl(*args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([KUBECTL, "--context", CONTEXT, *args], input=input, capture_output=True, text=True,
                            timeout=120)
    if check and result.returncode:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def get(*args: str) -> dict | None:
    result = kubectl("get", *args, "-o", "json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def apply(*objects: dict) -> None:
    kubectl("apply", "-f", "-", input=yaml.safe_dump_all(objects))


def wait_for(what: str, probe: Callable[[], object], timeout: float = READY_TIMEOUT, every: float = 1.0):
    """Poll `probe` until it returns something truthy; fail saying what never happened."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except (AssertionError, KeyError, IndexError, TypeError) as e:
            last = e
        if last and not isinstance(last, Exception):
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last seen: {last!r})")


def condition(obj: dict | None, type_: str) -> dict:
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond["type"] == type_:
            return cond
    return {}


def http_get(host: str) -> tuple[int, str]:
    request = urllib.request.Request(f"{INGRESS}/", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode(errors="replace")
    except OSError as e:
        return getattr(e, "code", 0), str(e)


def events_for(namespace: str | None, name: str) -> list[dict]:
    scope = ["-n", namespace] if namespace else ["-A"]
    items = (get("events", *scope, "--field-selector", f"involvedObject.name={name}") or {}).get("items", [])
    return items
