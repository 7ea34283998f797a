"""Load profiles: the presets, and k6's stage list for each.

`ramp` is the default of the monitoring plan this tool serves: 1 -> 50 virtual users, hold,
ramp down. `smoke` is a few seconds with two users (does the script, the target, the auth
work?), `soak` holds the peak for an hour, `burst` jumps from a tenth of the peak to the peak.
A policy may replace any of them, or add its own, under `load_test.profiles`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sentry_alerts.policy.load_test_models import PRESET_PROFILES, LoadTestSettings

SECOND = 1000.0
MINUTE = 60 * SECOND


@dataclass(frozen=True)
class Stage:
    duration_ms: float
    target: int


def preset_stages(name: str, peak: int) -> tuple[Stage, ...]:
    baseline = max(1, peak // 10)
    presets = {
        "smoke": (Stage(1 * SECOND, 2), Stage(4 * SECOND, 2)),
        "ramp": (Stage(1 * MINUTE, peak), Stage(3 * MINUTE, peak), Stage(30 * SECOND, 0)),
        "soak": (Stage(2 * MINUTE, peak), Stage(60 * MINUTE, peak), Stage(2 * MINUTE, 0)),
        "burst": (Stage(30 * SECOND, baseline), Stage(5 * SECOND, peak), Stage(1 * MINUTE, peak),
                  Stage(5 * SECOND, baseline), Stage(30 * SECOND, baseline),
                  Stage(10 * SECOND, 0)),
    }
    return presets[name]


def all_profiles(settings: LoadTestSettings) -> dict[str, tuple[Stage, ...]]:
    """Every profile the script offers: the presets (at the policy's peak), then the policy's
    own, which replace a preset of the same name."""
    profiles = {name: preset_stages(name, settings.vus) for name in PRESET_PROFILES}
    for name, stages in (settings.profiles or {}).items():
        profiles[name] = tuple(Stage(s.duration, s.target) for s in stages)
    return profiles


def total_ms(stages: tuple[Stage, ...]) -> float:
    return sum(s.duration_ms for s in stages)


def peak_vus(stages: tuple[Stage, ...]) -> int:
    return max([1, *(s.target for s in stages)])  # k6 starts the stages at 1 VU


def k6_duration(ms: float) -> str:
    """A duration as k6 writes it: 90000 -> '1m30s', 5000 -> '5s', 1500 -> '1500ms'."""
    if ms % SECOND:
        return f"{ms:g}ms"
    seconds = int(ms // SECOND)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "",
             f"{secs}s" if secs else ""]
    return "".join(parts) or "0s"


def describe(stages: tuple[Stage, ...]) -> str:
    """'up to 50 VUs for 4m30s'."""
    return f"up to {peak_vus(stages)} VUs for {k6_duration(total_ms(stages))}"
