"""An emulator of the parts of Sentry's API that sentry-alerts uses (see docs/emulator.md).

    from sentry_alerts.emulator import run_emulator
    with run_emulator(profile="self-hosted-25") as emu:
        requests.get(emu.url + "/api/0/organizations/acme/", headers=...)
"""

from sentry_alerts.emulator.profiles import DEFAULT_PROFILE, PROFILES, Profile, RateLimit
from sentry_alerts.emulator.seed import (
    ADMIN_TOKEN,
    ALERTS_TOKEN,
    NO_SCOPES_TOKEN,
    OUTSIDER_TOKEN,
    READ_ONLY_TOKEN,
)
from sentry_alerts.emulator.server import Emulator, run_emulator

__all__ = ["ADMIN_TOKEN", "ALERTS_TOKEN", "DEFAULT_PROFILE", "NO_SCOPES_TOKEN", "OUTSIDER_TOKEN", "PROFILES",
           "READ_ONLY_TOKEN", "Emulator", "Profile", "RateLimit", "run_emulator"]
