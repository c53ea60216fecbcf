"""A small threaded static file server for the browser build: several folders mounted under URL
prefixes, the right MIME types (``loadPyodide`` hangs on a ``.wasm`` that is not ``application/wasm``),
no directory listings, nothing outside the mounted folders, and a log of every request it answered.

Used by ``scripts/serve_playground.py``, the browser tests (``tests_browser/conftest.py``) and the
browser bench. Standard library only.
"""

from __future__ import annotations

import gzip
import http.server
import threading
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".map": "application/json",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".jsonl": "application/x-ndjson",
}


class StaticServer:
    """Serves ``mounts`` (URL prefix → folder, e.g. ``{"/": "web/playground", "/nucleus/": "js/dist/browser"}``)
    on ``host:port`` (port 0 picks a free one) from a background thread. Use as a context manager."""

    def __init__(
        self,
        mounts: Mapping[str, str | Path],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        gzip_level: int | None = None,
        cache_control: Mapping[str, str] | None = None,
    ) -> None:
        """``gzip_level``: compress every answer to a client that accepts gzip (the bench's "with compression",
        as docs/BROWSER.md asks of a server). Whatever ``gzip_level`` says, a file with a precompressed
        sibling ``<file>.br`` goes to a client that accepts ``br`` as that sibling, with ``Content-Encoding: br``
        (what nginx's ``brotli_static on`` does; the standard library has no brotli encoder).
        ``cache_control``: URL prefix → Cache-Control header for the files under it (default ``no-cache``),
        e.g. ``{"/nucleus/": "public, max-age=31536000, immutable"}``."""
        self.gzip_level = gzip_level
        self.cache_control = dict(cache_control or {})
        self._gzipped: dict[tuple[Path, float], bytes] = {}
        # Longest prefix first, so "/nucleus/" wins over "/".
        self.mounts = sorted(
            ((p if p.endswith("/") else p + "/", Path(d).resolve()) for p, d in mounts.items()),
            key=lambda m: -len(m[0]),
        )
        self.requests: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self.httpd = http.server.ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def resolve(self, url_path: str) -> Path | None:
        """The file for a URL path, or None when it is outside every mount or does not exist."""
        path = urllib.parse.unquote(urllib.parse.urlsplit(url_path).path)
        for prefix, folder in self.mounts:
            if path.startswith(prefix) or path + "/" == prefix:
                rel = path[len(prefix) :] or "index.html"
                target = (folder / rel).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if target.is_relative_to(folder) and target.is_file():
                    return target
                return None
        return None

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._serve(body=True)

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def _serve(self, body: bool) -> None:
                target = server.resolve(self.path)
                status = 200 if target else 404
                with server._lock:
                    server.requests.append((self.path, status))
                if target is None:
                    data = b"not found\n"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if body:
                        self.wfile.write(data)
                    return
                accepts = self.headers.get("Accept-Encoding", "")
                brotli = target.with_name(target.name + ".br")
                encoding = None
                if "br" in accepts and brotli.is_file():
                    data, encoding = brotli.read_bytes(), "br"
                else:
                    data = target.read_bytes()
                gzipped = encoding is None and server.gzip_level is not None and "gzip" in accepts
                if gzipped:
                    encoding = "gzip"
                    key = (target, target.stat().st_mtime)
                    with server._lock:
                        if key not in server._gzipped:
                            server._gzipped[key] = gzip.compress(data, server.gzip_level, mtime=0)
                        data = server._gzipped[key]
                url_path = urllib.parse.urlsplit(self.path).path
                cache = next((v for p, v in server.cache_control.items() if url_path.startswith(p)), "no-cache")
                self.send_response(200)
                self.send_header("Content-Type", MIME_TYPES.get(target.suffix, "application/octet-stream"))
                self.send_header("Content-Length", str(len(data)))
                if encoding:
                    self.send_header("Content-Encoding", encoding)
                    self.send_header("Vary", "Accept-Encoding")
                self.send_header("Cache-Control", cache)
                self.send_header("X-Content-Type-Options", "nosniff")
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # quiet; see server.requests
                pass

        return Handler

    def start(self) -> StaticServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="static-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> StaticServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
