#!/usr/bin/env python3
"""A tiny stand-in for Ollama, used by test_deb.sh.

Listens on 127.0.0.1 (port 0 = any free port), writes the port it got to
--port-file once it accepts connections, and answers:

  GET /            200 "Ollama is running"
  GET /api/tags    200 a fixed JSON model list
  GET /api/version 200 {"version": "0.0.0-mock"}
  anything else    404 {"error": "..."}

Stops on SIGTERM or SIGINT. Standard library only.
"""

import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TAGS = {
    "models": [
        {
            "name": "mock-llama:latest",
            "model": "mock-llama:latest",
            "modified_at": "2026-01-01T00:00:00Z",
            "size": 1234567,
            "digest": "sha256:" + "0" * 64,
            "details": {
                "format": "gguf",
                "family": "llama",
                "parameter_size": "1B",
                "quantization_level": "Q4_0",
            },
        }
    ]
}


class Handler(BaseHTTPRequestHandler):
    server_version = "mock-ollama/1"
    protocol_version = "HTTP/1.1"

    def _send(self, status, body, content_type):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._send(200, "Ollama is running", "text/plain; charset=utf-8")
        elif path == "/api/tags":
            self._send(200, json.dumps(TAGS), "application/json; charset=utf-8")
        elif path == "/api/version":
            self._send(200, json.dumps({"version": "0.0.0-mock"}), "application/json; charset=utf-8")
        else:
            self._send(404, json.dumps({"error": f"mock: no route for {path}"}), "application/json")

    do_HEAD = do_GET

    def log_message(self, fmt, *args):
        sys.stderr.write("mock_backend: %s\n" % (fmt % args))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    # Write the port atomically: the test polls for the file.
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)

    server.serve_forever(poll_interval=0.2)
    server.server_close()


if __name__ == "__main__":
    main()
