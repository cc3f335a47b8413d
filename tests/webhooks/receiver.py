"""A real HTTP receiver for the webhook tests: http.server on 127.0.0.1 in a thread, recording every request."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


def free_port() -> int:
    """A port nothing listens on (for a receiver that is down, and comes up later on the same port)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # a sender killed mid-request: expected in these tests
        pass


class Receiver:
    """`Receiver(port)` listens at once; `statuses` are answered in turn (the last one from then on)."""

    def __init__(
        self, port: int | None = None, statuses: tuple[int, ...] = (200,), hold: threading.Event | None = None
    ):
        self.requests: list[Received] = []
        self.statuses = list(statuses)
        self.hold = hold  # the first request waits for this event before it is answered (a receiver that hangs)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                if receiver.hold is not None and len(receiver.requests) == 1:
                    receiver.hold.wait(timeout=120)
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = _QuietServer(("127.0.0.1", port or 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/order-management"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
