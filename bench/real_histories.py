"""Benchmark: localmig on the real Alembic histories of public applications.

Run it by hand (no pytest; it needs the network for PyPI and takes a while):

    python bench/real_histories.py                          # every app, SQLite, and PostgreSQL when
                                                            # LOCALMIG_TEST_PG_URL is set
    python bench/real_histories.py --apps jupyterhub,neutron --sqlite-only
    python bench/real_histories.py --localmig /work/main --pg --json results.json --logs /tmp/logs
    python bench/real_histories.py --db-url postgresql+psycopg://me@localhost/postgres

For every application of ``APPS`` (each one a small declarative entry: the PyPI package and its
pinned version, where its Alembic history sits inside site-packages, and how its env.py is run)
the bench

1. installs it into a throwaway venv cached under ``~/.cache/localmig-bench/<app>-<version>/``
   (reused when present), plus localmig from a checkout with ``pip install -e`` (default: the
   repository this script lives in; ``--localmig PATH`` for another; a ``pytest-localmig/``
   distribution in that checkout is installed first when it exists). localmig runs inside the
   app's venv because the migrations import their application;
2. writes a minimal ``alembic.ini`` in a temporary project folder pointing at the package's
   script_location (or copies the one the package ships), with the env variables the app's
   settings need;
3. runs, on SQLite and on PostgreSQL (``--pg`` / ``--db-url``, for apps that support it):
   the baseline (bare ``alembic upgrade heads`` + ``alembic downgrade base`` on a fresh database,
   as subprocesses in the app's venv), ``localmig scan --json``, ``localmig generate --no-model``,
   the generated suite under plain pytest (``--junitxml``) and ``localmig check``; every step with
   a timeout, its exit code, and stdout / stderr kept in a per-app log folder;
4. prints one table (one row per app and database) and, with ``--json FILE``, every figure.

Only the standard library is imported at top level: everything else runs in subprocesses.
A crash of localmig (an "internal error", a traceback, a timeout) is recorded and shown; it
never stops the bench.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CHECKOUT = HERE.parent
CACHE = Path(os.environ.get("LOCALMIG_BENCH_CACHE", Path.home() / ".cache" / "localmig-bench"))
DEFAULT_TIMEOUT = 1800
MEMORY = "/dev/shm"

# --------------------------------------------------------------------------- the applications


@dataclass(frozen=True)
class App:
    """How to install one application and run its Alembic history.

    Paths are relative to the venv's site-packages.
    """

    name: str
    package: str
    version: str
    script_location: str  # the folder holding env.py (and, usually, versions/)
    extras: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()  # extra pins pip needs for a working install
    version_locations: tuple[str, ...] = ()  # when not <script_location>/versions
    recursive_versions: bool = False  # revision files in sub-folders of the version locations
    connection_env: bool = False  # env.py only runs on config.attributes["connection"] (baseline via the API)
    shipped_ini: str | None = None  # an alembic.ini inside the package, used instead of a generated one
    builtin_env: bool = False  # the app's env.py does not take a handed-over URL
    metadata: str | None = None  # module:attr for --metadata (naming conventions) with --builtin-env
    initial_schema: tuple[str, ...] = ()  # module:attr of each MetaData the base revision expects created
    env: dict[str, str] = field(default_factory=dict)  # settings the app reads at import time
    ini_options: dict[str, str] = field(default_factory=dict)  # more [alembic] options for the ini
    suite_env: dict[str, str] = field(default_factory=dict)  # for the generated suite's pytest run only
    sqlite: bool = True
    postgres: bool = True
    why: str = ""  # why the entry is what it is (also in docs/real-histories.md)

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"

    @property
    def spec(self) -> str:
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.package}{extras}=={self.version}"


APPS: list[App] = [
    App(
        name="zenml",
        package="zenml",
        version="0.98.0",
        extras=("local",),  # sqlalchemy, sqlmodel and alembic are in the 'local' extra
        script_location="zenml/zen_stores/migrations",
        # named explicitly: with alembic 1.15 (ZenML's pin) and no version_locations in the ini, localmig
        # --builtin-env fails to load the project (TypeError: 'NoneType' object is not iterable)
        version_locations=("zenml/zen_stores/migrations/versions",),
        builtin_env=True,
        postgres=False,
        env={"ZENML_ANALYTICS_OPT_IN": "false", "ZENML_CONFIG_PATH": "{work}/zenml-config",
             "AUTO_OPEN_DASHBOARD": "false"},
        why="env.py builds a SqlZenStore from ZenML's GlobalConfiguration and migrates *that* database "
            "(the default local store under the ZenML config folder), ignoring sqlalchemy.url and "
            "config.attributes: needs --builtin-env. SQLModel.metadata has no naming convention, so no "
            "--metadata. ZenML supports SQLite and MySQL, not PostgreSQL. Its first revision (alembic_start) "
            "creates the schema; later revision ids are dotted release numbers (0.21.0, ...).",
    ),
    App(
        name="neutron",
        package="neutron",
        version="29.0.0",
        script_location="neutron/db/migration/alembic_migrations",
        version_locations=("neutron/db/migration/alembic_migrations/versions",),
        recursive_versions=True,
        builtin_env=True,
        why="env.py reads config.neutron_config (an oslo.config object that only neutron-db-manage sets on "
            "the Alembic Config) and connects to neutron_config.database.connection: needs --builtin-env. "
            "BASEV2.metadata (neutron_lib) has no naming convention. The revisions live in one folder per "
            "release, each with expand/ and contract/ sub-folders (branch labels expand/contract, two "
            "heads), hence recursive_version_locations. The first revision (kilo_initial) builds the whole "
            "Kilo schema from *_init_ops modules. Neutron supports MySQL and PostgreSQL; SQLite is run too "
            "(its unit tests use it for models, not for migrations).",
    ),
    App(
        name="ckan",
        package="ckan",
        version="2.12.0",
        extras=("requirements",),  # the package's dependencies are in the 'requirements' extra
        script_location="ckan/migration",
        sqlite=False,
        # ckan's own pytest11 plugin needs pytest_factoryboy, which ckan[requirements] does not install:
        # any pytest in that venv stops at start-up, so the suite runs with pytest-localmig's plugin alone
        suite_env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_PLUGINS": "pytest_localmig.plugin"},
        why="env.py builds its engine from sqlalchemy.url (engine_from_config), so the URL localmig hands over "
            "is the one used: run as is (it ignores config.attributes['connection']). CKAN supports "
            "PostgreSQL only (the history's raw SQL is PostgreSQL). Its first revision creates the tables.",
    ),
    App(
        name="apache-superset",
        package="apache-superset",
        version="6.1.0",
        script_location="superset/migrations",
        builtin_env=True,
        metadata="flask_appbuilder:Model.metadata",
        env={"SUPERSET_SECRET_KEY": "localmig-bench-not-a-secret"},
        why="env.py reads flask.current_app.config['SQLALCHEMY_DATABASE_URI'] (a Flask app context that only "
            "`superset db upgrade` provides): needs --builtin-env, with Flask-AppBuilder's Model.metadata. "
            "Superset 6.1 requires SQLAlchemy < 2 while localmig requires >= 2.0: installing localmig into the "
            "venv replaces SQLAlchemy, and Superset's modules (imported by its revisions) no longer import.",
    ),
    App(
        name="dagster",
        package="dagster",
        version="1.13.29",
        script_location="dagster/_core/storage/alembic",
        initial_schema=("dagster._core.storage.runs.schema:RunStorageSqlMetadata",
                        "dagster._core.storage.event_log.schema:SqlEventLogStorageMetadata",
                        "dagster._core.storage.schedules.schema:ScheduleStorageSqlMetadata"),
        connection_env=True,
        why="env.py (dagster._core.storage.sql.run_migrations_online) only takes config.attributes"
            "['connection'] and raises without it; localmig hands one over, so it runs as is. Dagster creates "
            "its tables with create_all() of three MetaData (runs, event log, schedules) and stamps head; "
            "almost every revision first checks whether its table exists and returns when it does not, so "
            "on an empty database most of the history does nothing.",
    ),
    App(
        name="zou",
        package="zou",
        version="1.0.97",
        script_location="zou/migrations",
        sqlite=False,
        # zou.app.config refuses its insecure default key at import time (every revision imports zou)
        env={"SECRET_KEY": "localmig-bench-not-a-secret-0123456789abcdef", "CACHE_TYPE": "SimpleCache"},
        why="env.py uses flask.current_app when there is one and falls back to sqlalchemy.url (RuntimeError "
            "outside an app context): run as is. Its first revision a1b2c3d4e5f6 squashes every pre-1.0 "
            "migration into one huge create-everything revision with PostgreSQL types (JSONB, UUID): "
            "PostgreSQL only.",
    ),
    App(
        name="indico",
        package="indico",
        version="3.2.9",
        script_location="indico/migrations",
        builtin_env=True,
        metadata="indico.core.db.sqlalchemy.core:db.metadata",
        sqlite=False,
        why="env.py sets sqlalchemy.url from flask.current_app.config (an Indico app context): needs "
            "--builtin-env, with Indico's db.metadata for its naming convention. PostgreSQL only (schemas "
            "such as events.events). The base revision f1eee7b4880a adds a table with a foreign key to "
            "events.events: it expects the Indico 2.0 schema, which Indico creates with db.create_all() and "
            "stamps; that schema is not in the package. Indico 3.2 pins SQLAlchemy 1.4.48 and alembic 1.10.4, "
            "which localmig's install replaces.",
    ),
    App(
        name="jupyterhub",
        package="jupyterhub",
        version="6.1.1",
        script_location="jupyterhub/alembic",
        builtin_env=True,
        why="env.py takes config.attributes['connection'] but calls .connect() on it (it expects an Engine); "
            "localmig hands a Connection, so the app's env.py fails before any revision runs (AttributeError, "
            "reported as upgrade_failed of the empty base revision): --builtin-env. The base revision "
            "19c0846f6344 is empty and stands for the 0.5 schema, which JupyterHub creates with "
            "orm.Base.metadata.create_all() and stamps; that schema is not in the package (create_all of "
            "today's orm is the head schema), so the history cannot run from an empty database.",
    ),
    App(
        name="buildbot",
        package="buildbot",
        version="4.3.0",
        script_location="buildbot/db/migrations",
        why="env.py builds its engine from sqlalchemy.url: run as is. Only 9 revisions; the base 059 is an "
            "empty placeholder for the schema that sqlalchemy-migrate built up to v3.4 (Buildbot creates new "
            "databases with create_all() of buildbot.db.model and stamps head), so the history cannot run "
            "from an empty database either.",
    ),
]

# --------------------------------------------------------------------------- small helpers


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Step:
    """One subprocess: its command, exit code (None: timed out or could not start), wall time, output."""

    name: str
    command: list[str]
    rc: int | None = None
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    log_file: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def tail(self, lines: int = 15) -> str:
        text = (self.stdout.rstrip() + "\n" + self.stderr.rstrip()).strip()
        return "\n".join(text.splitlines()[-lines:])

    def error_line(self) -> str:
        """The last exception line of its output (else its last line)."""
        lines = (self.stdout + "\n" + self.stderr).splitlines()
        errors = [x.strip() for x in lines if re.match(r"^\s*([\w.]+)?(Error|Exception|Exit|Warning)\b.*:", x.strip())
                  or re.match(r"^[\w.]+(Error|Exception): ", x.strip())]
        return (errors[-1] if errors else self.tail(1))[:400]

    def brief(self) -> dict:
        return {"rc": self.rc, "seconds": round(self.seconds, 2), "timed_out": self.timed_out, "log": self.log_file}


def run(name: str, command: list[str], *, logs: Path, timeout: float, cwd: Path | None = None,
        env: dict[str, str] | None = None) -> Step:
    """Run ``command``; never raises; keeps its output in ``logs/<name>.log``."""
    step = Step(name, [str(c) for c in command])
    started = time.perf_counter()
    try:
        done = subprocess.run(step.command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                              errors="replace", stdin=subprocess.DEVNULL)
        step.rc, step.stdout, step.stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        step.timed_out = True
        step.stdout = _text(expired.stdout)
        step.stderr = _text(expired.stderr) + f"\n[bench] timed out after {timeout:.0f} s"
    except OSError as error:
        step.stderr = f"[bench] could not start: {error}"
    step.seconds = time.perf_counter() - started
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / f"{name}.log"
    path.write_text(
        f"$ {shlex.join(step.command)}\n# cwd: {cwd}\n# exit code: {step.rc}"
        f"{' (timed out)' if step.timed_out else ''}\n# wall: {step.seconds:.2f} s\n"
        f"----- stdout -----\n{step.stdout}\n----- stderr -----\n{step.stderr}\n"
    )
    step.log_file = str(path)
    return step


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def localmig_errors(step: Step) -> list[str]:
    """localmig's own error lines ("error: ...", "internal error: ...", a traceback's last line)."""
    found = []
    text = step.stdout + "\n" + step.stderr
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("internal error:", "error:", "hint:")):
            found.append(stripped)
    if "Traceback (most recent call last)" in text:
        lines = text.splitlines()
        last = [line for line in lines if re.match(r"^[A-Za-z_.]+(Error|Exception)\b", line)]
        frames = [line.strip() for line in lines if re.match(r'^\s*File ".*/localmig/[^"]+", line \d+', line)]
        if last:
            where = f" (last localmig frame: {frames[-1]})" if frames else ""
            found.append("traceback: " + last[-1].strip()[:300] + where)
    if step.timed_out:
        found.append(f"timed out after {step.seconds:.0f} s")
    return found


# --------------------------------------------------------------------------- venvs


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv(app: App, checkout: Path, logs: Path, timeout: float) -> tuple[Path, dict]:
    """The app's cached venv (created and filled when missing) with localmig installed from ``checkout``."""
    venv = CACHE / app.key
    marker = venv / ".localmig-bench.json"
    info: dict = {"venv": str(venv), "reused": False, "install_seconds": 0.0, "localmig_seconds": 0.0}
    wanted = {"spec": app.spec, "requirements": list(app.requirements)}
    current = json.loads(marker.read_text()) if marker.is_file() else None
    if current is None or {k: current.get(k) for k in wanted} != wanted:
        if venv.exists():
            shutil.rmtree(venv)
        log(f"{app.name}: creating {venv} and installing {app.spec}")
        made = run("venv", [sys.executable, "-m", "venv", str(venv)], logs=logs, timeout=timeout)
        if not made.ok:
            raise BenchError(f"cannot create the venv: {made.tail(3)}")
        pip = run("pip-install-app", [venv_python(venv), "-m", "pip", "install", "--disable-pip-version-check",
                                      app.spec, "psycopg[binary]>=3.1", *app.requirements],
                  logs=logs, timeout=timeout)
        info["install_seconds"] = round(pip.seconds, 1)
        if not pip.ok:
            raise BenchError(f"pip install {app.spec} failed (exit {pip.rc}): {pip.tail(3)}")
        marker.write_text(json.dumps({**wanted, "install_seconds": info["install_seconds"]}))
    else:
        info["reused"] = True
        info["install_seconds"] = current.get("install_seconds")
    # localmig from the checkout (its dependencies may move the app's alembic / SQLAlchemy: pip says so)
    commands = []
    plugin = checkout / "pytest-localmig"
    if (plugin / "pyproject.toml").is_file():
        commands.append(("pip-install-pytest-localmig", plugin))
    commands.append(("pip-install-localmig", checkout))
    for name, where in commands:
        step = run(name, [venv_python(venv), "-m", "pip", "install", "--disable-pip-version-check", "-e", str(where)],
                   logs=logs, timeout=timeout)
        info["localmig_seconds"] += round(step.seconds, 1)
        if not step.ok:
            raise BenchError(f"pip install -e {where} failed (exit {step.rc}): {step.tail(3)}")
        conflicts = [line for line in (step.stdout + step.stderr).splitlines() if "requires" in line and "but you have" in line]
        if conflicts:
            info.setdefault("conflicts", []).extend(conflicts)
    versions = run("versions", [venv_python(venv), "-c", textwrap.dedent("""\
        import json, sysconfig
        from importlib.metadata import version
        print(json.dumps({"site": sysconfig.get_paths()["purelib"],
                          **{n: version(n) for n in ("alembic", "sqlalchemy", "localmig")}}))""")],
                   logs=logs, timeout=120)
    if not versions.ok:
        raise BenchError(f"cannot read the venv's versions: {versions.tail(3)}")
    info.update(json.loads(versions.stdout.strip().splitlines()[-1]))
    return venv, info


class BenchError(Exception):
    """Something the bench itself could not do for one app (install, layout); the app's row says so."""


# --------------------------------------------------------------------------- the project folder

LOGGING = """\
[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = WARNING
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
"""


def write_ini(path: Path, options: dict[str, str]) -> Path:
    lines = ["[alembic]"] + [f"{key} = {value}" for key, value in options.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# written by localmig's bench/real_histories.py\n" + "\n".join(lines) + "\n\n" + LOGGING)
    return path


def project_options(app: App, site: Path) -> dict[str, str]:
    options = {"script_location": str(site / app.script_location), "path_separator": "os"}
    if app.version_locations:
        options["version_locations"] = os.pathsep.join(str(site / p) for p in app.version_locations)
    if app.recursive_versions:
        options["recursive_version_locations"] = "true"
    options.update(app.ini_options)
    return options


def make_project(app: App, site: Path, folder: Path) -> Path:
    """The folder localmig is pointed at: an alembic.ini for the package's history."""
    folder.mkdir(parents=True, exist_ok=True)
    if app.shipped_ini:
        shipped = site / app.shipped_ini
        if not shipped.is_file():
            raise BenchError(f"the package ships no {app.shipped_ini}")
        text = shipped.read_text()
        text = re.sub(r"(?m)^script_location\s*=.*$", f"script_location = {site / app.script_location}", text)
        (folder / "alembic.ini").write_text(text)
    else:
        write_ini(folder / "alembic.ini", project_options(app, site))
    return folder


def make_baseline_ini(app: App, site: Path, checkout: Path, folder: Path, url: str) -> Path:
    """alembic.ini for the bare-Alembic baseline: the app's env.py with the URL, or (for apps that
    need --builtin-env) localmig's built-in env.py, which is the one localmig runs them on."""
    options = project_options(app, site)
    if app.builtin_env:
        versions = options.get("version_locations") or str(site / app.script_location / "versions")
        options["script_location"] = str(checkout / "localmig" / "builtin_env")
        options["version_locations"] = versions
        if app.metadata:
            options["localmig.metadata"] = app.metadata
    options["sqlalchemy.url"] = url.replace("%", "%%")
    return write_ini(folder / "alembic.ini", options)


# --------------------------------------------------------------------------- databases


def sqlite_url(folder: Path, name: str) -> str:
    base = Path(MEMORY) if Path(MEMORY).is_dir() and os.access(MEMORY, os.W_OK) else folder
    path = base / f"localmig-bench-{os.getpid()}-{name}.sqlite"
    if path.exists():
        path.unlink()
    return f"sqlite:///{path}"


def pg_database(venv: Path, server: str, name: str, logs: Path, *, drop: bool = False) -> str:
    """Create (or drop) database ``name`` on ``server``, through the venv's SQLAlchemy; its URL."""
    script = textwrap.dedent(f"""\
        import sqlalchemy as sa
        engine = sa.create_engine({server!r}, isolation_level="AUTOCOMMIT")
        with engine.connect() as c:
            c.execute(sa.text('DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if not {drop!r}:
                c.execute(sa.text('CREATE DATABASE "{name}"'))
        print(engine.url.set(database={name!r}).render_as_string(hide_password=False))""")
    step = run(f"pg-{'drop' if drop else 'create'}-{name}", [venv_python(venv), "-c", script], logs=logs, timeout=120)
    if not step.ok:
        raise BenchError(f"cannot {'drop' if drop else 'create'} PostgreSQL database {name}: {step.tail(2)}")
    return step.stdout.strip().splitlines()[-1]


# --------------------------------------------------------------------------- one run


HISTORY_SCRIPT = """\
import json, sys
from alembic.config import Config
from alembic.script import ScriptDirectory
config = Config(sys.argv[1])
script = ScriptDirectory.from_config(config)
revisions = list(script.walk_revisions())
print(json.dumps({"ids": [r.revision for r in reversed(revisions)], "revisions": len(revisions), "heads": list(script.get_heads()),
                  "bases": list(script.get_bases()),
                  "merges": sum(1 for r in revisions if r.is_merge_point),
                  "labels": sorted({l for r in revisions for l in r.branch_labels})}))
"""

API_SCRIPT = """\
# the baseline for an env.py that only takes config.attributes["connection"]: alembic's own command
# functions, as `alembic upgrade` would call them, with the connection handed over
import sys
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
config = Config(sys.argv[1])
engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
with engine.begin() as connection:
    config.attributes["connection"] = connection
    getattr(command, sys.argv[2])(config, sys.argv[3])
engine.dispose()
"""

CREATE_ALL_SCRIPT = """\
import importlib, sys
import sqlalchemy as sa
engine = sa.create_engine(sys.argv[1])
for spec in sys.argv[2:]:
    module, _, attribute = spec.partition(":")
    value = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    value.create_all(engine)
engine.dispose()
"""


def run_app(app: App, database: str, *, venv: Path, site: Path, checkout: Path, work: Path, logs: Path,
            timeout: float, pg_server: str | None, has_initial_schema: bool, skip: set[str] = frozenset()) -> dict:
    """Everything for one app on one database; a dict of figures (never raises for localmig's failures)."""
    row: dict = {"app": app.name, "version": app.version, "database": database, "notes": [], "errors": {}}
    settings = {key: value.replace("{work}", str(work)) for key, value in app.env.items()}
    env = {**os.environ, **settings, "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb",
           "PYTHONDONTWRITEBYTECODE": "1",
           "LOCALMIG_DEBUG": "1",  # a localmig bug prints its traceback (kept in the step's log)
           "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VIRTUAL_ENV", None)
    env.pop("LOCALMIG_DB_URL", None)
    env.pop("MIGRATION_TEST_DATABASE_URL", None)
    py = str(venv_python(venv))
    project = make_project(app, site, work / "project")
    row["project"] = str(project)

    # the history, as Alembic sees it (independent of localmig)
    history = run("history", [py, "-c", HISTORY_SCRIPT, str(project / "alembic.ini")], logs=logs, timeout=600,
                  cwd=project, env=env)
    ids: list[str] = []
    if history.ok:
        row.update(json.loads(history.stdout.strip().splitlines()[-1]))
        ids = row.pop("ids")
    else:
        row["notes"].append(f"alembic cannot read the history: {history.error_line()}")
    target = "heads" if len(row.get("heads", [])) > 1 else "head"

    flags: list[str] = []
    if app.builtin_env:
        flags.append("--builtin-env")
        if app.metadata:
            flags += ["--metadata", app.metadata]
    if app.initial_schema:
        if has_initial_schema:
            flags += [flag for spec in app.initial_schema for flag in ("--initial-schema", spec)]
        else:
            row["notes"].append(f"needs --initial-schema {' '.join(app.initial_schema)} (not yet supported)")
    suite_flags: list[str] = []
    if database == "postgresql":
        flags += ["--db-url", pg_server]
        suite_flags += ["--migration-db-url", pg_server]
    row["flags"] = flags

    # baseline: bare alembic upgrade + downgrade on a fresh database
    if database == "sqlite":
        url = sqlite_url(work, f"{app.name}-baseline")
    else:
        url = pg_database(venv, pg_server, f"bench_{app.name}_{os.getpid()}", logs)
    ini = make_baseline_ini(app, site, checkout, work / "baseline", url)
    baseline_seconds = 0.0
    baseline_ok = True
    if app.initial_schema and has_initial_schema:  # the baseline does what localmig is asked to do
        created = run("baseline-create-all", [py, "-c", CREATE_ALL_SCRIPT, url, *app.initial_schema], logs=logs,
                      timeout=timeout, cwd=ini.parent, env=env)
        baseline_seconds += created.seconds
        baseline_ok = created.ok
    alembic = [py, "-c", API_SCRIPT, str(ini)] if app.connection_env and not app.builtin_env else \
        [py, "-m", "alembic", "-c", str(ini)]
    up = run("baseline-upgrade", [*alembic, "upgrade", target], logs=logs,
             timeout=timeout, cwd=ini.parent, env=env) if baseline_ok else None
    down = run("baseline-downgrade", [*alembic, "downgrade", "base"], logs=logs,
               timeout=timeout, cwd=ini.parent, env=env) if up is not None and up.ok else None
    row["baseline"] = {
        "upgrade": up.brief() if up else None,
        "downgrade": down.brief() if down else None,
        "seconds": round(baseline_seconds + (up.seconds if up else 0) + (down.seconds if down else 0), 2),
    }
    if up is None or not up.ok:
        row["notes"].append("baseline upgrade failed: " + (up.error_line() if up else "create_all failed: "
                                                             + created.error_line()))
        row["baseline"]["ok"] = False
    elif down is None or not down.ok:
        row["notes"].append("baseline downgrade failed: " + (down.error_line() if down else "?"))
        row["baseline"]["ok"] = False
    else:
        row["baseline"]["ok"] = True
    if database == "postgresql":
        pg_database(venv, pg_server, f"bench_{app.name}_{os.getpid()}", logs, drop=True)
    elif url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).unlink(missing_ok=True)

    localmig = [py, "-m", "localmig"]
    # scan
    scan = run("scan", [*localmig, "scan", str(project), "--json", *flags], logs=logs, timeout=timeout,
               cwd=project, env=env)
    row["scan"] = scan.brief()
    row["errors"]["scan"] = localmig_errors(scan)
    findings: list[dict] = []
    if scan.ok:
        try:
            document = json.loads(scan.stdout[scan.stdout.index("{"):])
            findings = document.get("findings", [])
            row["scan"]["revisions"] = len(document.get("revisions", []))
            row["scan"]["not_applied"] = sum(1 for r in document.get("revisions", []) if not r.get("applied"))
        except ValueError as error:
            row["notes"].append(f"scan printed no JSON document: {error}")
    row["findings"] = _by_kind(findings)
    row["finding_list"] = [{"kind": f.get("kind"), "revision": f.get("revision"), "message": f.get("message"),
                            "details": f.get("details", [])[:5]} for f in findings]
    finding_revisions = {f.get("revision") for f in findings if f.get("revision")}

    # generate
    suite = work / "suite"
    if suite.exists():
        shutil.rmtree(suite)
    chosen: list[str] = []
    if skip:  # --skip-rev: every other revision, named with --rev
        chosen = [arg for rev in ids if rev not in skip for arg in ("--rev", rev)]
        row["notes"].append(f"generate without {', '.join(sorted(skip))} (--skip-rev)")
        row["skipped_revisions"] = sorted(skip)
    generate = run("generate", [*localmig, "generate", str(project), "--no-model", "--out", str(suite), *chosen,
                                *flags],
                   logs=logs, timeout=timeout, cwd=project, env=env)
    row["generate"] = {**generate.brief(), **parse_generate(generate.stdout)}
    row["generate"]["left_out_tests"] = [line.strip()[:400] for line in generate.stderr.splitlines()
                                         if re.match(r"error: \S+: left out ", line.strip())]
    row["errors"]["generate"] = localmig_errors(generate)
    modules = sorted(suite.glob("test_*.py")) if suite.is_dir() else []
    row["generate"]["modules"] = len(modules)
    if not findings and row["generate"].get("findings"):
        finding_revisions |= set(row["generate"]["finding_revisions"])

    # the generated suite under plain pytest
    if modules:
        junit = logs / "pytest-junit.xml"
        junit.unlink(missing_ok=True)
        pytest = run("pytest", [py, "-m", "pytest", str(suite), "-q", "-p", "no:cacheprovider",
                                f"--junitxml={junit}", *suite_flags],
                     logs=logs, timeout=timeout, cwd=project, env={**env, **app.suite_env})
        row["pytest"] = {**pytest.brief(), **parse_junit(junit, suite, finding_revisions)}
        if pytest.rc not in (0, 1):
            row["errors"]["pytest"] = [pytest.tail(3)]
    else:
        row["pytest"] = None

    # check
    check = run("check", [*localmig, "check", str(project), "--out", str(suite), *flags], logs=logs,
                timeout=timeout, cwd=project, env=env)
    lines = [line.strip() for line in check.stdout.splitlines() if line.strip()]
    summary = [line for line in lines if line.startswith("check ")] or lines[-1:]
    counts = [line for line in lines if re.match(r"\d+ test files, ", line)]
    row["check"] = {**check.brief(), "summary": "; ".join(counts + summary)}
    row["errors"]["check"] = localmig_errors(check)
    row["errors"] = {k: v for k, v in row["errors"].items() if v}
    return row


def _by_kind(findings: list[dict]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for finding in findings:
        kinds[finding.get("kind", "?")] = kinds.get(finding.get("kind", "?"), 0) + 1
    return dict(sorted(kinds.items()))


def parse_generate(stdout: str) -> dict:
    """Totals of generate's table (by its header: deterministic / passed / expose a finding / left
    out / not run, whichever it has) and its notes."""
    totals = {"deterministic": 0, "passed": 0, "expose_finding": 0, "left_out": 0, "not_run": 0, "rows": 0}
    keys = {"deterministic": "deterministic", "passed": "passed", "expose a finding": "expose_finding",
            "left out": "left_out", "not run": "not_run"}
    notes, finding_revisions = [], set()
    findings = 0
    header: list[str] = []
    for line in stdout.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line)][1:-1]
        if cells and cells[0] == "revision":
            header = cells
            continue
        if header and len(cells) == len(header) and cells[0] and all(
                re.fullmatch(r"\d+|error|-", c or "-") for c in cells[1:]):
            totals["rows"] += 1
            for name, value in zip(header[1:], cells[1:]):
                if name in keys and value.isdigit():
                    totals[keys[name]] += int(value)
            continue
        stripped = line.strip()
        match = re.match(r"(\w+) (\S+): ", stripped)
        if re.match(r"\d+ finding\(s\):", stripped):
            findings = int(stripped.split()[0])
        elif match and match.group(1) in KINDS:
            finding_revisions.add(match.group(2))
        elif stripped.startswith(("warning:", "info:", "error:", "internal error:", "The model layer")):
            notes.append(stripped[:300])
    return {**totals, "findings": findings, "finding_revisions": sorted(finding_revisions), "notes": notes}


KINDS = {"upgrade_failed", "not_applied", "downgrade_failed", "downgrade_incomplete", "downgrade_not_implemented",
         "round_trip_failed", "multiple_heads", "upgrade_fails_with_rows", "downgrade_fails_with_rows",
         "downgrade_loses_rows"}


def module_revision(path: Path) -> str | None:
    try:
        head = path.read_text(errors="replace")[:20000]
    except OSError:
        return None
    match = re.search(r'^REVISION = [\'"]([^\'"]+)[\'"]', head, re.M) or re.search(r'"revision": "([^"]+)"', head)
    return match.group(1) if match else None


def parse_junit(junit: Path, suite: Path, finding_revisions: set[str]) -> dict:
    """passed / failed / errors / skipped / not collected, from pytest's junit XML."""
    result = {"tests": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0, "not_collected": 0,
              "failed_with_finding": 0, "failed_without_finding": 0, "collection_errors": [], "failures": []}
    if not junit.is_file():
        result["junit"] = "missing"
        return result
    try:
        root = ET.parse(junit).getroot()
    except ET.ParseError as error:
        result["junit"] = f"unreadable: {error}"
        return result
    revisions = {p.stem: module_revision(p) for p in suite.glob("test_*.py")}
    for case in root.iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        module = classname.split(".")[-1] if classname else ""
        failure, error, skipped = case.find("failure"), case.find("error"), case.find("skipped")
        if error is not None and (not classname or "collection failure" in (error.get("message") or "")):
            lines = [x for x in (error.text or "").splitlines() if x.startswith("E ")]
            first = lines[0][2:].strip() if lines else (error.get("message") or "").strip()
            result["not_collected"] += 1
            result["collection_errors"].append({"module": name or classname, "error": first[:400]})
            continue
        result["tests"] += 1
        if skipped is not None:
            result["skipped"] += 1
        elif failure is not None or error is not None:
            kind = "failed" if failure is not None else "errors"
            result[kind] += 1
            revision = revisions.get(module)
            tied = revision in finding_revisions
            result["failed_with_finding" if tied else "failed_without_finding"] += 1
            element = failure if failure is not None else error
            lines = [x for x in (element.text or "").splitlines() if x.startswith("E ")]
            message = lines[0][2:].strip() if lines else (element.get("message") or "").splitlines()[0:1]
            result["failures"].append({"test": f"{module}::{name}", "revision": revision, "tied_to_finding": tied,
                                       "kind": kind, "message": str(message)[:400]})
        else:
            result["passed"] += 1
    return result


# --------------------------------------------------------------------------- the table


def fmt_seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return "-"
    return f"{value / base:.2f}"


def baseline_cell(baseline: dict) -> str:
    """'12.3' when upgrade and downgrade ran; 'up 8.4, down fail' / 'up fail' otherwise."""
    if baseline.get("ok"):
        return fmt_seconds(baseline.get("seconds"))
    up = baseline.get("upgrade")
    if up and up.get("rc") == 0:
        return f"up {fmt_seconds(up.get('seconds'))}, down fail"
    return "up fail"


def table(rows: list[dict]) -> str:
    header = ["app", "version", "db", "revs", "heads", "baseline s", "scan s", "scan/base", "findings by kind",
              "gen s", "tests", "passed", "failed (w/o finding)", "not coll.", "suite s", "suite/base",
              "rc scan/gen/pytest/check"]
    lines = []
    for r in rows:
        if "error" in r and "scan" not in r:
            lines.append([r["app"], r.get("version", ""), r.get("database", ""), "-", "-", "-", "-", "-",
                          "bench: " + r["error"][:60], "-", "-", "-", "-", "-", "-", "-", "-"])
            continue
        base = r.get("baseline", {}).get("seconds") if r.get("baseline", {}).get("ok") else None
        pytest = r.get("pytest") or {}
        abbreviations = {"downgrade_not_implemented": "dni", "downgrade_incomplete": "dinc", "downgrade_failed": "dfail",
                         "upgrade_failed": "ufail", "not_applied": "notapp", "round_trip_failed": "rtrip",
                         "multiple_heads": "heads", "upgrade_fails_with_rows": "ufrows",
                         "downgrade_fails_with_rows": "dfrows", "downgrade_loses_rows": "dloses"}
        kinds = " ".join(f"{abbreviations.get(k, k)}={v}" for k, v in r.get("findings", {}).items()) or "none"
        if r["scan"]["rc"] != 0:
            kinds = "scan T/O" if r["scan"]["timed_out"] else f"scan exit {r['scan']['rc']}"
        rcs = "/".join(str(x) if x is not None else "T/O" if t else "-" for x, t in (
            (r["scan"]["rc"], r["scan"]["timed_out"]), (r["generate"]["rc"], r["generate"]["timed_out"]),
            (pytest.get("rc"), pytest.get("timed_out")), (r["check"]["rc"], r["check"]["timed_out"])))
        failed = pytest.get("failed", 0) + pytest.get("errors", 0)
        lines.append([
            r["app"], r["version"], "pg" if r["database"] == "postgresql" else "sqlite", str(r.get("revisions", "?")),
            str(len(r.get("heads", []))), baseline_cell(r.get("baseline", {})),
            fmt_seconds(r["scan"]["seconds"]), ratio(r["scan"]["seconds"], base), kinds,
            fmt_seconds(r["generate"]["seconds"]), str(pytest.get("tests", "-")), str(pytest.get("passed", "-")),
            f"{failed} ({pytest.get('failed_without_finding', 0)})" if pytest else "-",
            str(pytest.get("not_collected", "-")), fmt_seconds(pytest.get("seconds")), ratio(pytest.get("seconds"), base),
            rcs,
        ])
    widths = [max(len(h), *(len(row[i]) for row in lines)) if lines else len(h) for i, h in enumerate(header)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in lines]
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", help="comma-separated app names (default: all): " + ",".join(a.name for a in APPS))
    parser.add_argument("--localmig", type=Path, default=DEFAULT_CHECKOUT, help="the localmig checkout to install (-e)")
    parser.add_argument("--pg", action="store_true", help="also run on PostgreSQL (LOCALMIG_TEST_PG_URL)")
    parser.add_argument("--db-url", help="PostgreSQL server URL for the PostgreSQL runs (implies --pg)")
    parser.add_argument("--sqlite-only", action="store_true", help="no PostgreSQL runs")
    parser.add_argument("--pg-only", action="store_true", help="no SQLite runs")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--logs", type=Path, help="per-app log folders (default: a temp folder, printed at the end)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects and generated suites")
    parser.add_argument("--skip-rev", action="append", default=[], metavar="APP:REV",
                        help="generate for every revision of APP but REV (repeatable), e.g. to get past a "
                             "revision that makes `localmig generate` crash")
    parser.add_argument("--jobs", type=int, default=1,
                        help="apps run at once (default 1; more disturbs the timings, which the table says)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per step (default %(default)s)")
    args = parser.parse_args(argv)

    chosen = APPS
    if args.apps:
        names = [n.strip() for n in args.apps.split(",") if n.strip()]
        unknown = [n for n in names if n not in {a.name for a in APPS}]
        if unknown:
            parser.error(f"unknown app(s): {', '.join(unknown)}; known: {', '.join(a.name for a in APPS)}")
        chosen = [a for a in APPS if a.name in names]
    checkout = args.localmig.resolve()
    if not (checkout / "pyproject.toml").is_file():
        parser.error(f"{checkout}: not a localmig checkout (no pyproject.toml)")
    pg_server = args.db_url or os.environ.get("LOCALMIG_TEST_PG_URL")
    want_pg = not args.sqlite_only and (args.pg or args.db_url or (pg_server and not args.pg))
    if want_pg and not pg_server:
        parser.error("--pg needs --db-url URL or LOCALMIG_TEST_PG_URL")
    databases = ([] if args.pg_only else ["sqlite"]) + (["postgresql"] if want_pg else [])
    work_root = Path(tempfile.mkdtemp(prefix="localmig-real-"))
    logs_root = args.logs.resolve() if args.logs else work_root / "logs"
    commit = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    log(f"localmig checkout {checkout} at {commit}; databases: {', '.join(databases)}; logs in {logs_root}")
    results: dict = {"localmig": str(checkout), "commit": commit, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                     "python": sys.version.split()[0], "timeout": args.timeout, "apps": {}, "rows": []}
    def one_app(app: App) -> None:
        app_logs = logs_root / app.name
        entry: dict = {"spec": app.spec, "entry": dataclasses.asdict(app)}
        results["apps"][app.name] = entry
        try:
            venv, info = ensure_venv(app, checkout, app_logs / "install", args.timeout)
        except BenchError as error:
            log(f"{app.name}: {error}")
            entry["error"] = str(error)
            results["rows"].append({"app": app.name, "version": app.version, "database": "-", "error": str(error)})
            return
        entry["install"] = info
        help_step = run("generate-help", [venv_python(venv), "-m", "localmig", "generate", "--help"],
                        logs=app_logs / "install", timeout=300)
        has_initial_schema = "--initial-schema" in help_step.stdout
        for database in databases:
            if (database == "sqlite" and not app.sqlite) or (database == "postgresql" and not app.postgres):
                continue
            log(f"{app.name} on {database}")
            started = time.perf_counter()
            try:
                row = run_app(app, database, venv=venv, site=Path(info["site"]), checkout=checkout,
                              work=work_root / app.name / database, logs=app_logs / database,
                              timeout=args.timeout, pg_server=pg_server, has_initial_schema=has_initial_schema,
                              skip={r.partition(":")[2] for r in args.skip_rev if r.partition(":")[0] == app.name})
            except BenchError as error:
                row = {"app": app.name, "version": app.version, "database": database, "error": str(error)}
            except Exception as error:  # a bug of the bench: keep going with the other apps
                row = {"app": app.name, "version": app.version, "database": database,
                       "error": f"bench bug: {type(error).__name__}: {error}"}
            row["total_seconds"] = round(time.perf_counter() - started, 1)
            row["jobs"] = args.jobs
            results["rows"].append(row)
            log(f"{app.name} on {database}: done in {row['total_seconds']} s")
            if args.json:
                args.json.write_text(json.dumps(results, indent=2))

    if args.jobs > 1:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            list(pool.map(one_app, chosen))
        order = {a.name: i for i, a in enumerate(chosen)}
        results["rows"].sort(key=lambda r: (order.get(r["app"], 99), r.get("database", "") != "sqlite"))
    else:
        for app in chosen:
            one_app(app)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"localmig {commit} ({checkout}); {args.jobs} app(s) at once; timeout {args.timeout:.0f} s per step")
    print(table(results["rows"]))
    print()
    for row in results["rows"]:
        label = f"{row['app']} ({row.get('database')})"
        for message in row.get("notes", []):
            print(f"{label}: note: {message}")
        for step, errors in row.get("errors", {}).items():
            for message in errors:
                print(f"{label}: {step}: {message}")
        for error in (row.get("pytest") or {}).get("collection_errors", [])[:10]:
            print(f"{label}: not collected: {error['module']}: {error['error']}")
        if row.get("error"):
            print(f"{label}: bench error: {row['error']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
        print(f"\nresults: {args.json}")
    print(f"logs: {logs_root}")
    if not args.keep:
        for child in work_root.iterdir():
            if child != logs_root and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
    else:
        print(f"projects and suites kept in {work_root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
