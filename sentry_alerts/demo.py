"""`sentry-alerts demo`: the whole tool in one minute, against an embedded Sentry emulator.

It starts the emulator on 127.0.0.1, then runs the real commands, as separate processes, the way
a person would type them: validate -> plan -> apply -> plan (no changes); then a person edits a
threshold in Sentry's UI, and `drift` shows it and apply repairs it. Last, a k6 load test
against the sample service passes, fails once latency is injected, and the alert rehearsal shows
the alert firing (sentry_alerts/loadtest/demo.py). Between the steps it says what happened and
why. Nothing leaves this machine.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, TextIO

from sentry_alerts.errors import SentryAlertsError
from sentry_alerts.model import Marker

POLICY_NAME = Path("policies") / "critical-endpoints.yaml"
WIDTH = 88


def find_policy() -> Path:
    """The example policy: in the current folder (a checkout), else beside the package."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[1]):
        candidate = base / POLICY_NAME
        if candidate.is_file():
            return candidate
    raise SentryAlertsError(
        f"the demo needs {POLICY_NAME} (the example policy of the repository); run "
        "`sentry-alerts demo` from the repository's folder, e.g. with `make demo`.")


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class Demo:
    def __init__(self, emu: Any, policy: Path, out: TextIO) -> None:
        from sentry_alerts.emulator import ALERTS_TOKEN

        self.emu = emu
        self.policy = policy
        self.out = out
        # The commands read these like any CI job would. The token is a fake one the emulator
        # made up; it is still never printed, like a real one.
        self.env = {**os.environ, "SENTRY_URL": emu.url, "SENTRY_AUTH_TOKEN": ALERTS_TOKEN,
                    "SENTRY_ORG": "acme", "NO_COLOR": "1"}
        self.env.pop("SENTRY_ALERTS_GUIDE_DIR", None)
        self.env.pop("SENTRY_ALERTS_DSN", None)  # drift must not report a demo anywhere

    def say(self, text: str) -> None:
        for paragraph in textwrap.dedent(text).strip().split("\n\n"):
            self.out.write(textwrap.fill(" ".join(paragraph.split()), WIDTH) + "\n\n")
        self.out.flush()

    def step(self, number: int, title: str) -> None:
        line = f"── Step {number}: {title} "
        self.out.write(line + "─" * max(3, WIDTH - len(line)) + "\n\n")

    def run(self, *args: str, expect: tuple[int, ...] = (0,)) -> str:
        """Run `sentry-alerts ARGS` as a separate process and show what a person would see."""
        self.out.write("$ sentry-alerts " + " ".join(args) + "\n")
        self.out.flush()
        proc = subprocess.run([sys.executable, "-m", "sentry_alerts", *args], env=self.env,
                              capture_output=True, text=True, timeout=300, check=False)
        shown = (proc.stdout + proc.stderr).rstrip("\n")
        self.out.write(textwrap.indent(shown, "  ") + "\n" if shown else "")
        self.out.write(f"  (exit code {proc.returncode})\n\n")
        self.out.flush()
        if proc.returncode not in expect:
            raise SentryAlertsError(
                f"the demo stopped: `sentry-alerts {' '.join(args)}` exited "
                f"{proc.returncode}, expected {' or '.join(map(str, expect))}; its output is "
                "above. Please report this as a bug.")
        return proc.stdout

    def edit_threshold_in_ui(self, policy_name: str, new_ms: float) -> str:
        return edit_threshold_in_ui(self.emu, "acme", policy_name, new_ms)


def managed_objects(emu: Any, org_slug: str, policy_name: str) -> list[tuple[str, int, dict]]:
    """(kind, id, stored copy) of every stored detector / alert rule carrying the policy's
    marker, oldest first. Detectors whose deletion is pending do not count: Sentry no longer
    serves them."""
    from sentry_alerts.emulator.monitors_store import PENDING_DELETION

    with emu.lock:
        org = emu.state.org(org_slug)
        found = []
        for kind, store in (("detector", org.detectors), ("alert_rule", org.alert_rules)):
            for obj_id, item in sorted(store.items()):
                if item.get(PENDING_DELETION):
                    continue
                marker = Marker.find(item.get("description"))
                if marker and marker.policy == policy_name:
                    found.append((kind, obj_id, copy.deepcopy(item)))
        return found


def edit_threshold_in_ui(emu: Any, org_slug: str, policy_name: str, new_ms: float,
                         key: str | None = None) -> str:
    """What a person does in Sentry's UI: change the critical threshold of one managed alert
    (the first, or the one with `key`). Returns the alert's name."""
    for kind, obj_id, item in managed_objects(emu, org_slug, policy_name):
        marker = Marker.find(item.get("description"))
        if key is not None and (marker is None or marker.key != key):
            continue
        changes = _raised_threshold(kind, item, new_ms)
        if changes:
            emu.edit(kind, obj_id, changes, org=org_slug)
            return str(item.get("name"))
    raise SentryAlertsError("the demo found no managed alert to edit; please report this.")


def _raised_threshold(kind: str, item: dict[str, Any], new_ms: float) -> dict[str, Any] | None:
    if kind == "detector":
        conditions = copy.deepcopy(item.get("conditionGroup", {}).get("conditions") or [])
        high = [c for c in conditions if c.get("conditionResult") == 75]
        if not high:
            return None
        old = high[0].get("comparison")
        for c in conditions:  # the alert and its resolve condition share the value
            if c.get("comparison") == old:
                c["comparison"] = new_ms
        return {"conditionGroup": {"conditions": conditions}}
    triggers = copy.deepcopy(item.get("triggers") or [])
    critical = [t for t in triggers if t.get("label") == "critical"]
    if not critical:
        return None
    critical[0]["alertThreshold"] = float(new_ms)
    return {"triggers": triggers}


def run_demo(*, profile: str | None = None, out: TextIO | None = None) -> int:
    from sentry_alerts.emulator import run_emulator
    from sentry_alerts.policy import load_policy

    out = out or sys.stdout
    policy_path = find_policy()
    shown = _shown_path(policy_path)
    policy = load_policy(policy_path)
    with run_emulator(profile=profile, slack_task_delay=0.5) as emu:
        demo = Demo(emu, policy_path, out)
        demo.say(f"""
            sentry-alerts keeps Sentry's performance alerts in code. This demo runs it against
            an emulated Sentry ({emu.profile.name}: {emu.profile.description}) listening on
            {emu.url}, with an organization "acme" that has a project "backend" and a Slack
            workspace. Nothing leaves this machine. The commands below are the real ones; they
            find Sentry through SENTRY_URL, SENTRY_AUTH_TOKEN and SENTRY_ORG, as a CI job
            would (the token is never shown).
            """)

        demo.step(1, "validate the policy (offline)")
        demo.say(f"""
            {shown} names {len(policy.specs)} transactions, their SLA (p95 < 500 ms) and when
            to alert. `validate` checks the file without talking to Sentry: syntax, keys,
            durations, windows, thresholds. Run it in a pre-commit hook or on every push.
            """)
        demo.run("validate", shown)

        demo.step(2, "plan: what would change in Sentry?")
        demo.say("""
            `plan` reads the live alerts and compares them with the policy. The org has none
            yet, so every alert is a `+ create`. The first lines say which of Sentry's two alert
            APIs is used (the new monitors or the legacy alert rules) and which dataset,
            with the reason. Plan never changes anything.
            """)
        demo.run("plan", shown)

        demo.step(3, "apply: make Sentry match the policy")
        demo.say("""
            `apply` plans again, shows the plan, and asks for confirmation; --auto-approve skips
            the question (CI). It then executes exactly that plan. Each alert's description
            carries an ownership marker (policy and key), so sentry-alerts only ever changes
            the alerts it made, and a create whose answer was lost is found again instead of
            duplicated.
            """)
        demo.run("apply", shown, "--auto-approve")

        demo.step(4, "plan again: no changes")
        demo.say("""
            Sentry now matches the policy, so the plan is empty. With --detailed-exitcode, plan
            exits 0 here and 2 when there are changes, which lets CI notice drift.
            """)
        demo.run("plan", shown, "--detailed-exitcode")

        demo.step(5, "someone edits an alert in Sentry's UI")
        name = demo.edit_threshold_in_ui(policy.name, 1000)
        demo.say(f"""
            A person just raised the critical threshold of "{name}" to 1000 ms in Sentry's UI
            (the emulator changed it out of band). `drift`, the check to run on a schedule,
            shows it in the policy's terms, as a `~ update` of only that field, and exits 2
            (0 when Sentry matches, 1 on errors). Given a DSN it also reports itself to Sentry:
            a cron check-in per run and one event per drift (docs/drift.md).
            """)
        demo.run("drift", shown, expect=(2,))

        demo.step(6, "apply repairs the drift")
        demo.say("""
            The policy file is the source of truth: apply puts the threshold back. To change a
            threshold for good, edit the policy and open a pull request.
            """)
        demo.run("apply", shown, "--auto-approve")
        demo.run("plan", shown, "--detailed-exitcode")

        from sentry_alerts.loadtest.demo import load_test_steps

        load_test_steps(demo, first_step=7, policy=shown)

        demo.say(f"""
            That is the whole loop: validate -> plan -> apply, and drift on a schedule to
            catch edits; and before a deploy, a load test proves the SLAs the alerts watch.
            Next: read docs/plan-and-apply.md, docs/drift.md and docs/load-testing.md, bring
            the alerts you already have under a policy with `sentry-alerts import`
            (docs/importing.md), try `sentry-alerts emulator` to keep an emulated Sentry
            running, and edit {shown} to add your own transactions.
            """)
    return 0


__all__ = ["edit_threshold_in_ui", "find_policy", "managed_objects", "run_demo"]
