"""What the ECS side says about a spec: problems (refused) and notes (accepted, reported)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """Input ECS would refuse. `path` is the field path, e.g. containerDefinitions[1].portMappings[0].hostPort."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True)
class Note:
    """Input accepted but not carried over to Kubernetes (ignored, dropped read-only field, defaulted)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InvalidSpec(ValueError):
    """Raised with every problem found, so a user fixes them all in one pass."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def join(path: str, key: str | int) -> str:
    """The path of `key` inside `path`: `containerDefinitions[1]` + `portMappings` → `...[1].portMappings`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key
