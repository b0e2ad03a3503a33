"""The runtime policy of the verification subprocess when it runs model-written tests.

:func:`install` adds an audit hook (``sys.addaudithook``; it cannot be removed, which is fine in a
subprocess) before pytest imports any test module. Refused, recorded and raised as
:class:`PolicyViolation` (``localmig policy: ...``), which the test sees as a failure:

- opening a file for writing, creating, removing, renaming or changing one outside the stage
  folder and the scratch folders (``migrations-*`` in ``$LOCALMIG_SCRATCH_DIR``, /dev/shm or ``<tmp>``);
- opening a SQLite database outside those folders (``sqlite3.connect``), loading SQLite extensions;
- any socket connection but to the scratch PostgreSQL server (host and port of the scratch URL),
  name lookups of other hosts (a DNS query carries data off the machine too), UDP ``sendto``;
- starting programs (``subprocess.Popen``, ``os.system``, ``os.exec*``, ``os.posix_spawn``,
  ``os.spawn*``, ``os.fork``) and ``ctypes`` (``dlopen``, ``dlsym``, calling C functions).

Every refusal is also appended to the record file, one JSON line with the test running then
(``PYTEST_CURRENT_TEST``), so a test that swallows the exception is still known. Not covered:
code in C extensions that call the OS directly (libpq's own sockets, SQLite's journal files), and
a test determined to find the hook's own state through the interpreter's internals (the
allowlist of :mod:`localmig.engines.allowlist` refuses reflection before anything runs).

This module imports only the standard library: the subprocess loads it before anything else.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
import tempfile
import threading
from typing import Any

from pytest_localmig.scratch import scratch_base

ENVIRONMENT = "LOCALMIG_POLICY"  # JSON: {"stage": folder, "record": file, "db_host": str|null, "db_port": int|null}
MARK = "localmig policy:"
PROGRAMS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
            "pty.spawn", "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.call_function",
            "sqlite3.enable_load_extension", "sqlite3.load_extension", "socket.sendto", "socket.sendmsg"}
# the paths an event changes: (index of the path in the audit event's arguments, index of the dir_fd a
# relative path is relative to, or None); shutil.rmtree removes a folder's entries by name relative to
# the folder's descriptor
PATH_EVENTS: dict[str, list[tuple[int, int | None]]] = {
    "os.remove": [(0, 1)], "os.rmdir": [(0, 1)], "shutil.rmtree": [(0, None)], "os.mkdir": [(0, 2)],
    "os.truncate": [(0, None)], "os.chmod": [(0, 2)], "os.chown": [(0, 3)], "os.utime": [(0, 3)],
    "os.link": [(1, 3)], "os.symlink": [(1, 2)], "os.rename": [(0, 2), (1, 3)], "shutil.copyfile": [(1, None)],
    "shutil.copytree": [(1, None)], "shutil.move": [(0, None), (1, None)]}
DEVICES = {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"}  # writing there reaches no file
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class PolicyViolation(PermissionError):
    """Something a model-written test may not do; the message starts with ``localmig policy:``."""


class Policy:
    """The rules for one verification run (see the module's docstring)."""

    def __init__(self, stage: str, record: str, db_host: str | None = None, db_port: int | None = None) -> None:
        self.roots = [os.path.realpath(stage)]
        bases = ("/dev/shm", tempfile.gettempdir(), scratch_base())
        self.scratch_bases = {os.path.realpath(base) for base in bases if os.path.isdir(base)}
        self.record = record
        self.db_port = db_port
        self.db_addresses = _addresses(db_host) if db_host else set()
        self.db_names = {db_host.lower()} if db_host else set()
        self._busy = threading.local()

    # ---- where a file may be written

    def writable(self, path: Any, dir_fd: Any = None) -> bool:
        if isinstance(path, int):
            return True  # an open file descriptor: its opening was checked
        try:
            name = os.fsdecode(path)
            if isinstance(dir_fd, int) and not os.path.isabs(name):
                name = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), name)
            real = os.path.realpath(name)
        except (TypeError, ValueError, OSError):  # OSError: no /proc to say where dir_fd is
            return False
        if real in DEVICES:
            return True
        if any(real == root or real.startswith(root + os.sep) for root in self.roots):
            return True
        parent, _, rest = real.partition(os.sep + "migrations-")
        return bool(rest) and parent in self.scratch_bases  # a scratch folder (pytest_localmig.scratch_folder)

    # ---- the hook

    def __call__(self, event: str, args: tuple) -> None:
        if getattr(self._busy, "on", False):
            return  # the hook's own record
        reason = self.refusal(event, args)
        if reason is not None:
            self._record(event, reason)
            raise PolicyViolation(f"{MARK} {reason}")

    def refusal(self, event: str, args: tuple) -> str | None:
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and bool(flags & WRITE_FLAGS))
            if writes and not self.writable(path):
                return f"refused opening {os.fsdecode(path)} for writing (outside the scratch and stage folders)"
            return None
        if event in PATH_EVENTS:
            for path_at, dir_fd_at in PATH_EVENTS[event]:
                target = _argument(args, path_at)
                if target is not None and not self.writable(target, _argument(args, dir_fd_at)):
                    return f"refused {event} of {os.fsdecode(target)} (outside the scratch and stage folders)"
            return None
        if event == "sqlite3.connect":
            database = args[0] if args else ""
            name = os.fsdecode(database) if isinstance(database, (str, bytes, os.PathLike)) else ""
            if name in ("", ":memory:") or name.startswith("file::memory:") or "mode=memory" in name:
                return None
            path = name[len("file:"):].split("?", 1)[0] if name.startswith("file:") else name
            return None if self.writable(path) else f"refused opening the SQLite database {path} (not a scratch one)"
        if event == "localmig.sqlite.attach":  # pytest_localmig.urls.ATTACH_EVENT
            return f"refused ATTACH of {args[0] if args else 'a database'} to a scratch SQLite database"
        if event == "socket.connect":
            return self._connect(args[0], args[1])
        if event == "socket.getaddrinfo":
            host = args[0]
            host = host.decode() if isinstance(host, bytes) else host
            if host is None or self._local(str(host)):
                return None
            return f"refused looking up the host {host} (only the scratch database server may be reached)"
        if event in PROGRAMS or event.startswith(("os.exec", "os.spawn", "os.posix_spawn")):
            shown = args[0] if args and isinstance(args[0], (str, bytes, list, tuple)) else ""
            return f"refused {event}" + (f" ({shown!r})" if shown else "") + " (no programs, no C calls)"
        return None

    def _connect(self, sock: Any, address: Any) -> str | None:
        family = getattr(sock, "family", None)
        if family == socket.AF_UNIX:
            return f"refused connecting to the unix socket {address!r} (only the scratch database server)"
        if not isinstance(address, tuple) or len(address) < 2:
            return f"refused connecting to {address!r}"
        host, port = str(address[0]), address[1]
        if self.db_port is not None and port == self.db_port and (host in self.db_addresses or (_loopback(host)
                                                                  and self.db_addresses & {"loopback"})):
            return None
        return f"refused connecting to {host}:{port} (only the scratch database server may be reached)"

    def _local(self, host: str) -> bool:
        return host.lower() in self.db_names or _loopback(host) or host.lower() == "localhost"

    def _record(self, event: str, reason: str) -> None:
        self._busy.on = True
        try:
            line = json.dumps({"test": os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0],
                               "event": event, "reason": f"{MARK} {reason}"})
            with open(self.record, "a", encoding="utf-8") as record:
                record.write(line + "\n")
        except OSError:
            pass
        finally:
            self._busy.on = False


def _argument(args: tuple, index: int | None) -> Any:
    return args[index] if index is not None and len(args) > index else None


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


def _addresses(host: str) -> set[str]:
    """The scratch server's addresses: "loopback" stands for every loopback address."""
    if host.lower() == "localhost" or _loopback(host):
        return {"loopback", host}
    return {host}


def install(settings: dict[str, Any] | None = None) -> Policy | None:
    """Add the policy's audit hook (settings from the ``LOCALMIG_POLICY`` environment variable when
    not given); None when there are none (no model code to contain)."""
    if settings is None:
        text = os.environ.get(ENVIRONMENT)
        if not text:
            return None
        settings = json.loads(text)
    policy = Policy(settings["stage"], settings["record"], settings.get("db_host"), settings.get("db_port"))
    sys.addaudithook(policy)
    return policy


def recorded(record: str) -> list[dict[str, str]]:
    """The refusals a run recorded (test node id, event, reason), oldest first."""
    try:
        with open(record, encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError):
        return []
