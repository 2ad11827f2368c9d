"""A throwaway PostgreSQL server for the run store tests: ``initdb`` + ``pg_ctl`` in a temp dir.

The server listens on 127.0.0.1 on a free port, trusts local connections, keeps its socket
in its own folder and is stopped (and its folder removed) at the end. PostgreSQL refuses to
run as root, so under root it runs as the user ``nobody``.

Without PostgreSQL's binaries (``initdb``, ``pg_ctl``, ``postgres`` on PATH, or Debian's
``/usr/lib/postgresql/<version>/bin``) the tests that need it are skipped with the reason --
unless ``MLPROBE_REQUIRE_POSTGRES=1`` (``.ci/run`` sets it): there a missing server is a
failure, never a skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REQUIRE_ENV = "MLPROBE_REQUIRE_POSTGRES"
RUN_AS = "nobody"  # postgres will not run as root


def binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None."""
    on_path = [shutil.which(name) for name in ("initdb", "pg_ctl", "postgres")]
    if all(on_path):
        return Path(str(on_path[0])).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if all((Path(folder) / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def missing(reason: str) -> None:
    """Skip with ``reason``, or fail under MLPROBE_REQUIRE_POSTGRES=1."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1: PostgreSQL is required here)", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield a ``postgresql+psycopg://`` URL of its ``postgres`` database."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("psycopg is not installed (pip install 'mlprobe[postgres]')")
    folder = binaries()
    if folder is None:
        missing(
            "no PostgreSQL binaries (initdb, pg_ctl, postgres) on PATH or in /usr/lib/postgresql"
        )
    assert folder is not None
    user = RUN_AS if os.geteuid() == 0 else None
    home = Path(tempfile.mkdtemp(prefix="mlprobe-pg-"))  # not under pytest's 0700 tmp folders
    if user is not None:
        shutil.chown(home, user=user)
    data = home / "data"
    run = {"user": user, "capture_output": True, "text": True, "timeout": 120}
    try:
        done = subprocess.run(
            [str(folder / "initdb"), "-D", str(data), "-U", "mlprobe", "--auth=trust",
             "-E", "UTF8", "--no-sync"],
            **run,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"initdb failed: {done.stderr[-2000:]}", pytrace=False)
        port = _free_port()
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = subprocess.run(
            [str(folder / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w",
             "-o", options, "start"],
            **run,
        )  # fmt: skip
        if done.returncode != 0:
            log = (home / "log").read_text() if (home / "log").exists() else ""
            pytest.fail(f"pg_ctl start failed: {done.stderr[-1000:]}\n{log[-2000:]}", pytrace=False)
        try:
            yield f"postgresql+psycopg://mlprobe@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [str(folder / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], **run
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)


def fresh_database(server_url: str, name: str) -> str:
    """Create the empty database ``name`` on the server; its URL."""
    import sqlalchemy as sa

    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"
