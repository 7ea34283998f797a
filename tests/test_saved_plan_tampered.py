"""A saved plan edited after `plan --out` is refused: `apply FILE` re-derives the changes from
the policy (whose hash matches) and the plan's options, and names each difference (issue 12).
Both backends, through the real CLI against the emulator."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from test_saved_plan import POLICY, World, world  # noqa: F401  (the fixture)

Edit = dict


def load() -> Edit:
    return json.loads(Path("plan.json").read_text())


def save(data: Edit) -> None:
    Path("plan.json").write_text(json.dumps(data))


def change_of(data: Edit, key: str) -> Edit:
    return next(c for c in data["changes"] if c["key"] == key)


def threshold(data: Edit) -> None:
    change_of(data, "get-api-cart")["desired"]["critical_ms"] = 60000


def target(data: Edit) -> None:
    for t in change_of(data, "get-api-cart")["desired"]["targets"]:
        if t.get("kind") == "slack":
            t["channel"], t["channel_id"] = "#attacker", "C0EVIL0001"
        else:
            t["to"] = "attacker@example.com"


def query(data: Edit) -> None:
    change_of(data, "get-api-cart")["desired"]["query"] = "transaction:*"


def window(data: Edit) -> None:
    change_of(data, "get-api-cart")["desired"]["window_minutes"] = 1440


def duplicated_create(data: Edit) -> None:
    data["changes"].append(copy.deepcopy(change_of(data, "get-api-cart")))


CREATE_EDITS = {"threshold": (threshold, "critical_ms"), "target": (target, "targets"),
                "query": (query, "query"), "window": (window, "window_minutes"),
                "duplicated-create": (duplicated_create, "appears more than once")}


def refused(world: World, *needles: str) -> str:  # noqa: F811
    result = world.run("apply", "plan.json")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: the saved plan plan.json does not match what its "
                                    "policy reviewed.yaml gives"), result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert "Traceback" not in result.output
    return result.stderr


@pytest.mark.parametrize("edit", sorted(CREATE_EDITS))
def test_an_edited_create_is_refused(world, edit):  # noqa: F811
    world.plan_out()
    change, needle = CREATE_EDITS[edit]
    data = load()
    change(data)
    save(data)
    refused(world, needle)
    assert world.managed() == []  # nothing was sent


def test_an_update_turned_into_a_delete_is_refused(world):  # noqa: F811
    world.apply_policy()
    world.write_policy(cart="900ms")
    world.plan_out()
    data = load()
    change_of(data, "get-api-cart")["action"] = "delete"
    save(data)
    refused(world, "the delete of", "should be an update")
    assert len(world.managed()) == 3


def test_an_adoption_pointed_at_another_alert_is_refused(world):  # noqa: F811
    world.apply_policy()
    for kind, obj_id, _ in world.managed():  # now alerts made by hand, with the same names
        world.emu.edit(kind, obj_id, {"description": "made by hand"}, org="acme")
    world.plan_out("--adopt")
    data = load()
    cart, checkout = change_of(data, "get-api-cart"), change_of(data, "post-api-checkout")
    assert cart["action"] == checkout["action"] == "update"
    cart["live"], checkout["live"] = checkout["live"], cart["live"]
    save(data)
    refused(world, "the update of", "should be an update of id")
    assert world.managed() == []  # no marker was written anywhere


def test_an_unedited_plan_still_applies(world):  # noqa: F811
    world.apply_policy()
    world.write_policy(cart="900ms")
    world.plan_out("--prune")
    applied = world.run("apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    assert POLICY in Path("reviewed.yaml").read_text()
