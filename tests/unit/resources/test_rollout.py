"""ECS deployment percentages → RollingUpdate parameters."""

from __future__ import annotations

import pytest

from kube_ecs.resources.daemonset import daemon_rolling_update
from kube_ecs.resources.deployment import rolling_update


@pytest.mark.parametrize(
    ("desired", "minimum", "maximum", "unavailable", "surge"),
    [
        (4, 100, 200, 0, 4),  # ECS defaults: start all new tasks first
        (4, 50, 200, 2, 4),
        (3, 50, 200, 1, 3),  # ceil(1.5) = 2 must stay healthy
        (4, 75, 150, 1, 2),
        (5, 0, 100, 5, 0),  # stop everything, then start
        (10, 90, 110, 1, 1),
        (3, 67, 133, 0, 1),  # ceil(2.01) = 3 healthy, floor(3.99) = 3: 0/0, so surge 1
        (1, 100, 100, 0, 1),  # 0/0 guard
        (0, 100, 200, 0, 1),  # 0 tasks: 0/0 guard
        (2, 100, 150, 0, 1),
        (1, 0, 100, 1, 0),
    ],
)
def test_rolling_update(desired, minimum, maximum, unavailable, surge):
    assert rolling_update(desired, minimum, maximum) == {"maxUnavailable": unavailable, "maxSurge": surge}


@pytest.mark.parametrize(("minimum", "expected"), [(0, "100%"), (50, "50%"), (75, "25%"), (100, 1)])
def test_daemon_rolling_update(minimum, expected):
    assert daemon_rolling_update(minimum) == {"maxUnavailable": expected, "maxSurge": 0}
