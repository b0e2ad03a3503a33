"""``localmig models``, ``localmig show-prompt`` and ``localmig log``: the model layer, inspectable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from ..config import Settings, load_settings
from ..options import ModelChoice
from ..pipeline import Session
from ..project import locate
from ..store import Store
from .common import ProgressView, line, out, plain, project_options, session_options

if TYPE_CHECKING:
    from ..llm import ProfileState
from .generate import model_output_option


@click.command()
@click.argument("path", type=click.Path(path_type=Path), default=".", required=False)
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="models.yaml to use.")
@click.option("--json", "as_json", is_flag=True, help="Print the profiles and their state as JSON (for scripts).")
def models(path: Path, config_file: Path | None, as_json: bool) -> None:
    """List the model profiles, whether Ollama has each model, and how to pull the missing ones.

    Profile and model names are never cut, however narrow the terminal or pipe
    (`localmig models | grep deepseek-coder` finds the line).
    """
    from ..llm import profile_states  # the Ollama client loads only for the commands that use it
    root = _project_root(path)
    settings = load_settings(config_file, root)
    states = profile_states(settings)
    if as_json:
        click.echo(json.dumps({"settings": str(settings.source) if settings.source else None, "default": settings.default,
                               "profiles": [_profile_json(settings, state) for state in states]}, indent=2))
        return
    out.print(line(f"settings: {settings.source}"))
    table = Table()
    names = [s.name + (" (default)" if s.name == settings.default else "") for s in states]
    for column in ("profile", "model", "family", "num_ctx", "host", "pulled"):
        table.add_column(column, no_wrap=True)
    shown = {"pulled": "[green]yes[/]", "missing": "[red]no[/]", "unknown": "[yellow]unknown[/] (see below)"}
    for state, name in zip(states, names):
        profile = settings.profiles[state.name]
        table.add_row(escape(name), escape(profile.model), escape(profile.family),
                      str(profile.options.num_ctx), escape(settings.host_for(profile)), shown[state.state])
    if out.measure(table, options=out.options.update_width(10_000)).maximum <= out.width:
        out.print(table)
    else:  # too narrow for the table: one line per profile, every field whole
        for state, name in zip(states, names):
            profile = settings.profiles[state.name]
            fields = [name, profile.model, profile.family, str(profile.options.num_ctx), settings.host_for(profile),
                      {"pulled": "pulled", "missing": "not pulled", "unknown": "unknown"}[state.state]]
            out.print(escape("  ".join(fields)), soft_wrap=True)
    for detail, hint in dict.fromkeys((s.detail, s.hint) for s in states if s.state == "unknown"):
        out.print(f"[yellow]{escape(detail)}[/]", soft_wrap=True)
        if hint:
            out.print(f"  {escape(hint)}", soft_wrap=True)
    for state in states:
        if state.state == "missing":
            out.print(f"to pull {escape(state.name)}: [bold]{escape(settings.profiles[state.name].pull_command)}[/]")


def _profile_json(settings: Settings, state: ProfileState) -> dict[str, object]:
    profile = settings.profiles[state.name]
    return {"profile": state.name, "default": state.name == settings.default, "model": profile.model,
            "family": profile.family, "num_ctx": profile.options.num_ctx, "host": settings.host_for(profile),
            "state": state.state, "detail": state.detail or None, "hint": state.hint,
            "pull": profile.pull_command if state.state == "missing" else None}


def _project_root(path: Path) -> Path | None:
    try:
        return locate(path).root
    except Exception:  # models.yaml is also looked up without a project
        return None


@click.command("show-prompt")
@project_options
@click.option("--rev", "revision", required=True, metavar="REV", help="The revision (id, prefix or branch label).")
@click.option("--model", "model_name", envvar="LOCALMIG_MODEL", metavar="NAME", help="Profile or Ollama tag.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="models.yaml to use.")
@click.option("--prompts", "prompts_dir", type=click.Path(path_type=Path, file_okay=False), help="Prompt overrides.")
@click.option("--hint", default="", help="A reviewer's hint, as the TUI's regenerate adds it.")
@click.option("--json", "as_json", is_flag=True, help="Print the request body exactly as sent to /api/chat.")
@model_output_option
def show_prompt(path: Path, db_url: str | None, builtin_env: bool, metadata: str | None, initial_schema: tuple[str, ...], revision: str,
                model_name: str | None, config_file: Path | None, prompts_dir: Path | None, hint: str, as_json: bool,
                model_output: str | None) -> None:
    """Print exactly what would be sent to the model for one revision (nothing is sent)."""
    options = session_options(path, db_url, builtin_env, metadata, initial_schema)
    with ProgressView(quiet=True) as view, Session.open(options, view) as session:
        layer = session.use_model(ModelChoice(mode="require", model=model_name, config=config_file,
                                              prompts=prompts_dir, replay_only=True, output=model_output))
        item = session.plan(session.project.revision(revision), hint=hint)
        if item.diff is None:
            raise click.ClickException(f"{item.revision.id} could not be applied, so there is nothing to send")
        conversation = session.context_for(item)
    assert layer is not None
    engine = layer.engine
    if conversation is None:
        click.echo(f"nothing would be sent for {item.revision.id}: no table it is about can hold rows before it, "
                   f"so there is no data scenario to ask for (--model-output code asks for test code instead)")
        return
    if as_json:
        body = {"model": engine.profile.model, "messages": conversation.messages, "format": conversation.answer_format,
                "options": engine.profile.options.model_dump(exclude_none=True)}
        click.echo(json.dumps(body, indent=2))
        return
    for message in conversation.messages:
        click.echo(f"### {message['role']}")
        click.echo(message["content"])
        click.echo()


@click.command("log")
@click.argument("path", type=click.Path(path_type=Path), default=".", required=False)
@click.option("--limit", default=20, show_default=True, help="How many exchanges.")
@click.option("--rev", "revision", metavar="REV", help="Only this revision (id prefix).")
@click.option("--full", is_flag=True, help="Print every prompt and answer in full.")
def log(path: Path, limit: int, revision: str | None, full: bool) -> None:
    """Show recent exchanges with the model (from .localmig/localmig.db)."""
    root = locate(path).root
    if not (root / ".localmig" / "localmig.db").exists():
        out.print(line(f"no exchanges yet: {root / '.localmig'} does not exist"))
        return
    store = Store(root)
    try:
        exchanges = store.recent(limit, revision)
    finally:
        store.close()
    if not exchanges:
        which = f" for revision {revision}" if revision else ""
        out.print(line(f"no exchanges with a model logged{which} in {root / '.localmig'}"))
        return
    table = Table()
    for column in ("id", "time", "revision", "purpose", "model", "cached", "tokens in/out", "s", "outcome", "errors"):
        table.add_column(column, overflow="fold")
    for e in exchanges:
        table.add_row(*(plain(cell) for cell in (
            e.id, e.created_at, e.revision, e.purpose, e.model, "yes" if e.cache_hit else "no",
            f"{e.prompt_tokens or '-'}/{e.answer_tokens or '-'}", f"{e.seconds:.1f}" if e.seconds else "-",
            e.outcome or "", len(e.errors) if e.errors else "")))
    out.print(table)
    if full:
        for e in exchanges:
            out.rule(plain(f"exchange {e.id}: {e.revision} {e.purpose}"))
            for message in e.messages:
                out.print(line((f"### {message['role']}", "bold")))
                out.print(message["content"], markup=False)
            out.print("[bold]### answer[/]")
            out.print(e.answer or "", markup=False)
            for error in e.errors:
                out.print(line(("error:", "red"), f" {error}"))
