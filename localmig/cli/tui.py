"""``localmig tui`` (and ``localmig`` alone): the review app."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import project_options, session_options


def interactive() -> bool:
    """Whether a person sits at a terminal (the app needs one; scripts get the help instead)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


@click.command()
@project_options
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Suite folder (default: <project>/tests/migrations).")
@click.option("--model", "model_name", envvar="LOCALMIG_MODEL", metavar="NAME",
              help="A models.yaml profile or a raw Ollama tag (default: the profile marked default).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="models.yaml to use.")
@click.option("--prompts", "prompts_dir", type=click.Path(path_type=Path, file_okay=False),
              help="A folder of prompt templates overriding the packaged ones.")
@click.option("--no-model", is_flag=True, help="Start with the model off (switch it on in the app with m).")
@click.option("--theme", metavar="NAME", help="A Textual theme, e.g. textual-light, nord, gruvbox.")
def tui(path: Path, db_url: str | None, builtin_env: bool, metadata: str | None, initial_schema: tuple[str, ...], out_dir: Path | None,
        model_name: str | None, config_file: Path | None, prompts_dir: Path | None, no_model: bool,
        theme: str | None) -> None:
    """Open the review app: select revisions, generate, review side by side, accept.

    Keys are listed in the app (press ?) and can be remapped in models.yaml under `keys`. The exit
    code is 0, or that of a load error still unfixed when the app is left (3 for a path that is not
    an Alembic project, as `localmig scan` exits).
    """
    if not interactive():
        raise click.UsageError("the review app needs a terminal; in scripts use `localmig generate` or `localmig batch`")
    from ..tui import create_app  # textual is imported only when the app is opened

    options = session_options(path, db_url, builtin_env, metadata, initial_schema, out=out_dir)
    app = create_app(options, config=config_file, model=model_name, prompts=prompts_dir, no_model=no_model, theme=theme)
    app.run()
    if app.return_code:
        raise click.exceptions.Exit(app.return_code)
