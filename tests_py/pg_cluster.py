"""A throwaway PostgreSQL cluster for the tests and the bench: ``initdb`` into a new temporary folder, a server on a
Unix socket in that folder and on a free localhost port, stopped and deleted at the end (also on failure).

PostgreSQL refuses to run as root, so when this process is root the folder is given to the ``postgres`` user and
every server command runs as that user (``runuser``). The binaries come from ``PATH`` or Debian's
``/usr/lib/postgresql/<version>/bin`` (``scripts/setup.sh --system`` installs the ``postgresql`` package); set
``NUCLEUS_PG_BIN`` to use others. Importable anywhere. Inside Pyodide, which cannot start processes, the tests
``attach()`` to a cluster the host started instead: test_pyodide_pytest.py passes its DSN in ``NUCLEUS_TEST_PG_DSN``.

The superuser ``nucleus`` connects over the socket without a password (trust); over TCP every user needs its
password (scram-sha-256), so a wrong password can be tested.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUPERUSER = "nucleus"
PASSWORD = "nucleus-test-password"
DATABASE = "nucleus_test"
# Every server command is bounded: no test may hang on a server that does not come up or go down.
_COMMAND_TIMEOUT = 60
# The socket DSN of a running cluster, for a test run that cannot start one (the suite inside Pyodide).
DSN_VARIABLE = "NUCLEUS_TEST_PG_DSN"


class ClusterUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing or the cluster could not be started; the message says why."""


def find_bin_dir() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``."""
    override = os.environ.get("NUCLEUS_PG_BIN")
    candidates = [Path(override)] if override else []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent)
    # Debian keeps the server binaries out of PATH; the newest major version wins.
    candidates += sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")), key=lambda p: _major(p.parent.name), reverse=True
    )
    for candidate in candidates:
        if all((candidate / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return candidate
    raise ClusterUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or in /usr/lib/postgresql/*/bin: "
        "run `scripts/setup.sh --system` (it installs Debian's postgresql package) or set NUCLEUS_PG_BIN"
    )


def _major(name: str) -> int:
    return int(name) if name.isdigit() else -1


def free_port() -> int:
    """A localhost TCP port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running throwaway cluster. ``dsn()`` connects over its socket, ``tcp_dsn()`` over localhost TCP."""

    root: Path
    bin_dir: Path
    port: int
    as_postgres: bool
    running: bool = False
    _removed: bool = field(default=False, repr=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def dsn(self, dbname: str = DATABASE, **params: Any) -> str:
        """A libpq connection string over the Unix socket (as the superuser, no password)."""
        return _socket_dsn(self.socket_dir, self.port, dbname, **params)

    def tcp_dsn(self, dbname: str = DATABASE, *, user: str = SUPERUSER, password: str = PASSWORD) -> str:
        """A URL over localhost TCP, which needs the password."""
        return _tcp_dsn(self.port, dbname, user, password)

    # -- server commands -----------------------------------------------------------------------------------

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=_COMMAND_TIMEOUT, check=False)
        if check and done.returncode != 0:
            tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise ClusterUnavailable(
                f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}\n{tail}"
            )
        return done

    def initdb(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.as_postgres:
            shutil.chown(pwfile, "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--locale=C",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-instructions",
        )
        pwfile.unlink()

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.socket_dir}",
                "-c listen_addresses=127.0.0.1",
                "-c max_connections=100",
                "-c shared_buffers=32MB",
                # Durable like production: every COMMIT is synced (the tests kill writers and restart the server).
                "-c fsync=on",
                "-c synchronous_commit=on",
            ]
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: roll back open transactions and close every connection)."""
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop", check=False)
            self.running = False

    def remove(self) -> None:
        """Stop the server and delete the folder. Idempotent."""
        if self._removed:
            return
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self._removed = True

    # -- SQL as the superuser --------------------------------------------------------------------------------

    def execute(self, sql: str, params: Any = None, *, dbname: str = DATABASE) -> list[tuple[Any, ...]]:
        """Run one statement as the superuser (autocommit) and return its rows (how a test edits the database)."""
        import psycopg

        with psycopg.connect(self.dsn(dbname), autocommit=True, connect_timeout=10) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []


def _socket_dsn(socket_dir: Path, port: int, dbname: str, **params: Any) -> str:
    query = {"host": str(socket_dir), "port": port, "user": SUPERUSER, "dbname": dbname, **params}
    return "postgresql:///?" + urllib.parse.urlencode(query)


def _tcp_dsn(port: int, dbname: str, user: str, password: str) -> str:
    return f"postgresql://{user}:{urllib.parse.quote(password)}@127.0.0.1:{port}/{dbname}"


@dataclass
class AttachedCluster:
    """A cluster another process started and owns (``Cluster.dsn()`` names it): the same ``dsn()``, ``tcp_dsn()``
    and ``execute()``, the statements sent through the engine's own driver (inside Pyodide, the host's channel)."""

    socket_dir: Path
    port: int
    running: bool = True

    def dsn(self, dbname: str = DATABASE, **params: Any) -> str:
        return _socket_dsn(self.socket_dir, self.port, dbname, **params)

    def tcp_dsn(self, dbname: str = DATABASE, *, user: str = SUPERUSER, password: str = PASSWORD) -> str:
        return _tcp_dsn(self.port, dbname, user, password)

    def execute(self, sql: str, params: Any = None, *, dbname: str = DATABASE) -> list[tuple[Any, ...]]:
        from nucleus.storage import postgres

        conn = postgres._driver().connect(
            self.dsn(dbname), autocommit=True, connect_timeout=10, application_name="nucleus-test"
        )
        try:
            cur = conn.execute(sql, params)
            return list(cur.fetchall()) if getattr(cur, "description", True) else []
        finally:
            conn.close()

    def remove(self) -> None:
        """Nothing: the process that started the cluster stops it."""


def attach(dsn: str) -> AttachedCluster:
    """The cluster that ``Cluster.dsn()`` of another process named."""
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(dsn).query))
    if "host" not in query or "port" not in query:
        raise ClusterUnavailable(f"{DSN_VARIABLE} must be a socket DSN from pg_cluster (host and port), got {dsn!r}")
    return AttachedCluster(Path(query["host"]), int(query["port"]))


def start_cluster() -> Cluster:
    """A new cluster, started, with the database ``nucleus_test``. The caller must ``remove()`` it; an ``atexit``
    hook removes it too, should the caller be interrupted before."""
    bin_dir = find_bin_dir()
    as_postgres = os.geteuid() == 0
    if as_postgres:
        import pwd  # not at the top: this module is imported inside Pyodide too, where nothing here runs

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise ClusterUnavailable(
                "PostgreSQL refuses to run as root, and there is no postgres user to run it as: install Debian's "
                "postgresql package (scripts/setup.sh --system), which creates it, or run the tests as another user"
            ) from None
    # Directly in the system temp folder: a folder the postgres user can reach (pytest's own are private to root).
    # Short, too: a Unix socket path is limited to about 100 bytes.
    root = Path(tempfile.mkdtemp(prefix="nucleus-pg-"))
    cluster = Cluster(root, bin_dir, free_port(), as_postgres)
    atexit.register(cluster.remove)
    try:
        if as_postgres:
            shutil.chown(root, "postgres", "postgres")
        cluster.initdb()
        cluster.start()
        cluster.execute(f"CREATE DATABASE {DATABASE}", dbname="postgres")
    except BaseException:
        cluster.remove()
        raise
    return cluster


@contextlib.contextmanager
def throwaway_cluster() -> Any:
    """``start_cluster()`` for the block; stopped and deleted afterwards, whatever happened."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.remove()
