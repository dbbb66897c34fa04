"""The ``scalinglab`` command line: a thin layer over the library.

Each subcommand lives in its own module of this package and is registered in
:data:`COMMANDS`. Invalid input (a :class:`~scalinglab.exceptions.ConfigError` or a click
usage error) prints one ``Error: ...`` line naming the parameter and exits with code 2.
"""

from __future__ import annotations

import importlib
import re
import sys
import warnings

import click

from ..exceptions import ConfigError

# name -> "module:attribute" of a click command, imported only when used.
COMMANDS = {
    "dimension": "scalinglab.cli.dimension:dimension",
    "predict": "scalinglab.cli.predict:predict",
    "fit": "scalinglab.cli.fit:fit",
    "simulate": "scalinglab.cli.simulate:simulate",
    "demo": "scalinglab.cli.demo:demo",
    "sweep": "scalinglab.cli.sweep:sweep",
    "theory": "scalinglab.cli.theory:theory",
    "spectrum": "scalinglab.cli.spectrum:spectrum",
    "reproduce": "scalinglab.cli.reproduce:reproduce",
    "report": "scalinglab.cli.reproduce:report",
    "explore": "scalinglab.cli.explore:explore",
    "dynamics": "scalinglab.cli.dynamics:dynamics",
    "exponents": "scalinglab.cli.exponents:exponents",
}


class LazyGroup(click.Group):
    """A click group that imports each subcommand's module only when it is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="scalinglab")
def cli() -> None:
    """scalinglab: the solvable model of neural scaling laws (Maloney, Roberts, Sully 2022)."""


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"Warning: {message}\n"


def _flags(argv: list[str]) -> dict[str, str]:
    """Python parameter name -> the user's flag or argument, for the command ``argv`` invokes."""
    command: click.Command | None = cli
    names: dict[str, str] = {}
    for word in argv:
        if not isinstance(command, click.Group):
            break
        command = command.get_command(click.Context(command), word)
        if command is None:
            break
        if word == "spectrum":  # one command, two branches with their own options
            from .spectrum import branch

            command = branch(argv)
        for param in command.params:
            if isinstance(param, click.Option) and param.name:
                names[param.name] = f"'{max(param.opts, key=len)}' option"
            elif isinstance(param, click.Argument) and param.name:
                names[param.name] = f"{param.human_readable_name} argument"
    return names


def _name_flags(message: str, argv: list[str]) -> str:
    """``The 'sigma_u' parameter`` -> ``The '--sigma-u' option`` where the command has that flag."""
    try:
        flags = _flags(argv)
    except Exception:  # naming flags must never hide the error itself
        return message

    def swap(match: re.Match) -> str:
        return flags.get(match.group(1), match.group(0))

    return re.sub(r"'([A-Za-z_][\w]*)' parameter", swap, message)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI, turning bad input into a one-line error and exit 2."""
    warnings.formatwarning = _one_line_warning
    try:
        cli.main(args=argv, prog_name="scalinglab", standalone_mode=False)
    except click.exceptions.Exit as stop:
        sys.exit(stop.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except (click.UsageError, ConfigError) as err:
        words = sys.argv[1:] if argv is None else argv
        message = err.format_message() if isinstance(err, click.UsageError) else str(err)
        click.echo(f"Error: {_name_flags(message, list(words))}", err=True)
        sys.exit(2)
    except click.ClickException as err:
        click.echo(f"Error: {err.format_message()}", err=True)
        sys.exit(err.exit_code)
