"A private PostgreSQL cluster on 127.0.0.1 for tests: initdb into a temporary folder, pg_ctl start, stopped and removed at the end."
import glob, os, pwd, shutil, socket, subprocess, tempfile, uuid

import pytest


def pg_bin_dir():
    "The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, or a folder on PATH, or None."
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found: return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb and shutil.which("pg_ctl") else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    "initdb + pg_ctl as the `postgres` user when running as root (initdb refuses root), else as the current user."

    def __init__(self, bin_dir: str):
        self.bin_dir, self.port = bin_dir, free_port()
        self.root = tempfile.mkdtemp(prefix="tk-pg-")
        self.data, self.log = os.path.join(self.root, "data"), os.path.join(self.root, "server.log")
        self.as_user = "postgres" if os.geteuid() == 0 else None
        if self.as_user:
            pw = pwd.getpwnam(self.as_user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)

    def _run(self, *args, check=True):
        cmd = [os.path.join(self.bin_dir, args[0]), *args[1:]]
        if self.as_user: cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> "PostgresCluster":
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        opts = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c max_connections=50"
        r = self._run("pg_ctl", "-D", self.data, "-l", self.log, "-o", opts, "-w", "-t", "60", "start", check=False)
        if r.returncode != 0:
            log = open(self.log).read() if os.path.exists(self.log) else ""
            raise RuntimeError(f"pg_ctl start failed: {r.stderr}\n{log}")
        return self

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def create_database(self) -> str:
        "A fresh, empty database; its URL."
        import psycopg
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self):
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster():
    "A running private PostgreSQL cluster (session-wide); skipped where no PostgreSQL binaries exist."
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH; "
                    "install them with `apt-get install -y postgresql` (.ci/run does)")
    cluster = PostgresCluster(bin_dir).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster):
    "The URL of a fresh, empty database on the private cluster."
    return postgres_cluster.create_database()
