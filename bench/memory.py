#!/usr/bin/env python3
"""Account creations under concurrency, and the memory the stack holds.

Starts the release all-in-one stack (target/release/stack) on embedded
storage in a scratch directory, or on PostgreSQL + Redis when DATABASE_URL
and REDIS_URL are set; creates accounts through the REST API with the
reference's v1 body, in rounds of (count, concurrency); samples the stack's
RSS every 50 ms. Prints idle, peak and after-each-round RSS, and the
creates per second. Standard library only.

    cargo build --release -p stack
    python3 bench/memory.py --rounds 300x16 300x64
"""

import argparse
import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rss_kib(pid):
    return status_kib(pid, "VmRSS")


def anon_kib(pid):
    """The process's own memory (heap, stacks): what would grow with work
    done. VmRSS also counts the executable's pages, which fill in as code
    paths run for the first time and are shared and reclaimable."""
    return status_kib(pid, "RssAnon")


def inspect(pid, label):
    """Where the process's anonymous memory is (`--inspect`): its thread
    count and its largest anonymous mappings, from /proc/PID/smaps."""
    threads = len(os.listdir(f"/proc/{pid}/task"))
    maps, current = [], None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):
                lo, hi = (int(x, 16) for x in fields[0].split("-"))
                current = {"size": (hi - lo) // 1024, "name": fields[5] if len(fields) > 5 else "",
                           "anon": 0}
                maps.append(current)
            elif fields[0] == "Anonymous:" and current is not None:
                current["anon"] = int(fields[1])
    maps.sort(key=lambda m: -m["anon"])
    total = sum(m["anon"] for m in maps)
    print(f"  {label}: {threads} threads, anonymous {total / 1024:.1f} MiB in "
          f"{sum(1 for m in maps if m['anon'])} mappings; largest:")
    for m in maps[:8]:
        print(f"    {m['anon'] / 1024:7.1f} MiB of a {m['size'] / 1024:.0f} MiB mapping {m['name']}")


def call(url, method="GET", body=None, headers=None, timeout=60):
    req = urllib.request.Request(url, method=method, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", nargs="+", default=["300x16", "300x64"],
                    help="COUNTxCONCURRENCY, run in order")
    ap.add_argument("--binary", default="target/release/stack")
    ap.add_argument("--port", type=int, default=18299)
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds to wait after a round before reading RSS")
    ap.add_argument("--inspect", action="store_true",
                    help="also print threads and the largest anonymous mappings")
    args = ap.parse_args()

    data = tempfile.mkdtemp(prefix="bench-memory-")
    client_id, secret = "bench-memory", secrets.token_hex(24)
    env = dict(os.environ, DATA_DIR=data, GATEWAY_ADDR=f"127.0.0.1:{args.port}",
               ACCOUNT_SVC_ADDR="127.0.0.1:0", CONTACT_SVC_ADDR="127.0.0.1:0",
               BILLING_SVC_ADDR="127.0.0.1:0", AUTH_SVC_ADDR="127.0.0.1:0",
               BOOTSTRAP_CLIENT_ID=client_id, BOOTSTRAP_CLIENT_SECRET=secret,
               RUST_LOG="warn")
    log = open(os.path.join(data, "stack.log"), "w")
    stack = subprocess.Popen([args.binary], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(120):
            try:
                if call(base + "/health/ready", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            sys.exit("the stack did not become ready")
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        status, body = call(base + "/oauth2/token", "POST", b"grant_type=client_credentials",
                            {"Authorization": f"Basic {basic}",
                             "Content-Type": "application/x-www-form-urlencoded"})
        token = json.loads(body)["access_token"]
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        root = json.loads(call(base + "/v1/api/me", headers=auth)[1])["customerID"]

        peak = [0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kib(stack.pid))
                time.sleep(0.05)

        threading.Thread(target=sample, daemon=True).start()
        time.sleep(args.settle)
        idle = rss_kib(stack.pid)
        idle_anon = anon_kib(stack.pid)
        print(f"idle RSS: {idle / 1024:.1f} MiB (anonymous {idle_anon / 1024:.1f} MiB)")
        if args.inspect:
            inspect(stack.pid, "idle")
        address = {"country": "United States", "state": "California", "city": "Anaheim",
                   "street": "104 South Anaheim Boulevard", "zip": "92805-6010"}
        n = [0]
        lock = threading.Lock()

        def create(_):
            with lock:
                n[0] += 1
                name = f"bench-{n[0]}-{secrets.token_hex(3)}"
            body = {"programs": ["account"],
                    "general": {"userName": name, "login": name, "password": "qwerty123!!!2133333",
                                "parentPartnerID": root, "name": "Test User",
                                "email": "test-user1@test.com"},
                    "company": {"name": "Company name", "phone": "123456789", "address": address},
                    "payment": {"name": " Company name ", "phone": "12365458789", "address": address,
                                "creditCard": {"type": "VISA", "cardNumber": "4111111111111111",
                                               "expirationDate": "04/38", "securityCode": "111"},
                                "type": "creditCard"},
                    "planName": "starter"}
            return call(base + "/v1/api/accounts", "POST", json.dumps(body).encode(), auth)[0]

        for spec in args.rounds:
            count, conc = (int(x) for x in spec.split("x"))
            started = time.monotonic()
            with ThreadPoolExecutor(conc) as pool:
                codes = list(pool.map(create, range(count)))
            took = time.monotonic() - started
            time.sleep(args.settle)
            ok = codes.count(201)
            others = sorted({c for c in codes if c != 201})
            print(f"{count} creates at {conc}: {ok} answered 201 {others or ''} in {took:.1f} s "
                  f"({ok / took:.1f}/s); RSS after {rss_kib(stack.pid) / 1024:.1f} MiB "
                  f"(anonymous {anon_kib(stack.pid) / 1024:.1f} MiB), "
                  f"peak so far {peak[0] / 1024:.1f} MiB")
        stop.set()
        final = rss_kib(stack.pid)
        final_anon = anon_kib(stack.pid)
        print(f"after all rounds: {final / 1024:.1f} MiB "
              f"({(final - idle) * 100 / max(idle, 1):+.0f}% of idle); anonymous "
              f"{final_anon / 1024:.1f} MiB ({(final_anon - idle_anon) * 100 / max(idle_anon, 1):+.0f}%); "
              f"peak {peak[0] / 1024:.1f} MiB")
        if args.inspect:
            inspect(stack.pid, "after")
    finally:
        stack.terminate()
        stack.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
