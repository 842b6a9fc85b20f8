#!/usr/bin/env python3
"""Faults: the platform as separate processes, under load, while parts fail.

Runs the platform the way an operator does: the standalone binaries
(target/<profile>/{gateway,account-svc,contact-svc,billing-svc,auth-svc}),
each with its own internal identity (`stack keygen`), on PostgreSQL and Redis
(DATABASE_URL, REDIS_URL; a fresh schema and key prefix per run, so runs
never collide), with the root distributor made by `stack bootstrap`. Then,
while a load of account creations, reads and lists runs:

  kill      kill -9 each service in turn (account, contact, billing, auth),
            3 s down, restart: failures are 503 problem documents, creates
            succeed again within 5 s, every create exists exactly once once
            the failed ones are retried with their Idempotency-Key
  redis     Redis shut down for 10 s: no 5xx (nor any other error)
  postgres  PostgreSQL restarted: creates succeed within 10 s after it is
            back, and every acknowledged create is there
  lock      account.customer locked longer than the gateway's deadline: 504
            problem document at the deadline, creates succeed once released
  rss       peak RSS of each process during 100 concurrent creates
  overload  2,000 connections at once, each sending authenticated reads, at
            a gateway serving 64 requests at a time: what it sheds is a 503
            problem document with Retry-After, the rest 200, nothing else;
            /health/live answers throughout; the gateway then serves as before

`--soak MINUTES` runs a mixed workload (70% reads, 20% lists, 10% creates)
instead, and reports errors by status and each process's RSS at start, peak
and end. One line per check on stdout, PASS or FAIL with its numbers; exit
code 1 when a check fails, with the last 40 lines of every process's log.
It restarts the shared PostgreSQL cluster and Redis (redis, postgres checks):
run it where nothing else depends on them. Standard library only.

    cargo build -p stack -p gateway -p account-svc -p contact-svc -p billing-svc -p auth-svc
    python3 bench/faults.py --profile debug
    python3 bench/faults.py --only kill,lock
    python3 bench/faults.py --soak 10        # release build (cargo build --release -p …); not in CI
"""

import argparse
import asyncio
import base64
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES = ["account-svc", "contact-svc", "billing-svc", "auth-svc"]
PROCESSES = ["gateway"] + SERVICES
CHECKS = ["kill", "redis", "postgres", "lock", "rss", "overload"]
# A claim of an Idempotency-Key whose process died stays `running` this long
# before a retry may take it over (platform::idempotency::STALE_AFTER).
STALE_AFTER = 120.0
# The exact command .ci/run and the machine's setup start Redis with.
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
               "--port", "6379", "--save", "", "--appendonly", "no",
               "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]
# The caller's shell may carry settings of its own platform (a collector, a
# metrics port, another identity); none of them belongs in these processes.
INHERITED_SETTINGS = ["METRICS_ADDR", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME",
                      "OTEL_RESOURCE_ATTRIBUTES", "SERVICE_IDENTITY", "SERVICE_KEY_FILE",
                      "SERVICE_TRUST_FILE", "AUTH_SECRET_KEY", "TRUSTED_PROXIES",
                      "SHUTDOWN_DRAIN_SECONDS", "LOG_FORMAT"]

START = time.monotonic()


def note(text):
    """Progress, on stderr so that stdout stays the report."""
    print(f"  [{time.monotonic() - START:6.1f}s] {text}", file=sys.stderr, flush=True)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:  # the process is gone (killed on purpose, or died)
        pass
    return 0


class Answer:
    """An HTTP answer; status 0 when none came (refused, reset, timed out)."""

    def __init__(self, status, headers, body, error=""):
        self.status, self.headers, self.body, self.error = status, headers, body, error

    @property
    def ok(self):
        return 200 <= self.status < 300

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def problem(self):
        """Whether this is an RFC 9457 problem document for its own status."""
        ctype = self.headers.get("Content-Type", "") if self.headers else ""
        doc = self.json() if ctype.startswith("application/problem+json") else None
        return isinstance(doc, dict) and doc.get("status") == self.status

    def problem_type(self):
        doc = self.json()
        return doc.get("type", "") if isinstance(doc, dict) else ""

    def describe(self):
        if self.status == 0:
            return f"no answer ({self.error})"
        return f"{self.status} {self.body[:200].decode(errors='replace')}"


def call(url, method="GET", body=None, headers=None, timeout=60):
    req = urllib.request.Request(url, method=method, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return Answer(res.status, res.headers, res.read())
    except urllib.error.HTTPError as e:
        return Answer(e.code, e.headers, e.read())
    except (OSError, urllib.error.URLError) as e:  # refused, reset, timed out
        return Answer(0, {}, b"", str(e))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def run(cmd, **kw):
    """A helper command (psql, redis-cli, pg_ctlcluster), its output captured."""
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


class Proc:
    """One platform process; its stdout and stderr go to DIR/NAME.log, kept
    across restarts (appended) so that a failure shows what led to it."""

    def __init__(self, name, argv, env, log):
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen = None

    def start(self, **overrides):
        with open(self.log, "a") as log:
            log.write(f"--- started at {time.monotonic() - START:.1f}s {overrides or ''}\n")
            log.flush()
            self.popen = subprocess.Popen(self.argv, env=dict(self.env, **overrides),
                                          stdout=log, stderr=log)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def kill9(self):
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()

    def stop(self):
        if not self.alive():
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def tail(self, n=40):
        try:
            with open(self.log, errors="replace") as f:
                return f.readlines()[-n:]
        except OSError:
            return []


def account_body(name, root):
    """The reference's v1 example (002), as README.md and bench/memory.py send it."""
    address = {"country": "United States", "state": "California", "city": "Anaheim",
               "street": "104 South Anaheim Boulevard", "zip": "92805-6010"}
    return {"programs": ["account"],
            "general": {"userName": name, "login": name, "password": "qwerty123!!!2133333",
                        "parentPartnerID": root, "name": "Test User",
                        "email": "test-user1@test.com"},
            "company": {"name": "Company name", "phone": "123456789", "address": address},
            "payment": {"name": " Company name ", "phone": "12365458789", "address": address,
                        "creditCard": {"type": "VISA", "cardNumber": "4111111111111111",
                                       "expirationDate": "04/38", "securityCode": "111"},
                        "type": "creditCard"},
            "planName": "starter"}


class Create:
    """One account creation: its own name and Idempotency-Key, kept so that a
    failed one can be retried with exactly the same request."""

    def __init__(self, name, root):
        self.name = name
        self.key = f"faults-{name}-{secrets.token_hex(8)}"
        self.body = json.dumps(account_body(name, root)).encode()
        self.customer_id = None  # from the 201
        self.answers = []


class Api:
    """The REST API as the root distributor's client."""

    def __init__(self, base):
        self.base = base
        self.token = self.root = None
        self.known = []  # acknowledged customer ids, for reads
        self.lock = threading.Lock()
        self.count = 0

    def login(self, client_id, secret):
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        ans = call(self.base + "/oauth2/token", "POST", b"grant_type=client_credentials",
                   {"Authorization": f"Basic {basic}",
                    "Content-Type": "application/x-www-form-urlencoded"})
        if ans.status != 200:
            raise RuntimeError(f"token: {ans.describe()}")
        self.token = ans.json()["access_token"]
        me = self.get_path("/v1/api/me")
        if me.status != 200:
            raise RuntimeError(f"/v1/api/me: {me.describe()}")
        self.root = me.json()["customerID"]
        self.known.append(self.root)

    def headers(self, **extra):
        return dict({"Authorization": f"Bearer {self.token}"}, **extra)

    def get_path(self, path, timeout=60):
        return call(self.base + path, headers=self.headers(), timeout=timeout)

    def new_create(self, tag):
        with self.lock:
            self.count += 1
            n = self.count
        return Create(f"{tag}-{n}-{secrets.token_hex(2)}", self.root)

    def create(self, c, timeout=60):
        ans = call(self.base + "/v1/api/accounts", "POST", c.body,
                   self.headers(**{"Content-Type": "application/json", "Idempotency-Key": c.key}),
                   timeout=timeout)
        c.answers.append(ans.status)
        if ans.status == 201:
            c.customer_id = ans.json()["customerID"]
            with self.lock:
                self.known.append(c.customer_id)
        return ans

    def read(self, rnd):
        with self.lock:
            customer_id = rnd.choice(self.known)
        return self.get_path(f"/v1/api/accounts/{customer_id}")

    def list(self):
        return self.get_path("/v1/api/accounts?take=20")

    def list_all(self):
        """Every account below the root, walked with `after` (each once)."""
        items, after = [], None
        while True:
            ans = self.get_path("/v1/api/accounts?take=1000" + (f"&after={after}" if after else ""))
            if ans.status != 200:
                raise RuntimeError(f"list: {ans.describe()}")
            page = ans.json()
            items += page["items"]
            after = page.get("nextCursor")
            if not after:
                return items


class Rec:
    """One request of a load: what, when (monotonic seconds), and its answer."""

    __slots__ = ("op", "t0", "t1", "status", "problem", "ans", "create")

    def __init__(self, op, t0, t1, ans, create):
        self.op, self.t0, self.t1, self.ans, self.create = op, t0, t1, ans, create
        self.status = ans.status
        self.problem = ans.problem()


class Load:
    """WORKERS threads sending creates, reads and lists in the given mix until
    stopped; every request is recorded."""

    def __init__(self, api, workers, tag, mix):
        self.api, self.workers, self.tag = api, workers, tag
        self.ops, self.weights = zip(*mix.items())
        self.records = []
        self.creates = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = []

    def __enter__(self):
        for _ in range(self.workers):
            t = threading.Thread(target=self.work, daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def __exit__(self, *_):
        self.stopping.set()
        for t in self.threads:
            t.join()

    def work(self):
        rnd = random.Random()
        while not self.stopping.is_set():
            op = rnd.choices(self.ops, self.weights)[0]
            c = None
            t0 = time.monotonic()
            if op == "create":
                c = self.api.new_create(self.tag)
                with self.lock:
                    self.creates.append(c)
                ans = self.api.create(c)
            elif op == "read":
                ans = self.api.read(rnd)
            else:
                ans = self.api.list()
            rec = Rec(op, t0, time.monotonic(), ans, c)
            with self.lock:
                self.records.append(rec)
            if not ans.ok:
                # A service that is down fails fast; without a pause the
                # workers would only measure how fast they can be refused.
                time.sleep(0.1)

    def snapshot(self):
        with self.lock:
            return list(self.records)

    def wait_success(self, since, op="create", limit=60.0):
        """Seconds from `since` to the first success of `op` sent after it;
        None if none came within `limit`."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            done = [r.t1 for r in self.snapshot() if r.op == op and r.t0 >= since and r.ans.ok]
            if done:
                return min(done) - since
            time.sleep(0.05)
        return None


def by_status(records):
    counts = {}
    for r in records:
        counts[r.status] = counts.get(r.status, 0) + 1
    return ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(counts.items())) or "none"


def examples(records, n=3):
    return "; ".join(f"{r.op} {r.ans.describe()}" for r in records[:n])


class Platform:
    """The five processes, their identities and their configuration."""

    def __init__(self, args, scratch, prefix):
        self.args, self.dir, self.prefix = args, scratch, prefix
        self.bin = os.path.join(REPO, "target", args.profile)
        self.db_url, self.redis_url = args.database_url, args.redis_url
        self.timeout = 30
        self.procs = {}

    def binary(self, name):
        path = os.path.join(self.bin, name)
        if not os.path.exists(path):
            # `cargo build --bins` alone builds only the default member (stack).
            sys.exit(f"{path} is missing: cargo build"
                     + (" --release" if self.args.profile == "release" else "")
                     + " -p stack -p gateway -p account-svc -p contact-svc -p billing-svc -p auth-svc")
        return path

    def keygen(self):
        """A key per internal caller (`stack keygen`, run in the scratch dir:
        it writes NAME.key there) and the trust file every service reads."""
        lines = []
        for name, role in [("gateway", "gateway"), ("account-svc", "service"),
                           ("contact-svc", "service"), ("billing-svc", "service"),
                           ("auth-svc", "service"), ("bootstrap", "operator")]:
            out = run([self.binary("stack"), "keygen", name, role], cwd=self.dir)
            if out.returncode != 0:
                sys.exit(f"stack keygen {name} {role} failed (is `keygen` in this build?):"
                         f" {out.stderr.strip()}")
            lines.append(out.stdout.strip())
        self.trust = os.path.join(self.dir, "callers")
        with open(self.trust, "w") as f:
            f.write("\n".join(lines) + "\n")

    def configure(self):
        self.ports = {name: free_port() for name in PROCESSES}
        env = {k: v for k, v in os.environ.items() if k not in INHERITED_SETTINGS}
        env.update(DATABASE_URL=self.db_url, REDIS_URL=self.redis_url,
                   DATABASE_SCHEMA_PREFIX=self.prefix, DATA_DIR=self.dir,
                   SERVICE_TRUST_FILE=self.trust,
                   GATEWAY_ADDR=f"127.0.0.1:{self.ports['gateway']}",
                   REQUEST_TIMEOUT_SECONDS=str(self.timeout),
                   # A soak may outlast the default hour; a 401 is not its subject.
                   TOKEN_TTL_SECONDS="86400",
                   RUST_LOG=os.environ.get("RUST_LOG", "warn"),
                   NO_COLOR="1")  # plain log files
        for svc in SERVICES:
            var = svc.split("-")[0].upper()
            env[f"{var}_SVC_ADDR"] = f"127.0.0.1:{self.ports[svc]}"
            env[f"{var}_SVC_URL"] = f"http://127.0.0.1:{self.ports[svc]}"
        self.env = env
        for name in PROCESSES:
            own = dict(env)
            own["SERVICE_KEY_FILE"] = os.path.join(self.dir, f"{name}.key")
            self.procs[name] = Proc(name, [self.binary(name)], own,
                                    os.path.join(self.dir, f"{name}.log"))
        self.base = f"http://127.0.0.1:{self.ports['gateway']}"

    def start(self, name, **overrides):
        """Starts one process and waits until it serves: a service's port
        opens once its schema is migrated; the gateway is ready when every
        service answers its health check."""
        proc = self.procs[name]
        proc.start(**overrides)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not proc.alive():
                raise RuntimeError(f"{name} exited with {proc.popen.returncode}")
            if name == "gateway":
                if call(self.base + "/health/ready", timeout=3).status == 200:
                    return
            elif port_open(self.ports[name]):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{name} did not start within 60 s")

    def start_all(self):
        for name in SERVICES + ["gateway"]:
            self.start(name)
        note(f"platform up: gateway {self.base}, schemas {self.prefix}*")

    def bootstrap(self):
        client_id, secret = "faults", secrets.token_hex(24)
        env = dict(self.env, SERVICE_KEY_FILE=os.path.join(self.dir, "bootstrap.key"),
                   BOOTSTRAP_CLIENT_ID=client_id, BOOTSTRAP_CLIENT_SECRET=secret)
        out = run([self.binary("stack"), "bootstrap"], env=env, cwd=self.dir)
        if out.returncode != 0:
            raise RuntimeError(f"stack bootstrap: {out.stdout}{out.stderr}")
        return client_id, secret

    def stop_all(self):
        for proc in self.procs.values():
            proc.stop()

    def pids(self):
        return {name: self.procs[name].pid for name in PROCESSES}

    def psql(self, sql):
        return run(["psql", self.db_url, "-qAtc", sql])

    def cleanup(self):
        """Drops this run's schemas and Redis keys (a passing run leaves nothing)."""
        self.psql("; ".join(f"drop schema if exists {self.prefix}{s} cascade"
                            for s in ["account", "contact", "billing", "auth"]))
        keys = run(["redis-cli", "-u", self.redis_url, "--scan", "--pattern",
                    f"*{self.prefix}*"]).stdout.split()
        for i in range(0, len(keys), 500):
            run(["redis-cli", "-u", self.redis_url, "del", *keys[i:i + 500]])


class Sampler:
    """Every process's VmRSS every 50 ms: the peak per process."""

    def __init__(self, pids):
        self.pids = pids
        self.peak = {name: rss_kib(pid) for name, pid in pids.items()}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        while not self.stopping.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], rss_kib(pid))
            time.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stopping.set()
        self.thread.join()


def mib(kib):
    return f"{kib / 1024:.1f}"


class Report:
    def __init__(self):
        self.failed = False

    def line(self, name, ok, text):
        self.failed |= not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {text}", flush=True)


# --- the checks -------------------------------------------------------------


def check_kill(plat, api, report, workers):
    """kill -9 each service under load, restart it after 3 s. Returns the
    exactly-once verification, which the caller runs after the other checks:
    a create in flight inside account-svc when it died leaves its key claimed
    for STALE_AFTER (2 minutes), so its retry can only finish after that,
    and the other checks may as well run meanwhile."""
    outages = []
    with Load(api, workers, "kill", {"create": 4, "read": 4, "list": 2}) as load:
        time.sleep(2)
        for svc in SERVICES:
            down = time.monotonic()
            plat.procs[svc].kill9()
            note(f"killed {svc} (kill -9)")
            time.sleep(3)
            up = time.monotonic()
            plat.start(svc)
            listening = time.monotonic() - up
            resumed = load.wait_success(up, limit=30)
            note(f"restarted {svc}: listening after {listening:.1f} s, creates succeed "
                 f"{'again after %.1f s' % resumed if resumed is not None else 'NOT within 30 s'}")
            outages.append((svc, down, up, listening, resumed))
            time.sleep(2)
    records = load.snapshot()
    # Each kill owns the answers from it to the next kill; the first one also
    # those before it, when nothing was down, so that none goes unjudged.
    starts = [float("-inf")] + [o[1] for o in outages[1:]]
    ends = starts[1:] + [float("inf")]
    for (svc, down, up, listening, resumed), start, end in zip(outages, starts, ends):
        window = [r for r in records if start <= r.t1 < end]
        failed = [r for r in window if not r.ans.ok]
        bad = [r for r in failed if not (r.status == 503 and r.problem)]
        ok = not bad and resumed is not None and resumed <= 5.0
        text = (f"{len(window)} requests, {len(failed)} failed "
                + ("(all 503 problem documents)" if not bad else
                   f"({len(bad)} not a 503 problem document: {by_status(bad)}; e.g. {examples(bad)})")
                + f"; restarted process listening after {listening:.1f} s, creates succeed "
                + (f"{resumed:.1f} s after the restart" if resumed is not None else "NOT within 30 s")
                + " (limit 5 s)")
        report.line(f"kill {svc}", ok, text)
    return lambda: verify_exactly_once(api, report, "kill", load.creates, outages[-1][1])


def retry_until_created(api, creates, deadline):
    """Retries each create with its own key and body until it answers 201 or
    the deadline passes. Meanwhile 503 and a 409 `idempotency-key-in-use` (a
    claim whose process died, until it is stale) are what a client should
    see; any other answer is kept in `wrong` (the first per create), and the
    create is retried all the same, to learn whether it ends as one account."""
    pending, wrong = list(creates), {}
    while pending and time.monotonic() < deadline:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(api.create, pending))
        still = []
        for c, ans in zip(pending, answers):
            if ans.status == 201:
                continue
            still.append(c)
            expected = ans.status == 503 or (
                ans.status == 409 and ans.problem_type().endswith("idempotency-key-in-use"))
            if not expected and c.name not in wrong:
                wrong[c.name] = (c, ans)
        pending = still
        if pending:
            time.sleep(2)
    return pending, list(wrong.values())


def verify_exactly_once(api, report, tag, creates, since):
    """Every create of the load exists exactly once: the acknowledged ones
    can be read, the failed ones become one account each when retried with
    their Idempotency-Key, and the list holds no account nobody was told of."""
    started = time.monotonic()
    acknowledged = [c for c in creates if c.customer_id]
    failed = [c for c in creates if not c.customer_id]
    # A dead process's claim is taken over after STALE_AFTER, and a create
    # undone only in part is finished by account-svc's sweep (every 30 s,
    # for what is 2 minutes old): both are over this long after the last kill.
    pending, wrong = retry_until_created(api, failed, since + STALE_AFTER + 45)
    retried = time.monotonic() - started
    unreadable = []
    for c in creates:
        if c.customer_id:
            ans = api.get_path(f"/v1/api/accounts/{c.customer_id}")
            if ans.status != 200 or ans.json().get("userName") != c.name:
                unreadable.append(f"{c.name}: {ans.describe()}")
    listed = {}
    for item in api.list_all():
        if str(item.get("userName", "")).startswith(f"{tag}-"):
            listed.setdefault(item["userName"], []).append(item["customerID"])
    expected = {c.name: c.customer_id for c in creates if c.customer_id}
    doubles = [n for n, ids in listed.items() if len(ids) > 1]
    unacknowledged = sorted(set(listed) - set(expected))
    missing = sorted(set(expected) - set(listed))
    other_id = [n for n, ids in listed.items() if n in expected and expected[n] not in ids]
    fs = api.get_path("/v2/api/accounts/failedSetups?take=1000")  # v2 only
    failed_setups = len(fs.json().get("items", [])) if fs.status == 200 else None
    problems = []
    if pending:
        problems.append(f"{len(pending)} retries still not created: {[c.name for c in pending][:5]}")
    if wrong:
        problems.append(f"{len(wrong)} retries answered neither 201, 503 nor 409 key-in-use "
                        f"({sum(1 for c, _ in wrong if c.customer_id)} of them created later): "
                        + "; ".join(f"{c.name} {a.describe()}" for c, a in wrong[:3]))
    for what, names in [("unreadable", unreadable), ("listed twice", doubles),
                        ("listed but never acknowledged", unacknowledged),
                        ("acknowledged but not listed", missing),
                        ("listed under another id than acknowledged", other_id)]:
        if names:
            problems.append(f"{len(names)} {what}: {names[:5]}")
    if failed_setups:
        problems.append(f"{failed_setups} failed setups appeared")
    report.line(
        f"{tag}: every create exactly once", not problems,
        f"{len(acknowledged)} creates answered 201 under load, {len(failed)} failed and were "
        f"retried with their Idempotency-Key ({len(failed) - len(pending)} created, "
        f"{retried:.0f} s, some wait out a dead process's claim of {STALE_AFTER:.0f} s); "
        f"{len(listed)} listed, {sum(len(v) for v in listed.values()) - len(listed)} doubles, "
        f"{len(unacknowledged)} never acknowledged; failed setups: "
        f"{failed_setups if failed_setups is not None else 'n/a'}"
        + ("; " + "; ".join(problems) if problems else ""))


def redis_ping(url):
    return run(["redis-cli", "-u", url, "ping"]).stdout.strip() == "PONG"


def check_redis(plat, api, report, workers):
    """Redis shut down for 10 s under reads and creates: the gateway falls
    back to in-process state, so nothing may fail, during or after."""
    with Load(api, workers, "redis", {"create": 3, "read": 5, "list": 2}) as load:
        time.sleep(2)
        down = time.monotonic()
        run(["redis-cli", "-u", plat.redis_url, "shutdown", "nosave"])
        try:
            while redis_ping(plat.redis_url) and time.monotonic() < down + 5:
                time.sleep(0.1)
            note("Redis stopped")
            time.sleep(10)
        finally:
            # Whatever happened, Redis comes back: others may depend on it.
            os.makedirs("/var/lib/redis", exist_ok=True)
            os.makedirs("/var/log/redis", exist_ok=True)
            started = run(REDIS_START)
            for _ in range(100):
                if redis_ping(plat.redis_url):
                    break
                time.sleep(0.1)
        up = time.monotonic()
        note(f"Redis started again ({started.stderr.strip() or 'ok'})")
        time.sleep(5)
    records = load.snapshot()
    during = [r for r in records if down <= r.t1 < up]
    after = [r for r in records if r.t1 >= up]
    errors = [r for r in records if not r.ans.ok]
    fivexx = [r for r in errors if r.status >= 500 or r.status == 0]
    creates = sum(1 for r in during if r.op == "create" and r.ans.ok)
    report.line(
        "redis down 10 s", not errors and creates > 0,
        f"{len(during)} requests while down ({creates} creates answered 201), {len(after)} after; "
        f"5xx: {len(fivexx)}, other errors: {len(errors) - len(fivexx)}"
        + (f" ({by_status(errors)}; e.g. {examples(errors)})" if errors else ""))


def check_postgres(plat, api, report, workers):
    """PostgreSQL restarted under load: creates succeed again within 10 s
    of it being back, and every acknowledged create is there."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    with Load(api, workers, "pg", {"create": 4, "read": 4, "list": 2}) as load:
        time.sleep(2)
        down = time.monotonic()
        try:
            out = run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"])
        finally:
            for _ in range(300):
                if run(["pg_isready", "-q", "-d", plat.db_url]).returncode == 0:
                    break
                time.sleep(0.1)
        back = time.monotonic()
        note(f"PostgreSQL restarted in {back - down:.1f} s "
             f"({'rc %d %s' % (out.returncode, out.stderr.strip()) if out.returncode else 'ok'})")
        resumed = load.wait_success(back, limit=30)
        time.sleep(2)
    records = load.snapshot()
    errors = [r for r in records if not r.ans.ok]
    acknowledged = [c for c in load.creates if c.customer_id]
    missing = [c.name for c in acknowledged
               if api.get_path(f"/v1/api/accounts/{c.customer_id}").status != 200]
    ok = out.returncode == 0 and resumed is not None and resumed <= 10.0 and not missing
    report.line(
        "postgres restart", ok,
        f"down and back in {back - down:.1f} s; creates succeed "
        + (f"{resumed:.1f} s after it is back" if resumed is not None else "NOT within 30 s")
        + f" (limit 10 s); {len(records)} requests, errors: {by_status(errors)}; "
        f"{len(acknowledged) - len(missing)}/{len(acknowledged)} acknowledged creates present"
        + (f"; missing: {missing[:5]}" if missing else ""))


def check_lock(plat, api, report, _workers):
    """account.customer held under an ACCESS EXCLUSIVE lock longer than the
    gateway's deadline: the create answers 504 at the deadline (the gateway,
    not the client, gives up), and creates succeed once it is released."""
    deadline_s = 3
    held = deadline_s + 4
    table = f"{plat.prefix}account.customer"  # account-svc/migrations/0001_customer.sql
    plat.procs["gateway"].stop()
    plat.start("gateway", REQUEST_TIMEOUT_SECONDS=str(deadline_s))
    locker = None
    try:
        locker = subprocess.Popen(
            ["psql", plat.db_url, "-qc",
             f"BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep({held}); COMMIT;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        granted = False
        for _ in range(100):
            q = plat.psql("select count(*) from pg_locks l join pg_class c on c.oid = l.relation "
                          "join pg_namespace n on n.oid = c.relnamespace "
                          f"where n.nspname = '{plat.prefix}account' and c.relname = 'customer' "
                          "and l.mode = 'AccessExclusiveLock' and l.granted")
            if q.stdout.strip() == "1":
                granted = True
                break
            time.sleep(0.05)
        note(f"{table} locked for {held} s" if granted else "the lock was NOT granted")
        first = api.new_create("lock")
        t0 = time.monotonic()
        ans = api.create(first)
        took = time.monotonic() - t0
        locker.wait(timeout=held + 30)
        released = time.monotonic()
        note(f"lock released (psql rc {locker.returncode})")
        # Creates succeed again: the first fresh one, retried briefly.
        after, again = None, None
        while time.monotonic() < released + 10:
            c = api.new_create("lock")
            again = api.create(c)
            if again.status == 201:
                after = time.monotonic() - released
                break
            time.sleep(0.5)
        # The timed-out create, retried with its key, ends as one account.
        pending, wrong = retry_until_created(api, [first], time.monotonic() + 15)
        retried = ("created" if not pending else "NOT created within 15 s") + (
            f" (answered {wrong[0][1].describe()} on the way)" if wrong else "")
    finally:
        if locker and locker.poll() is None:
            locker.kill()
        plat.procs["gateway"].stop()
        plat.start("gateway")
    at_deadline = deadline_s - 0.25 <= took <= deadline_s + 1.5
    ok = (granted and ans.status == 504 and ans.problem() and at_deadline
          and after is not None and locker.returncode == 0)
    report.line(
        "lock held past the deadline", ok,
        f"REQUEST_TIMEOUT_SECONDS={deadline_s}, lock held {held} s: create answered "
        f"{ans.status}{' problem document' if ans.problem() else ' (NOT a problem document)'} "
        f"after {took:.2f} s; creates succeed "
        + (f"{after:.1f} s after the release" if after is not None else
           f"NOT within 10 s ({again.describe() if again else ''})")
        + f"; the 504'd create retried with its key: {retried}")


def check_rss(plat, api, report, _workers, count=100):
    """Peak RSS of each process while COUNT creates run at once."""
    pids = plat.pids()
    time.sleep(2)
    idle = {name: rss_kib(pid) for name, pid in pids.items()}
    creates = [api.new_create("rss") for _ in range(count)]
    with Sampler(pids) as sampler:
        t0 = time.monotonic()
        with ThreadPoolExecutor(count) as pool:
            answers = list(pool.map(api.create, creates))
        took = time.monotonic() - t0
        time.sleep(2)
    after = {name: rss_kib(pid) for name, pid in pids.items()}
    codes = [a.status for a in answers]
    ok201 = codes.count(201)
    report.line(
        f"rss, {count} concurrent creates", ok201 == count,
        f"{ok201} answered 201 in {took:.1f} s"
        + (f" (others: {sorted(set(codes) - {201})})" if ok201 != count else "")
        + "; MiB idle/peak/after: "
        + ", ".join(f"{n} {mib(idle[n])}/{mib(sampler.peak[n])}/{mib(after[n])}" for n in PROCESSES))


def check_overload(plat, api, report, _workers, connections=2000, per_connection=3, in_flight=64):
    """CONNECTIONS clients at once, each sending PER_CONNECTION reads on one
    keep-alive connection, at a gateway restarted with
    MAX_IN_FLIGHT_REQUESTS=IN_FLIGHT; /health/live polled meanwhile."""
    plat.procs["gateway"].stop()
    plat.start("gateway", MAX_IN_FLIGHT_REQUESTS=str(in_flight))
    port = plat.ports["gateway"]
    path = f"/v1/api/accounts/{api.root}"
    head = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {api.token}\r\n\r\n").encode()
    statuses, odd, failures = {}, [], []

    async def client():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as e:
            failures.append(f"connect: {e}")
            return
        try:
            for _ in range(per_connection):
                writer.write(head)
                await writer.drain()
                status_line = await reader.readline()
                status = int(status_line.split()[1])
                headers = {}
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    k, _, v = line.decode().partition(":")
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                statuses[status] = statuses.get(status, 0) + 1
                if status == 503 and not (headers.get("content-type", "").startswith(
                        "application/problem+json") and headers.get("retry-after")):
                    odd.append(f"503 without problem/Retry-After: {headers} {body[:80]!r}")
                elif status not in (200, 503):
                    odd.append(f"{status}: {body[:120]!r}")
                if headers.get("connection", "").lower() == "close":
                    break
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
            failures.append(f"{type(e).__name__}: {e}")
        finally:
            writer.close()

    probes = []

    def probe(stop):
        while not stop.is_set():
            t0 = time.monotonic()
            ans = call(f"http://127.0.0.1:{port}/health/live", timeout=10)
            probes.append((ans.status, time.monotonic() - t0))
            time.sleep(0.1)

    async def crowd():
        await asyncio.gather(*(client() for _ in range(connections)))

    stop = threading.Event()
    prober = threading.Thread(target=probe, args=(stop,))
    prober.start()
    t0 = time.monotonic()
    asyncio.run(crowd())
    took = time.monotonic() - t0
    stop.set()
    prober.join()
    after = api.get_path(path)
    live_bad = [p for p in probes if p[0] != 200]
    slowest = max((p[1] for p in probes), default=0.0)
    shed = statuses.get(503, 0)
    ok = (not odd and not failures and not live_bad and shed > 0
          and statuses.get(200, 0) > 0 and after.status == 200)
    report.line(
        f"overload, {connections} connections at {in_flight} in flight", ok,
        f"{sum(statuses.values())} answers in {took:.1f} s: {statuses}"
        + (f"; other answers e.g. {odd[:2]}" if odd else "")
        + (f"; {len(failures)} broken connections e.g. {failures[:2]}" if failures else "")
        + f"; /health/live {len(probes) - len(live_bad)}/{len(probes)} answered 200, slowest {slowest * 1000:.0f} ms"
        + f"; afterwards a read answers {after.status}")
    plat.procs["gateway"].stop()
    plat.start("gateway")


def soak(plat, api, report, workers, minutes):
    """A mixed workload for MINUTES: errors by status, RSS start/peak/end."""
    with ThreadPoolExecutor(workers) as pool:  # something to read from the start
        list(pool.map(api.create, [api.new_create("soak") for _ in range(20)]))
    pids = plat.pids()
    start = {name: rss_kib(pid) for name, pid in pids.items()}
    t0 = time.monotonic()
    with Sampler(pids) as sampler, \
            Load(api, workers, "soak", {"read": 7, "list": 2, "create": 1}) as load:
        for minute in range(1, minutes + 1):
            time.sleep(max(0.0, t0 + 60 * minute - time.monotonic()))
            records = load.snapshot()
            note(f"soak {minute}/{minutes} min: {len(records)} requests "
                 f"({by_status(records)}); MiB "
                 + ", ".join(f"{n} {mib(rss_kib(p))}" for n, p in pids.items()))
    records = load.snapshot()
    end = {name: rss_kib(pid) for name, pid in pids.items()}
    errors = [r for r in records if not r.ans.ok]
    took = time.monotonic() - t0
    report.line(
        f"soak {minutes} min", not errors,
        f"{len(records)} requests ({len(records) / took:.1f}/s; "
        + ", ".join(f"{op} {sum(1 for r in records if r.op == op)}" for op in ["read", "list", "create"])
        + f"), by status: {by_status(records)}"
        + (f"; e.g. {examples(errors)}" if errors else ""))
    for name in PROCESSES:
        growth = (end[name] - start[name]) * 100 / max(start[name], 1)
        print(f"     {name:12} RSS MiB start {mib(start[name])}, peak {mib(sampler.peak[name])}, "
              f"end {mib(end[name])} ({growth:+.0f}%)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=["debug", "release"], default="release",
                    help="the binaries under target/PROFILE (default release)")
    ap.add_argument("--only", default=",".join(CHECKS),
                    help=f"comma-separated checks among {','.join(CHECKS)} (default all)")
    ap.add_argument("--soak", type=int, nargs="?", const=10, metavar="MINUTES",
                    help="run the mixed soak workload instead of the checks (default 10 minutes)")
    ap.add_argument("--workers", type=int, default=4, help="concurrent clients of a load")
    ap.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"))
    args = ap.parse_args()
    only = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = set(only) - set(CHECKS)
    if unknown:
        ap.error(f"unknown checks {sorted(unknown)}; choose among {CHECKS}")

    scratch = tempfile.mkdtemp(prefix="bench-faults-")
    prefix = f"f{secrets.token_hex(5)}_"
    plat = Platform(args, scratch, prefix)
    report = Report()
    api = None
    note(f"scratch {scratch}, schema and key prefix {prefix}")
    try:
        plat.keygen()
        plat.configure()
        plat.start_all()
        api = Api(plat.base)
        api.login(*plat.bootstrap())
        if args.soak:
            soak(plat, api, report, args.workers, args.soak)
        else:
            later = []
            for name in CHECKS:
                if name in only:
                    note(f"check {name}")
                    finish = globals()[f"check_{name}"](plat, api, report, args.workers)
                    if finish:
                        later.append(finish)
            for finish in later:
                finish()
    except Exception as e:  # a broken setup or a check that could not run
        report.line("run", False, f"{type(e).__name__}: {e}")
    finally:
        plat.stop_all()
    took = time.monotonic() - START
    if report.failed:
        for proc in plat.procs.values():
            print(f"\n--- {proc.log} (last 40 lines)")
            sys.stdout.writelines(proc.tail())
        print(f"\nFAILED after {took:.0f} s; logs kept in {scratch}, schemas {prefix}* kept")
        sys.exit(1)
    plat.cleanup()
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"all passed in {took:.0f} s")


if __name__ == "__main__":
    main()
