"""A throwaway PostgreSQL cluster: Debian's server binaries, a unix socket in a temp dir, no TCP port."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.owner_watch import owner_watch

#: The major version the deployment test runs (Debian 12's package, as named in scripts/dev.py).
PG_MAJOR = "15"
#: Database and superuser the Airflow services use, as in docker-compose.yaml's postgres service.
DB_NAME = DB_USER = "airflow"


def server_bin_dir() -> Path:
    """Folder with initdb/pg_ctl: Debian keeps them in /usr/lib/postgresql/<major>/bin, off PATH."""
    preferred = Path("/usr/lib/postgresql") / PG_MAJOR / "bin"
    if (preferred / "initdb").exists():
        return preferred
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise AssertionError(
        f"PostgreSQL {PG_MAJOR} server binaries not found: install Debian's postgresql-{PG_MAJOR} "
        "(python3 scripts/dev.py test does when it runs as root)"
    )


@contextmanager
def throwaway_cluster(base: Path) -> Iterator[str]:
    """Create and start a cluster under ``base``; yield its SQLAlchemy URL; stop it on exit.

    The caller removes ``base``. initdb refuses to run as root, so as root the server runs as the
    ``postgres`` user the Debian package creates, and ``base`` is handed to that user.

    :param base: an empty folder that the server user can reach.
    """
    bindir = server_bin_dir()
    data, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    user = "postgres" if os.geteuid() == 0 else None
    if user:
        shutil.chown(base, user)
        shutil.chown(socket_dir, user)

    def pg(*args: str) -> None:
        subprocess.run([str(bindir / args[0]), *args[1:]], check=True, capture_output=True, user=user)

    pg("initdb", "-D", str(data), "-U", DB_USER, "--auth=trust", "-E", "UTF8", "--no-sync")
    # No TCP listener at all: the socket lives in the temp dir, so parallel runs cannot collide.
    options = f"-c listen_addresses='' -k {socket_dir} -c fsync=off"
    # Registered first: a test run killed outright, even while the server starts, leaves none behind.
    stop_if_killed = owner_watch().run(
        [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], user=user
    )
    pg("pg_ctl", "-D", str(data), "-l", str(base / "postgres.log"), "-o", options, "-w", "start")
    try:
        pg("createdb", "-h", str(socket_dir), "-U", DB_USER, DB_NAME)
        yield f"postgresql+psycopg2://{DB_USER}@/{DB_NAME}?host={socket_dir}"
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        owner_watch().cancel(stop_if_killed)
