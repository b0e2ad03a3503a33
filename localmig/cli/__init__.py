"""The ``localmig`` command: a thin layer of click commands over :mod:`localmig.pipeline`."""

from __future__ import annotations

import click

from .. import __version__
from . import tui as tui_module
from .batch import batch, check
from .common import GuardedGroup
from .generate import generate
from .models import log, models, show_prompt
from .mutate import mutate
from .scan import scan
from .tui import tui


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
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
        if not tui_module.interactive():  # a script or a pipe: the help, as before
            click.echo(ctx.get_help())
            return
        ctx.invoke(tui)


cli.add_command(scan)
cli.add_command(generate)
cli.add_command(models)
cli.add_command(show_prompt)
cli.add_command(log)
cli.add_command(tui)
cli.add_command(batch)
cli.add_command(check)
cli.add_command(mutate)


def main() -> None:
    cli.main(prog_name="localmig")
