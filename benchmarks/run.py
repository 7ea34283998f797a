"""Run every benchmarks/bench_*.py in turn and print their tables (`make bench`).

Each script prints a Markdown table and exits non-zero when it misses a target; this exits
non-zero if any did.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    failed = []
    for script in scripts:
        print(f"# {script.name}\n", flush=True)
        done = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, check=False)
        if done.returncode != 0:
            failed.append(script.name)
        print(flush=True)
    if failed:
        print(f"missed a target or failed: {', '.join(failed)}")
        return 1
    print(f"all {len(scripts)} benchmark scripts met their targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
