"""Private PostgreSQL and Redis servers on the loopback interface, with their data in one
folder: the tests' throwaway database server and the broker and databases of
``make up EXECUTOR=celery``.

PostgreSQL: ``initdb`` once into ``<root>/data`` (scram-sha-256, one superuser), a server
on 127.0.0.1 with its unix socket inside ``root``. ``initdb`` refuses to run as root, so as
root the server commands run as the ``postgres`` system user (``runuser``) and ``root`` is
given to that user. Redis (Debian's ``redis-server``): a config file (0600, with the
password) and its data under its own folder. Neither server listens beyond 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from faxflow.private import private_dir, write_private

LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 60.0
POSTGRES_USER = "faxflow"


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def stored_secret(path: Path) -> str:
    """The random password kept in ``path`` (0600), made on first use."""
    with contextlib.suppress(FileNotFoundError):
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return text
    value = secrets.token_urlsafe(24)
    write_private(path, value + "\n")
    return value


def postgres_bin_dir() -> Path | None:
    """Where ``initdb`` and ``postgres`` are (``FAXFLOW_PG_BIN``, Debian's versioned
    folders, newest first, or PATH)."""
    override = os.environ.get("FAXFLOW_PG_BIN")
    candidates = [override] if override else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PostgresCluster:
    """One PostgreSQL cluster in ``root`` (its data in ``root/data``), reached on
    127.0.0.1:``port`` as ``faxflow`` with ``password``."""

    def __init__(
        self,
        root: Path,
        *,
        password: str,
        port: int | None = None,
        bin_dir: Path | None = None,
        settings: tuple[str, ...] = (),
    ) -> None:
        found = bin_dir or postgres_bin_dir()
        if found is None:
            raise FileNotFoundError("no initdb found (install the Debian package postgresql)")
        self.bin_dir = found
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.password = password
        self.port = port or free_port()
        self.settings = settings
        self.run_as: str | None = "postgres" if os.geteuid() == 0 else None
        root.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)  # KeyError: no such user to run as
            os.chown(root, entry.pw_uid, entry.pw_gid)
            _let_others_pass(root.parent)
        os.chmod(root, 0o700)

    def _as_server_user(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *command] if self.run_as else command

    def run(self, program: str, *args: str, timeout: float = START_TIMEOUT_S) -> None:
        subprocess.run(
            self._as_server_user([str(self.bin_dir / program), *args]),
            check=True,
            capture_output=True,
            timeout=timeout,
            cwd=self.root,
            text=True,
        )

    def initdb(self) -> bool:
        """Create the cluster unless it exists; True when it was created now."""
        if (self.data / "PG_VERSION").exists():
            return False
        password_file = self.root / "pwfile"
        password_file.write_text(self.password + "\n", encoding="utf-8")
        try:
            if self.run_as:
                entry = pwd.getpwnam(self.run_as)
                os.chown(password_file, entry.pw_uid, entry.pw_gid)
            os.chmod(password_file, 0o600)
            self.run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                POSTGRES_USER,
                "--auth=scram-sha-256",
                f"--pwfile={password_file}",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            )
        finally:
            password_file.unlink(missing_ok=True)
        return True

    def server_options(self) -> list[str]:
        """``-c`` settings of the server: loopback only, its socket inside ``root``."""
        options = [
            f"listen_addresses={LOOPBACK}",
            f"port={self.port}",
            f"unix_socket_directories={self.root}",
            *self.settings,
        ]
        return [part for option in options for part in ("-c", option)]

    def server_command(self) -> list[str]:
        """The server in the foreground (for a supervisor: it stops on SIGINT, fast)."""
        if self.run_as:  # a private folder made on the way must not lock it out
            _let_others_pass(self.root.parent)
        return self._as_server_user([str(self.bin_dir / "postgres"), "-D", str(self.data)]) + (
            self.server_options()
        )

    def start(self) -> None:
        """Start the server in the background (``pg_ctl``; :meth:`stop` stops it)."""
        self.run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            " ".join(self.server_options()),
            "-w",
            "start",
        )

    def stop(self) -> None:
        # Already gone is fine: callers delete the folder or start it again later.
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=30)

    def running_port(self) -> int | None:
        """The port of the server running on this cluster now (from ``postmaster.pid``),
        or None when none is."""
        try:
            lines = (self.data / "postmaster.pid").read_text(encoding="utf-8").splitlines()
            return int(lines[3])
        except (OSError, IndexError, ValueError):
            return None

    def ready(self) -> bool:
        """The server accepts connections."""
        import psycopg

        try:
            with psycopg.connect(self.admin_dsn("postgres"), connect_timeout=2):
                return True
        except psycopg.Error:
            return False

    def create_database(self, name: str) -> bool:
        """Create database ``name`` unless it exists; True when it was created now."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_dsn("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone():
                return False
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True

    def admin_dsn(self, database: str) -> str:
        return (
            f"host={LOOPBACK} port={self.port} user={POSTGRES_USER} "
            f"password={self.password} dbname={database}"
        )

    def url(self, database: str) -> str:
        """SQLAlchemy URL (psycopg 3) of ``database``."""
        return (
            f"postgresql+psycopg://{POSTGRES_USER}:{self.password}@{LOOPBACK}:{self.port}/"
            f"{database}"
        )


def _let_others_pass(folder: Path) -> None:
    """Let other users pass through ``folder`` and its parents (search permission only,
    never listing): the server's user must reach its data folder inside a private var/."""
    for path in [folder, *folder.parents]:
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(path, stat.S_IMODE(mode) | stat.S_IXOTH)


class RedisServer:
    """Debian's ``redis-server`` on 127.0.0.1:``port`` with ``password``, its config
    (0600) and data in ``root``."""

    def __init__(self, root: Path, *, password: str, port: int | None = None) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise FileNotFoundError("no redis-server found (install the Debian package)")
        self.executable = executable
        self.root = private_dir(root)
        self.password = password
        self.port = port or free_port()

    def write_config(self) -> Path:
        """The server's config: the password is kept off the command line (``ps`` shows
        that to every user)."""
        lines = [
            f"bind {LOOPBACK}",
            f"port {self.port}",
            "protected-mode yes",
            "daemonize no",
            f"dir {self.root}",
            "dbfilename broker.rdb",
            f"requirepass {self.password}",
            "loglevel warning",
        ]
        return write_private(self.root / "redis.conf", "\n".join(lines) + "\n")

    def server_command(self) -> list[str]:
        return [self.executable, str(self.write_config())]

    def url(self, database: int = 0) -> str:
        return f"redis://:{self.password}@{LOOPBACK}:{self.port}/{database}"

    def ready(self) -> bool:
        """The server answers PING with our password."""
        import redis

        try:
            client = redis.Redis(
                host=LOOPBACK, port=self.port, password=self.password, socket_timeout=2
            )
            with contextlib.closing(client):
                return bool(client.ping())
        except redis.RedisError:
            return False


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, poll: float = 0.2) -> None:
    """Poll ``check()`` until it is true; TimeoutError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(poll)
