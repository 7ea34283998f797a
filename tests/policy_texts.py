"""Policy YAML shared by the end-to-end tests (no tests here).

Most CLI tests write a policy for org acme, project backend, production, 5-minute windows,
owned by team:backend and notifying #ops-alerts; only the policy's name, the alert-name template,
the Slack channel's form and the transactions differ. Each test module keeps its transactions
beside its tests, where the values they assert on are visible.
"""

from __future__ import annotations


def policy_head(name: str, *, alert_name: bool = True, slack_channel_id: bool = True) -> str:
    """The policy's YAML up to and including `transactions:`; entries follow, indented two spaces.

    alert_name: set the defaults' name template `"{transaction} latency"`.
    slack_channel_id: give #ops-alerts with its channel id (C0OPS00001), which spares the legacy
    API's slow asynchronous Slack lookup (that lookup is tested in test_e2e_faults); otherwise
    the bare channel name.
    """
    name_template = '  name: "{transaction} latency"\n' if alert_name else ""
    slack = ('{channel: "#ops-alerts", channel_id: C0OPS00001}' if slack_channel_id
             else '"#ops-alerts"')
    return (
        "version: 1\n"
        f"name: {name}\n"
        "organization: acme\n"
        "defaults:\n"
        "  project: backend\n"
        "  environment: production\n"
        "  window: 5m\n"
        "  owner: team:backend\n"
        f"{name_template}"
        "  notify:\n"
        f"    - slack: {slack}\n"
        "transactions:\n"
    )


# Two transactions, one with a warning threshold (so two triggers / two priority levels).
CART_AND_CHECKOUT = """\
  - transaction: GET /api/cart
    sla: {p95: 500ms}
    alert: {critical: 750ms}
  - transaction: POST /api/checkout
    sla: {p95: 800ms}
    alert: {critical: 1200ms, warning: 1000ms}
"""
