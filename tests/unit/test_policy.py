"""The runtime policy's rules, event by event (the hook itself runs in tests/faults/test_model_code_faults.py)."""

from __future__ import annotations

import os
import socket

import pytest

from localmig.policy import Policy


@pytest.fixture
def policy(tmp_path) -> Policy:
    stage = tmp_path / "stage"
    stage.mkdir()
    return Policy(str(stage), str(stage / "policy.jsonl"), db_host="127.0.0.1", db_port=55432)


def test_writes_inside_the_stage_and_scratch_folders_are_allowed(policy, tmp_path):
    stage = tmp_path / "stage"
    assert policy.refusal("open", (str(stage / "x.txt"), "w", 0)) is None
    assert policy.refusal("open", ("/dev/shm/migrations-abc/db0.db", None, os.O_RDWR | os.O_CREAT)) is None
    assert policy.refusal("open", ("/dev/null", "w", 0)) is None
    assert policy.refusal("open", ("/etc/passwd", "r", 0)) is None  # reading is not refused


@pytest.mark.parametrize(("event", "args", "phrase"), [
    ("open", ("/tmp/x.txt", "a", 0), "refused opening /tmp/x.txt for writing"),
    ("open", ("/tmp/x.txt", None, os.O_WRONLY | os.O_CREAT), "refused opening /tmp/x.txt for writing"),
    ("os.rename", ("/dev/shm/migrations-a/x", "/tmp/y"), "refused os.rename of /tmp/y"),
    ("shutil.move", ("/home/user/data.db", "/dev/shm/migrations-a/x"), "refused shutil.move of /home/user/data.db"),
    ("os.remove", ("/home/user/data.db", None), "refused os.remove of /home/user/data.db"),
    ("shutil.rmtree", ("/home/user", None), "refused shutil.rmtree of /home/user"),
    ("os.mkdir", ("/dev/shm/other", 0o777, None), "refused os.mkdir of /dev/shm/other"),
    ("sqlite3.connect", ("/home/user/app.db",), "refused opening the SQLite database /home/user/app.db"),
    ("sqlite3.connect", ("file:/home/user/app.db?mode=ro",), "refused opening the SQLite database /home/user/app.db"),
    ("socket.getaddrinfo", ("example.com", 80, 0, 0, 0), "refused looking up the host example.com"),
    ("subprocess.Popen", ("sh", ["sh", "-c", "id"], None, None), "refused subprocess.Popen"),
    ("os.system", (b"id",), "refused os.system"),
    ("os.exec", ("/bin/sh", ["sh"], None), "refused os.exec"),
    ("os.posix_spawn", ("/bin/sh", ["sh"], None), "refused os.posix_spawn"),
    ("ctypes.dlopen", ("libc.so.6",), "refused ctypes.dlopen"),
    ("localmig.sqlite.attach", ("/home/user/app.db",), "refused ATTACH of /home/user/app.db"),
])
def test_escapes_are_refused_with_what_was_tried(policy, event, args, phrase):
    reason = policy.refusal(event, args)
    assert reason is not None and phrase in reason, reason


def test_only_the_scratch_server_may_be_reached(policy):
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        assert policy.refusal("socket.connect", (tcp, ("127.0.0.1", 55432))) is None
        assert "refused connecting to 127.0.0.1:5432" in policy.refusal("socket.connect", (tcp, ("127.0.0.1", 5432)))
        assert "refused connecting to 10.0.0.1:55432" in policy.refusal("socket.connect", (tcp, ("10.0.0.1", 55432)))
        assert "unix socket" in policy.refusal("socket.connect", (unix, "/run/postgresql/.s.PGSQL.5432"))
    finally:
        tcp.close()
        unix.close()
    assert policy.refusal("socket.getaddrinfo", ("localhost", 55432, 0, 0, 0)) is None
    assert policy.refusal("socket.getaddrinfo", ("127.0.0.1", 55432, 0, 0, 0)) is None


def test_without_a_server_no_socket_is_allowed(tmp_path):
    policy = Policy(str(tmp_path), str(tmp_path / "r.jsonl"))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        assert policy.refusal("socket.connect", (tcp, ("127.0.0.1", 5432))) is not None
    finally:
        tcp.close()


def test_a_name_relative_to_a_folder_descriptor_is_judged_where_the_folder_is(policy, tmp_path):
    """shutil.rmtree removes a folder's entries by name relative to the folder's descriptor: removing
    a scratch folder is allowed, the same names under another folder are not."""
    scratch, outside = tmp_path / "base" / "migrations-1-2-x", tmp_path / "home"
    scratch.mkdir(parents=True)
    outside.mkdir()
    policy.scratch_bases.add(str((tmp_path / "base").resolve()))
    inside_fd, outside_fd = os.open(scratch, os.O_RDONLY), os.open(outside, os.O_RDONLY)
    try:
        assert policy.refusal("os.remove", ("db0.db", inside_fd)) is None
        assert policy.refusal("os.rmdir", ("sub", inside_fd)) is None
        assert "refused os.remove of db0.db" in policy.refusal("os.remove", ("db0.db", outside_fd))
        assert "refused os.rename of y" in policy.refusal("os.rename", ("x", "y", inside_fd, outside_fd))
        assert policy.refusal("os.rename", ("x", "y", outside_fd, inside_fd)) is not None  # moving a file out of home
    finally:
        os.close(inside_fd)
        os.close(outside_fd)
