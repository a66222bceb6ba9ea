"""`kube-ecs images`: the repositories and tags of the cluster's registry (docs/registry.md), as `aws
ecr describe-repositories` / `describe-images` list them: one line per tag, with its digest.

Reads the registry's HTTP API (distribution's /v2/_catalog, /v2/<repo>/tags/list and manifest HEADs);
the private endpoint takes `--user name:password`.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.error
import urllib.request
from http.client import HTTPResponse

# What `docker push` stores: the manifest media types whose digest `docker pull repo@digest` takes.
_ACCEPT = ", ".join((
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
))


class Registry:
    def __init__(self, address: str, user: str | None = None):
        self.base = address if "://" in address else f"http://{address}"
        self.auth = "Basic " + base64.b64encode(user.encode()).decode() if user else None

    def _request(self, path: str, method: str = "GET") -> HTTPResponse:
        request = urllib.request.Request(f"{self.base}{path}", method=method, headers={"Accept": _ACCEPT})
        if self.auth:
            request.add_header("Authorization", self.auth)
        return urllib.request.urlopen(request, timeout=10)

    def repositories(self) -> list[str]:
        with self._request("/v2/_catalog?n=1000") as response:
            return sorted(json.load(response).get("repositories") or [])

    def tags(self, repository: str) -> list[str]:
        with self._request(f"/v2/{repository}/tags/list") as response:
            return sorted(json.load(response).get("tags") or [])

    def digest(self, repository: str, tag: str) -> str:
        with self._request(f"/v2/{repository}/manifests/{tag}", method="HEAD") as response:
            return response.headers.get("Docker-Content-Digest", "")


def _main(args: argparse.Namespace) -> int:
    registry = Registry(args.registry, args.user)
    try:
        rows = [(repo, tag, registry.digest(repo, tag)) for repo in registry.repositories()
                if not args.repository or repo == args.repository for tag in registry.tags(repo)]
    except urllib.error.HTTPError as e:
        hint = " (the private registry needs --user NAME:PASSWORD)" if e.code == 401 else ""
        print(f"error: {args.registry}: HTTP {e.code} {e.reason}{hint}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: {args.registry}: {e} (make cluster starts the registry)", file=sys.stderr)
        return 1
    width = max([len("REPOSITORY"), *(len(r[0]) for r in rows)])
    print(f"{'REPOSITORY':<{width}}  {'TAG':<20}  DIGEST")
    for repo, tag, digest in rows:
        print(f"{repo:<{width}}  {tag:<20}  {digest}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("images", help="list the repositories and tags of the cluster's registry")
    parser.add_argument("repository", nargs="?", help="only this repository")
    parser.add_argument("--registry", default="localhost:5001",
                        help="registry address (default: %(default)s; the private one is localhost:5002)")
    parser.add_argument("--user", metavar="NAME:PASSWORD", help="credentials of an authenticated registry")
    parser.set_defaults(func=_main)
