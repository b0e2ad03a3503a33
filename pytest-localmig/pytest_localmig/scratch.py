"""Scratch databases: created, copied and dropped, as SQLite files in a folder or on a PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from .errors import SCRATCH_DIR_ENV, HarnessError, scratch_space
from .roles import (
    ROLE_PREFIX,
    ROLE_SWITCH,
    ScratchRole,
    ScratchRoleNote,
    create_role,
    drop_role,
    drop_stale_roles,
    give_objects,
    may_create_roles,
)
from .urls import scratch_place


class ScratchServer:
    """Creates, copies and drops throwaway databases; :meth:`close` drops all it made."""

    def __init__(self) -> None:
        self.prefix = "mig_" + uuid.uuid4().hex[:10]
        self.created: list[str] = []

    @staticmethod
    def for_url(server_url: str | None, folder: str) -> ScratchServer:
        """SQLite files in ``folder`` when no URL (or a SQLite one) is given, else a server."""
        backend = make_url(server_url).get_backend_name() if server_url else "sqlite"
        if backend == "sqlite":
            return SQLiteScratch(folder)
        if backend == "postgresql":
            role = os.environ.get(ROLE_SWITCH, "").lower() not in ("0", "off", "no")
            return PostgresScratch(server_url or "", role=role)
        raise HarnessError(f"scratch databases on {backend} are not supported (use SQLite or PostgreSQL)")

    def url(self, name: str) -> sa.URL:
        raise NotImplementedError

    def create(self, name: str) -> sa.URL:
        raise NotImplementedError

    def copy(self, source: str, name: str) -> sa.URL:
        raise NotImplementedError

    def adopt(self, name: str, source: sa.URL | str) -> sa.URL:
        """A copy of a database this server did not make (another history's, e.g. the seed
        ``localmig mutate`` starts a mutant at) as one of its own, dropped with them."""
        raise NotImplementedError

    def drop(self, name: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        for name in reversed(list(self.created)):
            self.drop(name)


class SQLiteScratch(ScratchServer):
    """SQLite files in one folder; a copy is a file copy."""

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    def _path(self, name: str) -> str:
        return os.path.join(self.folder, f"{self.prefix}_{name}.db")

    def url(self, name: str) -> sa.URL:
        return sa.URL.create("sqlite", database=self._path(name))

    def create(self, name: str) -> sa.URL:
        with scratch_space(f"in {self.folder}"):
            open(self._path(name), "wb").close()
        self.created.append(name)
        return self.url(name)

    def copy(self, source: str, name: str) -> sa.URL:
        return self._copy_file(self._path(source), name)

    def adopt(self, name: str, source: sa.URL | str) -> sa.URL:
        return self._copy_file(make_url(source).database or "", name)

    def _copy_file(self, source: str, name: str) -> sa.URL:
        try:
            with scratch_space(f"in {self.folder}"):
                shutil.copyfile(source, self._path(name))
        except BaseException:
            self._remove(name)  # a part copied before the disk filled
            raise
        self.created.append(name)
        return self.url(name)

    def drop(self, name: str) -> None:
        self._remove(name)
        if name in self.created:
            self.created.remove(name)

    def _remove(self, name: str) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.remove(self._path(name) + suffix)
            except FileNotFoundError:
                pass


class PostgresScratch(ScratchServer):
    """Databases on a PostgreSQL server; a copy is ``CREATE DATABASE ... TEMPLATE``.

    The URLs it hands out (:meth:`url`, :meth:`create`, :meth:`copy`) are the scratch role's where
    the server allows one (see :mod:`pytest_localmig.roles`): it owns the databases, and nothing
    else. Creating, copying and dropping databases, and ending stray sessions, are done on the
    server URL's own (admin) connection. Without a role (the user may not create roles, or the
    server does not let the role log in) the URLs are the server URL's user's, with a note.
    """

    def __init__(self, server_url: str, *, role: bool = True) -> None:
        super().__init__()
        self.server_url = make_url(server_url)
        self.admin = sa.create_engine(self.server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self.role: ScratchRole | None = None
        self.notes: list[str] = []
        self._holder: sa.Connection | None = None  # holds the role's advisory lock while the session runs
        self._admin_connection: sa.Connection | None = None  # creates, copies and drops databases
        self._login_checked = False
        self._strategy: str | None = None
        if role:
            self._make_role()

    @property
    def copy_strategy(self) -> str:
        """How ``CREATE DATABASE ... TEMPLATE`` copies: ``FILE_COPY`` on a PostgreSQL 15+ server run
        with ``fsync = off`` (a throwaway one, as in CI), else the server's default (``""``).

        FILE_COPY copies the files and asks for a checkpoint before and after, which without fsync
        costs next to nothing; the default WAL_LOG copies block by block through the WAL and shared
        buffers. Measured on PostgreSQL 15 with a 200-revision schema (12 MB): copy 46 ms of server
        CPU against 65-103 ms, its drop 13 ms against 33-36 ms. With fsync on, the checkpoints
        would make every copy wait for the disk (and for the server's other databases' writes)."""
        if self._strategy is None:
            with self.admin.connect() as connection:
                version, fsync = connection.exec_driver_sql(
                    "SELECT current_setting('server_version_num')::int, current_setting('fsync')").one()
            self._strategy = "FILE_COPY" if version >= 150000 and fsync == "off" else ""
        return self._strategy

    def _template_clause(self, template: str) -> str:
        strategy = self.copy_strategy
        return f'TEMPLATE "{template}"' + (f" STRATEGY {strategy}" if strategy else "")

    def _make_role(self) -> None:
        with self.admin.connect() as connection:
            allowed, superuser = may_create_roles(connection)
            if not allowed:
                user = connection.exec_driver_sql("SELECT current_user").scalar_one()
                self._note(f"the PostgreSQL user {user} may not create roles (no CREATEROLE): scratch databases "
                           "are used as that user, whose own privileges reach the server's other databases "
                           "(with CREATEROLE, they are used through a role that owns nothing else)")
                return
            drop_stale_roles(connection)
        holder = self.admin.connect().execution_options(isolation_level="READ COMMITTED")
        try:
            self.role = create_role(holder, self.prefix.removeprefix("mig_"), superuser=superuser)
        except sa.exc.DBAPIError as error:  # rolled back: no role was made
            holder.close()
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            self._note(f"no scratch role could be created ({reason}): scratch databases are used as the server "
                       "URL's user")
            return
        except BaseException:
            holder.close()
            raise
        self._holder = holder

    def _note(self, text: str) -> None:
        self.notes.append(text)
        warnings.warn(ScratchRoleNote(text), stacklevel=3)

    def url(self, name: str) -> sa.URL:
        url = self.server_url.set(database=f"{self.prefix}_{name}")
        if self.role is not None:
            url = url.set(username=self.role.name, password=self.role.password)
        return url

    def _execute(self, statement: str) -> None:
        """Run one statement on the admin connection, opened once (a new session costs ~6 ms each time)."""
        connection = self._admin_connection
        if connection is None or connection.closed or connection.invalidated:
            connection = self._admin_connection = self.admin.connect()
        where, _ = scratch_place(self.server_url)
        with scratch_space(where, server=True):
            connection.exec_driver_sql(statement)

    def _execute_apart(self, statement: str) -> None:
        """Run one statement on a session of its own (the drops at close run several at once)."""
        with self.admin.connect() as connection:
            connection.exec_driver_sql(statement)

    def _owner(self) -> str:
        return f' OWNER "{self.role.name}"' if self.role is not None else ""

    def create(self, name: str) -> sa.URL:
        self._execute(f'CREATE DATABASE "{self.prefix}_{name}"{self._owner()}')
        self.created.append(name)
        self._check_login(name)
        return self.url(name)

    def _check_login(self, name: str) -> None:
        """The first database made: can the role log in (``pg_hba.conf`` may allow only ``peer`` or
        ``ident`` for it)? If not, go on as the admin user, with a note."""
        if self.role is None or self._login_checked:
            return
        self._login_checked = True
        engine = sa.create_engine(self.url(name), poolclass=NullPool)
        try:
            with engine.connect():
                return
        except sa.exc.DBAPIError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        finally:
            engine.dispose()
        role = self.role
        for database in self.created:
            self._execute(f'ALTER DATABASE "{self.prefix}_{database}" OWNER TO CURRENT_USER')
        self._drop_role()
        self._note(f"the scratch role {role.name} could not log in ({reason}): scratch databases are used as the "
                   "server URL's user")

    def copy(self, source: str, name: str) -> sa.URL:
        """A copy of ``source``. A template must have no session: an env.py that opened its own
        connection and never closed it (``connection = engine.connect()``, no ``with``) leaves one
        behind, so the sessions on localmig's own scratch database are ended first."""
        template = f"{self.prefix}_{source}"
        statement = f'CREATE DATABASE "{self.prefix}_{name}" {self._template_clause(template)}{self._owner()}'
        for attempt in range(20):
            try:
                self._execute(statement)
                break
            except sa.exc.OperationalError as error:
                if "being accessed by other users" not in str(error) or attempt == 19:
                    raise
                with self.admin.connect() as connection:
                    connection.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                               "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": template})
                time.sleep(0.05)  # the ended backend takes a moment to go
        self.created.append(name)
        return self.url(name)

    def adopt(self, name: str, source: sa.URL | str) -> sa.URL:
        """A copy of another database on this server; what another session's scratch role owns
        there is given to this one's (a migration alters those tables)."""
        source = make_url(source)
        database = f"{self.prefix}_{name}"
        self._execute(f'CREATE DATABASE "{database}" {self._template_clause(source.database or "")}{self._owner()}')
        self.created.append(name)
        owner = source.username or ""
        if self.role is not None and owner.startswith(ROLE_PREFIX) and owner != self.role.name:
            engine = sa.create_engine(self.server_url.set(database=database), poolclass=NullPool)
            try:
                with engine.begin() as connection:
                    give_objects(connection, owner, self.role.name)
            finally:
                engine.dispose()
        return self.url(name)

    def drop(self, name: str, execute: Callable[[str], None] | None = None) -> None:
        """Drop ``name`` (on the admin connection, or through ``execute``)."""
        (execute or self._execute)(f'DROP DATABASE IF EXISTS "{self.prefix}_{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def _drop_role(self) -> None:
        """Drop the role (its databases first) and end the session holding its lock."""
        if self.role is None or self._holder is None:
            return
        holder, self._holder, name, self.role = self._holder, None, self.role.name, None
        try:
            with self.admin.connect() as connection:
                problem = drop_role(connection, name)
            if problem:
                self._note(problem)
        finally:
            holder.close()

    def close(self) -> None:
        """Drop every database made, several at a time (on PostgreSQL <= 15 each ``DROP DATABASE``
        waits for a checkpoint, and checkpoints asked for at the same time are done once: one at a
        time, the 27 drops of a 200-revision capture took 63 s of its 156 s), then the role."""
        from concurrent.futures import ThreadPoolExecutor

        names = list(reversed(self.created))
        try:
            if self._admin_connection is not None:
                self._admin_connection.close()
                self._admin_connection = None
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda name: self.drop(name, self._execute_apart), names))
        finally:
            try:
                self._drop_role()
            finally:
                self.admin.dispose()


MEMORY = "/dev/shm"
MEMORY_NEEDED = 1 << 30  # bytes free in /dev/shm to use it: a container's is often 64 MiB


def scratch_base() -> str:
    """Where scratch folders are made: ``$LOCALMIG_SCRATCH_DIR`` if set; else /dev/shm (in memory) where the
    system has one with at least 1 GiB free; else the system's temporary folder. (A suite of 1,000 synthetic
    revisions peaks at about 400 MB there: templates every few revisions and a few more.)"""
    chosen = os.environ.get(SCRATCH_DIR_ENV)
    if chosen:
        return os.path.abspath(chosen)
    try:
        usable = os.path.isdir(MEMORY) and os.access(MEMORY, os.W_OK) and _free(MEMORY) >= MEMORY_NEEDED
    except OSError:
        usable = False
    return MEMORY if usable else tempfile.gettempdir()


def _free(folder: str) -> int:
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


def scratch_folder() -> str:
    """A new temporary folder in :func:`scratch_base`, named after this process (``migrations-<pid
    namespace>-<pid>-...``); the folders there of processes that are gone are removed first
    (:func:`sweep_orphans`)."""
    base = scratch_base()
    try:
        if not os.path.isdir(base):  # (not makedirs(exist_ok=True): a mkdir of /dev/shm is refused under the policy)
            os.makedirs(base)
        folder = tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{_pid_namespace()}-{os.getpid()}-", dir=base)
    except OSError as error:
        source = f" (${SCRATCH_DIR_ENV})" if os.environ.get(SCRATCH_DIR_ENV) else ""
        raise HarnessError(f"cannot make a scratch folder in {base}{source}: {error.strerror or error}; "
                           f"set {SCRATCH_DIR_ENV} to a writable folder") from None
    sweep_orphans(base)
    return folder


FOLDER_PREFIX = "migrations-"
ORPHAN_AGE = 60.0  # seconds a dead process's folder is left alone (its last files may still be closing)
_SQLITE_FILES = (".db", ".db-journal", ".db-wal", ".db-shm")


def sweep_orphans(base: str, min_age: float = ORPHAN_AGE) -> list[str]:
    """Remove the scratch folders in ``base`` whose process is gone: a run killed with SIGKILL (by the
    OOM killer, or a CI timeout) cannot remove its own, and in /dev/shm they hold memory until reboot.
    Only folders named by :func:`scratch_folder` in this pid namespace (a pid of another container
    means nothing here), of a pid no process has, unchanged for ``min_age`` seconds and holding
    nothing but SQLite files. Returns the folders removed."""
    namespace, removed = _pid_namespace(), list[str]()
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    for entry in entries:
        prefix, _, rest = entry.name.partition(FOLDER_PREFIX)
        owner, _, pid = rest.partition("-")
        pid = pid.partition("-")[0]
        if prefix or owner != namespace or not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or time.time() - entry.stat().st_mtime < min_age:
                continue
            if all(name.endswith(_SQLITE_FILES) for name in os.listdir(entry.path)):
                shutil.rmtree(entry.path)
                removed.append(entry.path)
        except OSError:  # another run removed it first, or it is not ours to remove
            continue
    return removed


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "0"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (PermissionError: another user's process)
        pass
    return True
