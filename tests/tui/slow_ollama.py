"""A scripted Ollama-protocol server whose answer comes slowly, and that notices when the client
goes away: what cancelling in the app is measured against.

``slow_answer`` stays silent for a while (a model loading), then streams its answer a few
characters at a time. Meanwhile it watches the connection; ``closed_at`` is when it saw the
client close it (``time.monotonic()``), None while the client stays.
"""

from __future__ import annotations

import select
import socket
import time

from tests.ollama_servers import ScriptedOllama, _chat_chunk, _chat_final, _counters, _pieces


class SlowOllama(ScriptedOllama):
    closed_at: float | None = None

    def slow_answer(self, content: str, *, silence: float = 0.0, every: float = 0.1, size: int = 4) -> None:
        """Answer ``content`` after ``silence`` seconds, ``size`` characters every ``every`` seconds."""

        def step(out, request: dict) -> None:
            connection: socket.socket = out.connection
            if self._closed_within(connection, silence):
                return
            model = request["model"]
            try:
                out.begin_stream()
                for piece in _pieces(content, size):
                    if self._closed_within(connection, every):
                        return
                    out.send_line(_chat_chunk(model, piece))
                out.send_line(_chat_final(model, "", "stop", _counters(1, 20, 0.1, len(content) // size, 1)))
                out.end_stream()
            except OSError:  # the client is gone
                self.closed_at = self.closed_at or time.monotonic()

        self._queue(step)

    def _closed_within(self, connection: socket.socket, seconds: float) -> bool:
        """Wait ``seconds``; True (and ``closed_at`` set) as soon as the client closes the connection."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if self._stopping.is_set():
                return True
            readable, _, _ = select.select([connection], [], [], max(0.0, min(left, 0.02)))
            if readable:
                try:
                    closed = connection.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    closed = True
                if closed:
                    self.closed_at = time.monotonic()
                    return True
                time.sleep(0.02)  # data, not a close: keep watching without spinning
            if left <= 0:
                return False
