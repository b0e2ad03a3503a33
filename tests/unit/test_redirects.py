"""llm.py: redirects. The host policy is checked before every request the client sends, so a
redirect to a host it does not allow is refused before anything reaches that host.

Real parts only: the official client and httpx over real HTTP to ``ScriptedOllama`` servers on
loopback addresses.
"""

from __future__ import annotations

import socket

import pytest

from localmig.errors import ExitCode, HostRefused, RedirectRefused
from localmig.llm import HostPolicy, OllamaModel, is_loopback
from tests.ollama_servers import ScriptedOllama
from tests.unit.test_llm import MESSAGES, SCHEMA, model_on, server, settings_for

__all__ = ["server"]  # the fixture, shared

# ---------------------------------------------------------------------------------- redirects
#
# A redirect target that is on this machine and yet "remote" for the policy: the second server
# listens on 127.0.0.2, which the real policy counts as loopback; ``NotOnThisMachine`` is the real
# policy with that one address counted as another machine's. Redirects to a real non-loopback
# address are tested with connections to anything but loopback refused by the socket layer.


class NotOnThisMachine(HostPolicy):
    def is_local(self, name: str) -> bool:
        return name != "127.0.0.2" and super().is_local(name)


@pytest.fixture
def elsewhere():
    """A second Ollama-protocol server, on another loopback address, that records what reaches it."""
    with ScriptedOllama(address="127.0.0.2") as second:
        yield second


@pytest.fixture
def loopback_only(monkeypatch):
    """Connections to anything but loopback fail (and are recorded) before a packet is sent."""
    attempts: list[object] = []
    connect, create_connection = socket.socket.connect, socket.create_connection

    def guard(address):
        if not is_loopback(f"[{address[0]}]" if ":" in str(address[0]) else str(address[0])):
            attempts.append(address)
            raise AssertionError(f"a connection to {address!r} was attempted")

    def guarded_connect(self, address):
        guard(address)
        return connect(self, address)

    def guarded_create_connection(address, *args, **kwargs):
        guard(address)
        return create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    return attempts


def strict_model_on(server: ScriptedOllama) -> OllamaModel:
    settings = settings_for(server.host)
    return OllamaModel(settings.profile(), settings, policy=NotOnThisMachine())


def test_the_second_loopback_address_is_loopback_for_the_real_policy_and_remote_for_the_test_policy():
    assert HostPolicy().allows("127.0.0.2") and not NotOnThisMachine().allows("127.0.0.2")
    assert NotOnThisMachine().allows("127.0.0.1") and NotOnThisMachine(allow_remote=True, allowed={"127.0.0.2"}).allows("127.0.0.2")


@pytest.mark.parametrize("status", [307, 308, 302, 301])
def test_a_chat_redirected_to_a_host_not_allowed_is_refused_and_nothing_reaches_that_host(server, elsewhere, status):
    target = f"{elsewhere.host}/api/chat"
    server.redirects["/api/chat"] = (status, target)
    elsewhere.answer('{"tests": []}')

    with pytest.raises(RedirectRefused) as raised:
        strict_model_on(server).chat(MESSAGES, SCHEMA)

    assert str(raised.value) == (
        f"the server at {server.host} redirected to {target}; localmig does not follow redirects to hosts not allowed")
    assert raised.value.hint == (
        f"check the server or proxy at {server.host}; if 127.0.0.2 is meant to serve the model, make it the host in "
        "models.yaml or OLLAMA_HOST, and set `allow_remote: true` and list '127.0.0.2' under `allowed_hosts` in models.yaml")
    assert raised.value.exit_code == ExitCode.MODEL
    assert isinstance(raised.value, HostRefused)  # a session stops on it, as on a refused host
    assert len(server.chat_requests()) == 1
    assert elsewhere.requests == [] and elsewhere.connections == 0


def test_a_listing_redirected_to_a_host_not_allowed_is_refused(server, elsewhere):
    server.redirects["/api/tags"] = (302, f"{elsewhere.host}/api/tags")

    with pytest.raises(RedirectRefused, match=r"redirected to http://127\.0\.0\.2:\d+/api/tags;"):
        strict_model_on(server).ensure_ready()
    assert elsewhere.connections == 0


def test_a_redirect_to_another_machine_is_refused_before_any_connection(server, loopback_only):
    server.redirects["/api/chat"] = (307, "http://10.1.2.3:11434/api/chat")

    with pytest.raises(RedirectRefused, match=r"redirected to http://10\.1\.2\.3:11434/api/chat;"):
        model_on(server).chat(MESSAGES, SCHEMA)
    assert loopback_only == []  # refused by the policy, not by the guard
    assert len(server.chat_requests()) == 1


def test_a_redirect_chain_is_checked_at_every_hop(server, elsewhere, loopback_only):
    """Loopback to loopback is allowed; the hop after it, to another machine, is not."""
    server.redirects["/api/chat"] = (307, f"{elsewhere.host}/api/chat")
    elsewhere.redirects["/api/chat"] = (307, "http://[2001:db8::1]:11434/api/chat")

    with pytest.raises(RedirectRefused, match=r"redirected to http://\[2001:db8::1\]:11434/api/chat;"):
        model_on(server).chat(MESSAGES, SCHEMA)
    assert loopback_only == []
    assert len(elsewhere.requests) == 1


def test_a_redirect_to_an_allowed_host_is_followed_with_the_same_request(server, elsewhere):
    server.redirects["/api/chat"] = (307, f"{elsewhere.host}/api/chat")
    elsewhere.answer('{"tests": ["from the second server"]}')

    reply = model_on(server).chat(MESSAGES, SCHEMA)

    assert reply.content == '{"tests": ["from the second server"]}'
    [first], [second] = server.chat_requests(), elsewhere.chat_requests()
    assert second.body_bytes == first.body_bytes
