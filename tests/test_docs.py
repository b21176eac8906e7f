"""The documentation keeps up with the code: every command is in the README and explains itself."""

import re
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

from framing.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(typer.main.get_command(app).commands)


def test_the_cli_has_commands():
    assert {"ingest", "train", "predict", "evaluate", "label", "review", "import", "export"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_a_readme_mention(command):
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    assert re.search(rf"framing {command}\b", README), f"README never shows `framing {command}`"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help_text(command):
    group = typer.main.get_command(app)
    options = [p for p in group.commands[command].params if isinstance(p, click.Option)]
    undocumented = [p.name for p in options if not p.help]
    assert not undocumented, f"`framing {command}` options without help: {undocumented}"
