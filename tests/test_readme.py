"""The README's Python examples run as written (gaitmap's "examples run as tests").

Each ```python block of README.md runs on its own, in a scratch folder laid out like the
repository (``models/`` and ``experiments/`` reachable, ``../shared`` beside it), so an example
that drifts from the code fails here. Blocks that read ``../shared/reference`` are skipped when
the reference data is absent. The ``biomech`` command lines it shows parse, and every
``--option`` it names exists.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
from pathlib import Path

import pytest

from biomech.cli import make_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHARED = ROOT.parent / "shared"


def _python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, source) of every ```python block of a Markdown text."""
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.M | re.S):
        blocks.append((text.count("\n", 0, match.start()) + 1, match.group(1)))
    return blocks


BLOCKS = _python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("line,source", BLOCKS, ids=[f"README.md:{n}" for n, _ in BLOCKS])
def test_readme_example_runs(line, source, tmp_path, monkeypatch):
    if "../shared/reference" in source and not (SHARED / "reference").is_dir():
        pytest.skip("../shared/reference is absent")
    work = tmp_path / "repo"
    work.mkdir()
    for name in ("models", "experiments"):
        os.symlink(ROOT / name, work / name)
    if SHARED.is_dir():
        os.symlink(SHARED, tmp_path / "shared")
    monkeypatch.chdir(work)
    code = compile(source, f"README.md:{line}", "exec")
    exec(code, {"__name__": "readme_example"})  # noqa: S102 - the README's own code


def _cli_lines(text: str) -> list[str]:
    """The ``biomech ...`` command lines of a Markdown text: from its ```bash blocks (continuation
    lines joined, comments dropped) and its inline code spans, except synopses with ``...`` or
    ``[optional]`` parts."""
    lines = []
    for match in re.finditer(r"^```bash\n(.*?)^```", text, flags=re.M | re.S):
        for line in match.group(1).replace("\\\n", " ").splitlines():
            line = re.split(r"\s#", line)[0].strip()
            if re.match(r"(\.venv/bin/)?biomech ", line):
                lines.append(line)
    for match in re.finditer(r"`((?:\.venv/bin/)?biomech [^`]+)`", text):
        line = " ".join(match.group(1).split())
        if "..." not in line and "[" not in line and len(line.split()) > 2:
            lines.append(line)
    return lines


CLI_LINES = _cli_lines(README.read_text(encoding="utf-8"))


def _options(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of a parser and its sub-commands."""
    found = set()
    for action in parser._actions:
        found.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _options(sub)
    return found


def test_the_readme_shows_command_lines():
    assert len(CLI_LINES) >= 15


@pytest.mark.parametrize("line", CLI_LINES)
def test_readme_command_line_parses(line):
    # the command line as the README shows it is accepted by the `biomech` parser (argparse
    # exits with status 2 on an unknown sub-command or option, or a value of the wrong type)
    argv = shlex.split(line.replace("$REF", "REF"))[1:]
    args = make_parser().parse_args(argv)
    assert callable(args.func)


def test_every_option_the_readme_names_exists():
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))
    assert named, "no --options found in the README"
    assert sorted(named - _options(make_parser())) == []
