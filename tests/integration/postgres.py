"""A throwaway PostgreSQL cluster on 127.0.0.1 for tests: initdb, TLS, start, a role and a database, stop.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the `postgres` user
(created by the Debian package) through runuser; otherwise as the current user.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise PostgresUnavailable(
            f"{name} not found: install the PostgreSQL server (Debian: apt-get install postgresql); .ci/run does"
        )
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 so clients that demand TLS (sslmode=require) can connect."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    crt, pem = directory / "server.crt", directory / "server.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    pem.chmod(0o600)
    return crt, pem


@dataclass
class Postgres:
    root: Path
    port: int
    run_as: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        full = ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else list(cmd)
        result = subprocess.run(full, capture_output=True, text=True, timeout=120, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {result.stderr or result.stdout}")
        return result

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self._run(
            _bin("psql"),
            "-h",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-Atc",
            sql,
        ).stdout

    def stop(self) -> None:
        try:
            self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> Postgres:
    """initdb and start a cluster listening on 127.0.0.1 (TLS on) and a private unix socket."""
    run_as = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="mlplatform-pg-"))
    root.chmod(0o755)
    (root / "sock").mkdir()
    if run_as:
        entry = pwd.getpwnam(run_as)
        for p in (root, root / "sock"):
            os.chown(p, entry.pw_uid, entry.pw_gid)
    pg = Postgres(root=root, port=free_port(), run_as=run_as)
    pg._run(
        _bin("initdb"),
        "-D",
        str(pg.data),
        "-U",
        "postgres",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
    )
    crt, key = _self_signed_cert(pg.data)
    if run_as:
        entry = pwd.getpwnam(run_as)
        for p in (crt, key):
            os.chown(p, entry.pw_uid, entry.pw_gid)
    options = (
        f"-p {pg.port} -k {pg.socket_dir} -c listen_addresses=127.0.0.1 -c ssl=on "
        f"-c ssl_cert_file={crt} -c ssl_key_file={key}"
    )
    pg._run(_bin("pg_ctl"), "-D", str(pg.data), "-o", options, "-l", str(root / "server.log"), "-w", "start")
    return pg
