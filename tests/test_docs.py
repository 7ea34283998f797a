"""The documentation a newcomer follows: every relative link and anchor resolves, and whatever
the README's example commands write is ignored by git."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from conftest import ROOT

DOCS = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes."""
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#+\s+(.*)", line)
        if heading:
            text = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            found.add(text.replace(" ", "-"))
    return found


def test_every_relative_link_and_anchor_resolves():
    broken = []
    for doc in DOCS:
        text = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            file = (doc.parent / path).resolve() if path else doc
            if not file.exists():
                broken.append(f"{doc.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                broken.append(f"{doc.name}: {target} (no such section)")
    assert broken == []


def test_what_the_readme_commands_write_is_ignored_by_git():
    patterns = [line.strip().rstrip("/") for line in
                (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    written = set(re.findall(r"--out (\S+)", readme))
    assert {"plan.json", "sentry-alerts-guide"} <= written
    for name in written:
        assert any(fnmatch.fnmatch(name, p) for p in patterns), f"{name} is not in .gitignore"


def test_every_module_path_the_docs_name_exists():
    # Modules move when they are split; a doc naming the old path sends a reader nowhere.
    missing = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for path in sorted(set(re.findall(r"sentry_alerts/[\w/]+\.py", text))):
            if not (ROOT / path).is_file():
                missing.append(f"{doc.name}: {path}")
    assert missing == []


def test_docs_emulator_lists_every_emulator_module():
    # docs/emulator.md says which module holds what (and the rules name their Sentry sources
    # there); a module it does not list is one a reader cannot find.
    listed = set(re.findall(r"`(\w+\.py)`", (ROOT / "docs" / "emulator.md").read_text(
        encoding="utf-8")))
    modules = {p.name for p in (ROOT / "sentry_alerts" / "emulator").glob("*.py")
               if p.name != "__init__.py"}
    assert sorted(modules - listed) == []
