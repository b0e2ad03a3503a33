"""The PostgreSQL role scratch databases are used through: as narrow as the server allows.

Where the server URL's user may create roles (superuser, or CREATEROLE), each scratch server
session creates one role, ``localmig_scratch_<random>``: LOGIN with a random password, and
NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS, a member of no role. It owns the
scratch databases (so, from PostgreSQL 15, their ``public`` schema too): migrations create,
alter and drop what they like there, and nothing else on the server belongs to it.

What PostgreSQL does not offer: a per-role deny of the CONNECT privilege that PUBLIC holds by
default on every database. Without changing the user's other databases (never done) the role can
still open a session on any database whose CONNECT is granted to PUBLIC. There it owns nothing:
it reads the catalogs and whatever is granted to PUBLIC, like any login role, and on servers
before PostgreSQL 15 (where PUBLIC may CREATE in the ``public`` schema) it could create objects
there. In-process, the connect guard refuses such connections before they are made.

A role is marked (``COMMENT ON ROLE``) and, for as long as its session runs, an advisory lock
keyed by its oid is held on the admin connection. A killed run's role has no lock holder: the
next run drops it and its databases (:func:`drop_stale_roles`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

ROLE_PREFIX = "localmig_scratch_"
ROLE_SWITCH = "LOCALMIG_SCRATCH_ROLE"  # "off": use the server URL's user (a migration that needs a superuser)
ROLE_MARKER = "localmig scratch role"  # the start of every such role's comment
ROLE_LOCK_CLASS = 0x4C4D  # high 32 bits of the advisory lock key (pg_locks.classid); the low ones are the role's oid
# INHERIT (the default) stays: from PostgreSQL 15 it owns a database's public schema through pg_database_owner
ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


class ScratchRoleNote(UserWarning):
    """Scratch databases are used with the server URL's own user (the server does not allow a role of their own)."""


@dataclass(frozen=True)
class ScratchRole:
    name: str
    password: str
    oid: int


def quote_identifier(connection: sa.Connection, identifier: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(identifier)


def may_create_roles(connection: sa.Connection) -> tuple[bool, bool]:
    """(may create roles, is superuser) for the connection's user."""
    row = connection.exec_driver_sql(
        "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user").one()
    return bool(row[0] or row[1]), bool(row[0])


def _password_clause(connection: sa.Connection, name: str, password: str) -> str:
    """The PASSWORD clause: hashed on this side where the driver can (libpq's PQencryptPasswordConn,
    so the clear password is in no statement the server may log), else the clear text."""
    try:
        pgconn = connection.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
        hashed = pgconn.encrypt_password(password.encode(), name.encode()).decode()
    except Exception:  # noqa: BLE001 - another driver: the server hashes it (password_encryption)
        hashed = password
    return "PASSWORD '" + hashed.replace("'", "''") + "'"


def create_role(holder: sa.Connection, suffix: str, *, superuser: bool) -> ScratchRole:
    """Create the scratch role on ``holder`` (a connection kept open for the session: it holds the
    role's advisory lock) and let the admin user act as it (own, copy and drop its databases)."""
    name = ROLE_PREFIX + suffix
    password = secrets.token_urlsafe(24)
    role = quote_identifier(holder, name)
    with holder.begin():  # visible to other runs only with its lock held
        holder.exec_driver_sql(f"CREATE ROLE {role} {ROLE_ATTRIBUTES} {_password_clause(holder, name, password)}")
        found = holder.execute(sa.text("SELECT oid FROM pg_roles WHERE rolname = :name"), {"name": name})
        oid = int(found.scalar_one())
        holder.exec_driver_sql(f"COMMENT ON ROLE {role} IS '{ROLE_MARKER} (dropped with its "
                               "databases when the run that made it ends; a killed run''s by the next run)'")
        holder.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": (ROLE_LOCK_CLASS << 32) | oid})
        if not superuser:  # CREATE DATABASE ... OWNER, copying and dropping its databases need its privileges
            version = int(holder.exec_driver_sql("SHOW server_version_num").scalar_one())
            grant = f"GRANT {role} TO CURRENT_USER"
            holder.exec_driver_sql(grant + (" WITH INHERIT TRUE, SET TRUE" if version >= 160000 else ""))
    return ScratchRole(name, password, oid)


def drop_role(connection: sa.Connection, name: str) -> str | None:
    """Drop the role (after its databases); why not, when it cannot be (it owns objects elsewhere)."""
    role = quote_identifier(connection, name)
    try:
        connection.exec_driver_sql(f"DROP OWNED BY {role}")
        connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
    except sa.exc.DBAPIError as error:
        where = connection.execute(sa.text(
            "SELECT string_agg(DISTINCT d.datname, ', ') FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid "
            "WHERE s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = :name)"), {"name": name}).scalar()
        return (f"the scratch role {name} was left on the server: "
                f"{'it holds objects or privileges in ' + where if where else str(error.orig).strip()}")
    return None


OWNED_OBJECTS = sa.text(  # what a role owns in the current database, as the statements that give it away
    "WITH k AS (SELECT CAST(:old AS oid) AS old, CAST(:new AS text) AS new) "
    "SELECT format('ALTER SCHEMA %I OWNER TO %I', nspname, k.new) FROM pg_namespace, k WHERE nspowner = k.old "
    "UNION ALL SELECT format('ALTER TABLE %s OWNER TO %I', c.oid::regclass, k.new) FROM pg_class c, k "
    " WHERE c.relowner = k.old AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
    "UNION ALL SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, k.new) FROM k, pg_type t "
    " LEFT JOIN pg_class r ON r.oid = t.typrelid WHERE t.typowner = k.old AND t.typcategory <> 'A' "
    " AND (t.typrelid = 0 OR r.relkind = 'c') "
    "UNION ALL SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, k.new) FROM pg_proc p, k "
    " WHERE p.proowner = k.old"
)


def give_objects(connection: sa.Connection, old: str, new: str) -> None:
    """Make ``new`` the owner of what ``old`` owns in the connection's database (a copy of another
    session's scratch database). Not ``REASSIGN OWNED``: that gives away ``old``'s databases too.
    Objects that follow another (a column's sequence, a table's row type) change with it."""
    oid = connection.execute(sa.text("SELECT oid FROM pg_roles WHERE rolname = :name"), {"name": old}).scalar()
    if oid is None:
        return
    done: set[str] = set()
    while True:
        pending = [s for s in connection.execute(OWNED_OBJECTS, {"old": oid, "new": new}).scalars() if s not in done]
        if not pending:
            return
        for statement in pending:
            done.add(statement)
            try:
                with connection.begin_nested():
                    connection.exec_driver_sql(statement.replace("%", "%%"))
            except sa.exc.DBAPIError:
                pass  # follows another object (changed with it), or cannot change: left as it is


STALE_ROLES = sa.text(
    "SELECT r.oid, r.rolname FROM pg_roles r WHERE r.rolname LIKE :prefix "
    "AND shobj_description(r.oid, 'pg_authid') LIKE :marker AND NOT EXISTS ("
    " SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.classid = :lock_class"
    " AND l.objid = r.oid AND l.objsubid = 1)"
)


def drop_stale_roles(connection: sa.Connection) -> list[str]:
    """Drop the scratch roles (and their databases) of runs that ended without closing (killed);
    a role some running session holds the lock of is left alone, as is one this user may not drop."""
    dropped = []
    stale = connection.execute(STALE_ROLES, {"prefix": ROLE_PREFIX.replace("_", "\\_") + "%",
                                             "marker": ROLE_MARKER + "%", "lock_class": ROLE_LOCK_CLASS}).all()
    for oid, name in stale:
        databases = connection.execute(sa.text("SELECT datname FROM pg_database WHERE datdba = :oid"),
                                       {"oid": oid}).scalars().all()
        try:
            for database in databases:
                quoted = quote_identifier(connection, database)
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        except sa.exc.DBAPIError:
            continue  # not ours to drop (another user's run): left alone
        if drop_role(connection, name) is None:
            dropped.append(name)
    return dropped
