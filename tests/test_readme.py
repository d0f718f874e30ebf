"""The README's quoted commands print what the README says they print.

Every ``console`` block of the README holds ``$ command`` lines, each followed by the lines it
prints; the cheap ones (no training) run here, from the repository root, and their output must
be exactly the quoted lines.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from cli_runner import run_script

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


def quoted_commands() -> list[tuple[str, list[str]]]:
    """Each quoted command of the README and the lines quoted after it."""
    commands: list[tuple[str, list[str]]] = []
    for block in BLOCK.findall((ROOT / "README.md").read_text()):
        for line in block.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif commands:
                commands[-1][1].append(line)
    return commands


def test_the_readme_quotes_commands():
    assert len(quoted_commands()) >= 6


@pytest.mark.parametrize(("command", "expected"), quoted_commands(), ids=lambda v: str(v)[:40])
def test_a_quoted_command_prints_what_the_readme_says(tmp_path, command, expected):
    program, *args = shlex.split(command)
    result = run_script(program, *args, f"paths.results={tmp_path}", cwd=ROOT, timeout=120)
    printed = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert printed == expected
    assert list(tmp_path.iterdir()) == []
