import pytest

from kube_ecs.reconcile import revisions as rev

TD1 = {"family": "cats", "containerDefinitions": [{"name": "web", "image": "cats:1"}]}
TD2 = {"family": "cats", "containerDefinitions": [{"name": "web", "image": "cats:2"}]}


def revision(number, td=TD1, status=rev.ACTIVE):
    return rev.Revision("cats", number, status, td, rev.digest(td))


@pytest.mark.parametrize("value, expected", [
    ("cats", rev.TaskDefinitionRef("cats")),
    ("cats:3", rev.TaskDefinitionRef("cats", 3)),
    ("arn:aws:ecs:us-east-1:123456789012:task-definition/cats:7", rev.TaskDefinitionRef("cats", 7)),
    ("My_App:2", rev.TaskDefinitionRef("my-app", 2)),
    ("web--api:2", rev.TaskDefinitionRef("web--api", 2)),
])
def test_parse_reference(value, expected):
    assert rev.parse_reference(value) == expected


@pytest.mark.parametrize("value", ["", "cats:0", "cats:x", "a b", "arn:aws:s3:::bucket"])
def test_parse_reference_refuses(value):
    with pytest.raises(rev.BadReference):
        rev.parse_reference(value)


def test_next_revision():
    assert rev.next_revision([], TD1) == 1
    assert rev.next_revision([revision(1)], TD1) is None
    assert rev.next_revision([revision(1), revision(2, TD2)], TD1) == 3
    # Numbers never go back, even when the latest is deregistered.
    assert rev.next_revision([revision(1), revision(2, TD2, rev.INACTIVE)], TD1) == 3


def test_revision_reads_the_registered_digest():
    obj = {"metadata": {"annotations": {rev.DIGEST_ANNOTATION: "abc"}},
           "spec": {"family": "cats", "revision": 2, "taskDefinition": TD1}}
    assert rev.Revision.of(obj) == rev.Revision("cats", 2, rev.ACTIVE, TD1, "abc")


def test_resolve_latest_active():
    revisions = [revision(1), revision(2, TD2, rev.INACTIVE)]
    assert rev.resolve(rev.TaskDefinitionRef("cats"), revisions).number == 1
    with pytest.raises(rev.Unresolved):
        rev.resolve(rev.TaskDefinitionRef("cats"), [revision(1, status=rev.INACTIVE)])


def test_resolve_pinned():
    revisions = [revision(1, status=rev.INACTIVE), revision(2, TD2)]
    assert rev.resolve(rev.TaskDefinitionRef("cats", 2), revisions).number == 2
    with pytest.raises(rev.Unresolved, match="does not exist"):
        rev.resolve(rev.TaskDefinitionRef("cats", 9), revisions)
    with pytest.raises(rev.Unresolved, match="inactive"):
        rev.resolve(rev.TaskDefinitionRef("cats", 1), revisions)
    # Deregistering never stops what already runs.
    assert rev.resolve(rev.TaskDefinitionRef("cats", 1), revisions, running=1).number == 1
