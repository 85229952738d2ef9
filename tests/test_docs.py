"""The README documents every CLI command and every page."""

import re
from pathlib import Path

from effdash.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(parser, prefix="effdash"):
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for name, sub in action.choices.items():
            yield f"{prefix} {name}"
            if sub._subparsers:
                yield from _commands(sub, f"{prefix} {name}")


def test_every_cli_command_is_in_the_readme():
    missing = [c for c in _commands(build_parser()) if f"`{c}" not in README]
    assert missing == []


def test_every_page_is_in_the_readme():
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    titles = re.findall(r'st\.Page\("pages/\w+\.py", title="([^"]+)"', app)
    assert len(titles) >= 2
    missing = [t for t in titles if f"**{t}**" not in README]
    assert missing == []


def test_readme_starts_with_the_two_setup_commands():
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", README, flags=re.S)
    first_two = [b.strip() for b in blocks[:2]]
    assert "streamlit run app.py" in first_two[0]
    assert "scripts/test.sh" in first_two[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test.sh" in ci
