"""The seed: what an emulator starts with (organizations, projects, teams, members, Slack,
tokens, alerts), from the default seed, a named seed or a YAML/JSON file (format:
docs/emulator.md, "Seed format"), and the default seed's tokens.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

DEFAULT_SEED = Path(__file__).with_name("default_seed.yaml")
# Named seeds: the default seed plus these organizations' extra keys (merged by slug).
NAMED_SEEDS = {"migrated-from-legacy": Path(__file__).with_name("seed_migrated.yaml")}
# The default seed's tokens (fake, emulator-only secrets).
ADMIN_TOKEN = "sntryu_emulator_admin_0000000000000000"
ALERTS_TOKEN = "sntryu_emulator_alerts_000000000000000"
READ_ONLY_TOKEN = "sntryu_emulator_readonly_0000000000000"
NO_SCOPES_TOKEN = "sntryu_emulator_noscopes_0000000000000"
# Carol's token: scopes to write alerts, but she is on no team (lists need `project`).
OUTSIDER_TOKEN = "sntryu_emulator_outsider_0000000000000"


def load_seed(seed: str | Path | dict | None) -> dict[str, Any]:
    """The seed as a dict: a path to YAML/JSON, a dict, None for the default seed, or a name
    from NAMED_SEEDS (the default seed with that file's additions)."""
    if isinstance(seed, dict):
        return seed
    if seed is not None and str(seed) in NAMED_SEEDS and not Path(seed).exists():
        base = load_seed(None)
        extra = yaml.safe_load(NAMED_SEEDS[str(seed)].read_text(encoding="utf-8"))
        by_slug = {o["slug"]: o for o in base["organizations"]}
        for org in extra.get("organizations") or []:
            by_slug[org["slug"]].update({k: v for k, v in org.items() if k != "slug"})
        return base
    path = Path(seed) if seed is not None else DEFAULT_SEED
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a seed must be a mapping with `organizations` and `tokens`")
    return data
