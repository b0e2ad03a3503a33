"""The ``localmig`` command: a thin layer of click commands over :mod:`localmig.pipeline`."""

from __future__ import annotations

import importlib

import click

from .. import __version__
from .common import GuardedGroup

# command -> its module in this package and the click command's name there: imported when the command
# runs (or the help lists it), so `localmig scan` does not load the review app, the model client or sqlglot
COMMANDS = {"scan": ("scan", "scan"), "generate": ("generate", "generate"), "models": ("models", "models"),
            "show-prompt": ("models", "show_prompt"), "log": ("models", "log"), "tui": ("tui", "tui"),
            "batch": ("batch", "batch"), "check": ("batch", "check"), "mutate": ("mutate", "mutate")}


class LazyGroup(GuardedGroup):
    """The group of :data:`COMMANDS`, each imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, name = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             invoke_without_command=True)
@click.version_option(__version__, prog_name="localmig")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Write pytest tests for Alembic migrations; see `localmig COMMAND --help`.

    Without a command, `localmig` opens the review app on the current folder (as `localmig tui`).

    \b
    Exit codes: 0 done; 1 problems found (failing or stale tests, a generated test localmig
    had to drop); 2 usage or configuration error; 3 not a usable Alembic project; 4 the scratch
    database could not be used; 5 model error; 6 a revision's tests could not be planned, rendered
    or run (a module pytest could not collect, tests it did not run); 70 internal error (a bug in
    localmig); 130 interrupted (Ctrl-C or SIGTERM).
    """
    if ctx.invoked_subcommand is None:
        from . import tui as tui_module

        if not tui_module.interactive():  # a script or a pipe: the help, as before
            click.echo(ctx.get_help())
            return
        ctx.invoke(tui_module.tui)


def main() -> None:
    cli.main(prog_name="localmig")
