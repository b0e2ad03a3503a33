"""The Ollama conversation: host policy, structured chat with streaming, and plain errors.

Everything goes through the official ``ollama`` client. A host must be loopback unless the
settings allow remote hosts and list this one (:class:`HostPolicy`); the policy is checked again
before every request the client sends, so a redirect to a host it does not allow is refused
before anything reaches that host. Every failure becomes a :class:`ModelError` subclass whose
message says what to do (start Ollama, pull the model, raise the timeout).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import ollama
from pydantic import BaseModel, ConfigDict, Field

from .config import ModelProfile, Settings
from .errors import (
    Cancelled,
    HostRefused,
    ModelError,
    ModelNotPulled,
    ModelServerError,
    ModelStreamCut,
    ModelTimeout,
    ModelUnavailable,
    RedirectRefused,
)


def host_name(host: str) -> str:
    """The machine part of an Ollama host given as URL, host:port or bare host."""
    return urlsplit(host if "://" in host else f"http://{host}").hostname or ""


def is_loopback_name(name: str) -> bool:
    """Whether a host name (no scheme, no port) reaches this machine: loopback, ``localhost``, no
    name at all (``:11434``), the unspecified address (``0.0.0.0``, the usual OLLAMA_HOST of a
    server that listens on every interface) and IPv4-mapped forms of these (``::ffff:127.0.0.1``)."""
    name = name.strip("[]").lower()
    if name in ("", "localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def is_loopback(host: str) -> bool:
    """Whether the client reaches this machine at ``host`` (a URL, host:port or bare host)."""
    return is_loopback_name(host_name(host))


class HostPolicy(BaseModel):
    """Which hosts may receive schema context: this machine always, another one only when the
    settings allow remote hosts and list it. Applied to the configured host and to every request
    the client makes, redirects included."""

    model_config = ConfigDict(frozen=True)

    allow_remote: bool = False
    allowed: frozenset[str] = Field(frozenset(), description="Host names listed under allowed_hosts.")
    source: str = Field("", description="The settings file, named in hints.")

    @classmethod
    def of(cls, settings: Settings) -> HostPolicy:
        return cls(allow_remote=settings.allow_remote, allowed=frozenset(host_name(h) for h in settings.allowed_hosts),
                   source=str(settings.source or ""))

    def is_local(self, name: str) -> bool:
        return is_loopback_name(name)

    def allows(self, name: str) -> bool:
        """Whether requests may go to the host name ``name``."""
        return self.is_local(name) or (self.allow_remote and name.lower() in self.allowed)

    def allow_hint(self, name: str) -> str:
        source = f" ({self.source})" if self.source else ""
        return f"set `allow_remote: true` and list {name!r} under `allowed_hosts` in models.yaml{source}"

    def check(self, host: str) -> str:
        """``host`` if it may be used; HostRefused for a remote host that is not explicitly allowed."""
        if self.allows(host_name(host)):
            return host
        raise HostRefused(
            f"refusing to send schema context to {host}: it is not a loopback address",
            hint=f"to allow it, {self.allow_hint(host_name(host))}",
        )


def check_host(host: str, settings: Settings) -> str:
    """``host`` if ``settings`` allow it; HostRefused for a remote host that is not explicitly allowed."""
    return HostPolicy.of(settings).check(host)


class ChatReply(BaseModel):
    """A complete answer with Ollama's own counters."""

    content: str
    model: str
    done_reason: str | None = None
    prompt_tokens: int | None = None
    answer_tokens: int | None = None
    seconds: float = 0.0


class OllamaModel:
    """One model profile on one Ollama host."""

    def __init__(self, profile: ModelProfile, settings: Settings, policy: HostPolicy | None = None) -> None:
        self.profile = profile
        self.policy = HostPolicy.of(settings) if policy is None else policy
        self.host = self.policy.check(settings.host_for(profile))
        self._sockets: list[socket.socket] = []
        self._sockets_lock = threading.Lock()
        self.client = self._new_client()

    def _new_client(self) -> ollama.Client:
        """The official client, with every request (redirects included) checked against the policy
        before it is sent (httpx calls request hooks before each hop), and its connections traced."""
        return ollama.Client(host=self.host, timeout=self.profile.timeout,
                             event_hooks={"request": [self._check_request, self._trace_connections]})

    def _check_request(self, request: httpx.Request) -> None:
        name = request.url.host
        if self.policy.allows(name):
            return
        if name == host_name(self.host).strip("[]"):  # not a redirect: the configured host itself
            self.policy.check(self.host)
        target = f"{request.url.scheme}://{request.url.netloc.decode('ascii', 'replace')}{request.url.path}"
        raise RedirectRefused(
            f"the server at {self.host} redirected to {target}; localmig does not follow redirects to hosts not allowed",
            hint=f"check the server or proxy at {self.host}; if {name} is meant to serve the model, make it the host "
                 f"in models.yaml or OLLAMA_HOST, and {self.policy.allow_hint(name)}",
        )

    def _trace_connections(self, request: httpx.Request) -> None:
        """Have httpcore report every connection the client opens (its documented ``trace``
        request extension), so that a cancel can shut the socket down."""
        request.extensions["trace"] = self._note_connection

    def _note_connection(self, event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            sock = info["return_value"].get_extra_info("socket")
            if sock is not None:
                with self._sockets_lock:  # the ones closed meanwhile are dropped
                    self._sockets = [s for s in self._sockets if s.fileno() != -1] + [sock]

    def _shut_down_connections(self) -> None:
        """End every connection of the client now. Closing the client does not wake a read that
        waits in another thread (before the first token that can be minutes); shutting the
        socket down does, and the server sees the stream closed."""
        with self._sockets_lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed
                pass

    @property
    def tag(self) -> str:
        return self.profile.model

    def pulled(self) -> list[str]:
        """The tags the host has; ModelUnavailable when it cannot be reached."""
        try:
            listing = self.client.list()
        except (ConnectionError, httpx.ConnectError, httpx.TimeoutException):
            raise self._unavailable() from None
        except (httpx.RemoteProtocolError, httpx.ReadError):
            raise ModelStreamCut(f"Ollama at {self.host} closed the connection without answering",
                             hint="check the Ollama server log; run again") from None
        except ollama.ResponseError as error:
            raise ModelServerError(f"Ollama at {self.host} answered {error.status_code}: {error.error}") from None
        return [m.model for m in listing.models if m.model]

    def is_pulled(self, tags: list[str] | None = None) -> bool:
        tags = self.pulled() if tags is None else tags
        wanted = _canonical(self.tag)
        return any(_canonical(t) == wanted for t in tags)

    def ensure_ready(self) -> None:
        """ModelUnavailable / ModelNotPulled now, rather than in the middle of a generation."""
        if not self.is_pulled():
            raise self._not_pulled()

    def chat(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        on_token: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> ChatReply:
        """Ask for an answer under ``schema``, streaming its tokens to ``on_token``; setting
        ``cancel`` ends the HTTP stream at once (even before the first token) and raises Cancelled."""
        if cancel is None:
            return self._chat(messages, schema, on_token)
        finished = threading.Event()

        def watch() -> None:
            while not finished.is_set():
                if cancel.wait(0.05):  # wakes the moment the token is set
                    self._shut_down_connections()  # the blocked read fails at once
                    self.client.close()
                    return

        watcher = threading.Thread(target=watch, name="localmig-cancel", daemon=True)
        watcher.start()
        try:
            return self._chat(messages, schema, on_token)
        except Exception:
            if cancel.is_set():
                raise Cancelled("cancelled while waiting for the model") from None
            raise
        finally:
            finished.set()
            watcher.join()
            if cancel.is_set():
                self.client = self._new_client()

    def _chat(self, messages: list[dict[str, str]], schema: dict[str, Any], on_token: Callable[[str], None] | None) -> ChatReply:
        started = time.monotonic()
        deadline = started + self.profile.timeout
        options = self.profile.options.model_dump(exclude_none=True)
        parts: list[str] = []
        try:
            stream = self.client.chat(
                model=self.tag, messages=messages, stream=True, format=schema, options=options, keep_alive="5m"
            )
            for chunk in stream:
                piece = chunk.message.content or ""
                if piece:
                    parts.append(piece)
                    if on_token is not None:
                        on_token(piece)
                if time.monotonic() > deadline:
                    raise ModelTimeout(self._timeout_message())
                if chunk.done:
                    return ChatReply(
                        content="".join(parts),
                        model=chunk.model or self.tag,
                        done_reason=chunk.done_reason,
                        prompt_tokens=chunk.prompt_eval_count,
                        answer_tokens=chunk.eval_count,
                        seconds=time.monotonic() - started,
                    )
        except (ConnectionError, httpx.ConnectError):
            raise self._unavailable() from None
        except httpx.TimeoutException:
            raise ModelTimeout(self._timeout_message(), hint="raise `timeout` in the profile, or use a smaller model") from None
        except (httpx.RemoteProtocolError, httpx.ReadError):
            raise ModelStreamCut(f"the answer from {self.tag} stopped halfway (the connection was cut)",
                             hint="check the Ollama server log; run again") from None
        except ollama.ResponseError as error:
            if error.status_code == 404:
                raise self._not_pulled() from None
            if error.status_code == -1:
                raise ModelStreamCut(f"the answer from {self.tag} stopped halfway: {error.error}",
                                 hint="check the Ollama server log; run again") from None
            raise ModelServerError(f"Ollama at {self.host} answered {error.status_code}: {error.error}") from None
        raise ModelStreamCut(f"the answer from {self.tag} ended without its final message (stream cut)",
                         hint="check the Ollama server log; run again")

    def _timeout_message(self) -> str:
        return f"{self.tag} did not answer within {self.profile.timeout:.0f} s"

    def _unavailable(self) -> ModelUnavailable:
        return ModelUnavailable(
            f"Ollama is not reachable at {self.host}",
            hint="start it with `ollama serve` (or set the host in models.yaml / OLLAMA_HOST); "
            "`--no-model` skips the model layer",
        )

    def _not_pulled(self) -> ModelNotPulled:
        return ModelNotPulled(f"Ollama at {self.host} does not have the model {self.tag}", hint=f"run `{self.profile.pull_command}`")


@dataclass(frozen=True)
class ProfileState:
    """A profile and whether its Ollama host has the model: pulled, missing or unknown (why in detail)."""

    name: str
    model: str
    state: str
    detail: str = ""
    hint: str | None = None

    def describe(self) -> str:
        if self.state == "off":
            return "deterministic engine only"
        words = {"pulled": "pulled", "missing": f"missing: run `ollama pull {self.model}`", "unknown": "state unknown"}
        return f"{self.model} — {words.get(self.state, self.state)}"


def profile_states(settings: Settings) -> list[ProfileState]:
    """Every profile of ``settings`` with its state; one request per host (blocking HTTP)."""
    tags: dict[str, list[str] | ModelError] = {}
    states = []
    for name, profile in settings.profiles.items():
        try:
            model = OllamaModel(profile, settings)
        except ModelError as error:  # a refused host
            states.append(ProfileState(name, profile.model, "unknown", str(error), error.hint))
            continue
        if model.host not in tags:
            try:
                tags[model.host] = model.pulled()
            except ModelError as error:
                tags[model.host] = error
        found = tags[model.host]
        if isinstance(found, ModelError):
            states.append(ProfileState(name, profile.model, "unknown", str(found), found.hint))
        else:
            states.append(ProfileState(name, profile.model, "pulled" if model.is_pulled(found) else "missing"))
    return states


def _canonical(tag: str) -> str:
    return tag if ":" in tag else f"{tag}:latest"
