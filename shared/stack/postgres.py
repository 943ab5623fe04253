"""A project-local PostgreSQL cluster from the installed server binaries (initdb + pg_ctl).

initdb refuses to run as root; when we are root the cluster belongs to the `postgres` OS user
(present wherever the server package is installed) and every server command runs as that user.
The cluster listens on 127.0.0.1 only, with no Unix socket (socket paths have a length limit and
the project folder may be deep), and trusts loopback connections: it is a developer's stack.
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from shared.stack.processes import StackError, free_port, pid_alive, port_open, read_pid, tail

SUPERUSER = "actnow"


def server_bin(name: str) -> str:
    """Finds a server binary: PG_BIN, then the newest /usr/lib/postgresql/*/bin, then PATH."""
    candidates = [os.environ.get("PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major, reverse=True)
    for folder in candidates:
        if folder and Path(folder, name).exists():
            return str(Path(folder, name))
    found = shutil.which(name)
    if found is None:
        raise StackError(
            f"The PostgreSQL server program {name!r} was not found: install PostgreSQL 15 "
            "(apt-get install postgresql) or point PG_BIN at its bin folder."
        )
    return found


def _major(folder: str) -> int:
    try:
        return int(Path(folder).parent.name)
    except ValueError:
        return 0


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise StackError(
            "PostgreSQL refuses to run as root and there is no 'postgres' user: "
            "install the postgresql package or run as an ordinary user."
        ) from exc
    return ["runuser", "-u", "postgres", "--"]


def _reachable_by_server_user(folder: Path) -> bool:
    while not folder.exists():
        folder = folder.parent
    probe = subprocess.run([*_run_as(), "test", "-x", str(folder)], check=False)
    return probe.returncode == 0


@dataclass
class LocalPostgres:
    """A cluster in workdir/data listening on 127.0.0.1:port; its log goes to log_file."""

    workdir: Path
    port: int = 0
    log_file: Path | None = None
    database: str = "actnow"

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir).resolve()
        self.port = self.port or free_port()
        self.log_file = Path(self.log_file or self.workdir / "postgres.log").resolve()
        self._data = self._choose_data_dir()

    @property
    def data(self) -> Path:
        return self._data

    def _choose_data_dir(self) -> Path:
        """workdir/data, unless the server user cannot reach it (a parent folder such as a
        root-only home is not searchable): then a folder under /var/tmp named after workdir."""
        wanted = self.workdir / "data"
        if os.geteuid() != 0 or _reachable_by_server_user(self.workdir.parent):
            return wanted
        digest = hashlib.sha256(str(wanted).encode()).hexdigest()[:12]
        return Path("/var/tmp/actnow-pg") / digest / "data"

    @property
    def pid(self) -> int | None:
        pid = read_pid(self.data / "postmaster.pid")
        return pid if pid_alive(pid) else None

    def url(self, database: str | None = None) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database or self.database}"

    def running(self) -> bool:
        return self.pid is not None and port_open(self.port)

    def start(self, timeout: float = 60.0) -> LocalPostgres:
        if self.running():
            return self
        if port_open(self.port):
            raise StackError(
                f"Port {self.port} for PostgreSQL is already taken by another program; "
                "stop it or choose another port (ACTNOW_POSTGRES_PORT)."
            )
        self._init_once()
        assert self.log_file is not None
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories="
        # the server inherits our open log file, so the log may live where the server user
        # could not open it by path (e.g. a root-only project folder)
        with open(self.log_file, "ab") as log:
            run = subprocess.run(
                [
                    *_run_as(),
                    server_bin("pg_ctl"),
                    "start",
                    "-D",
                    str(self.data),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(int(timeout)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        if run.returncode != 0 or not port_open(self.port):
            raise StackError(
                f"PostgreSQL did not start; see {self.log_file}:\n{tail(self.log_file, 15)}"
            )
        self.create_database(self.database)
        return self

    def _init_once(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data.parent.mkdir(parents=True, exist_ok=True)
        self._give_to_server_user(self.data.parent)
        run = subprocess.run(
            [
                *_run_as(),
                server_bin("initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            raise StackError(f"initdb failed for {self.data}: {run.stderr.strip()[-500:]}")
        with open(self.data / "postgresql.conf", "a") as conf:
            # services x gunicorn workers x pool size, plus tests and tools
            conf.write("\nmax_connections = 300\n")

    def _give_to_server_user(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def stop(self, timeout: float = 30.0) -> None:
        if self.pid is None:
            return
        subprocess.run(
            [
                *_run_as(),
                server_bin("pg_ctl"),
                "stop",
                "-D",
                str(self.data),
                "-m",
                "fast",
                "-w",
                "-t",
                str(int(timeout)),
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    def destroy(self) -> None:
        """Stops the server and deletes its data: for throwaway test clusters."""
        self.stop()
        shutil.rmtree(
            self.data.parent if self.data.parent != self.workdir else self.data, ignore_errors=True
        )

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
