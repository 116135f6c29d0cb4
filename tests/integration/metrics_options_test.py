#!/usr/bin/env python3
"""`--metrics-addr`, `--no-metrics` and the metrics port's failure modes, on the real binary.

- a malformed address, or --no-metrics with --metrics-addr, fails before anything is recorded;
- an address that was asked for and is taken fails before the engine loads, naming the address;
- when only the default address is taken, the run goes on without live metrics and says so;
- `infermeter serve` serves its engine's state on the metrics address.

Usage: metrics_options_test.py INFERMETER_BIN WORK_DIR
"""

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

SMALL_RUN = ["--workload", "synthetic", "--requests", "2", "--concurrency", "2",
             "--input-tokens", "16", "--output-tokens", "4", "--no-progress",
             "--no-engine-warmup"]


def run(binary, *args, timeout=180):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout)


def runs_in(db):
    if not os.path.exists(db):
        return 0
    with sqlite3.connect(db) as c:
        return c.execute("select count(*) from runs").fetchone()[0]


def expect(condition, message, result=None):
    if not condition:
        details = f"\nexit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}" \
            if result else ""
        raise AssertionError(message + details)
    print("ok ", message)


def main():
    binary, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    db = os.path.join(work, "runs.db")

    r = run(binary, "run", "--db", db, *SMALL_RUN, "--metrics-addr", "localhost")
    expect(r.returncode == 1 and "--metrics-addr" in r.stderr and "HOST:PORT" in r.stderr,
           "a malformed --metrics-addr is refused, naming the option and the form", r)
    r = run(binary, "run", "--db", db, *SMALL_RUN, "--metrics-addr", "127.0.0.1:70000")
    expect(r.returncode == 1 and "0 to 65535" in r.stderr, "a port out of range is refused", r)
    r = run(binary, "run", "--db", db, *SMALL_RUN, "--no-metrics", "--metrics-addr",
            "127.0.0.1:0")
    expect(r.returncode == 1 and "--no-metrics" in r.stderr,
           "--no-metrics with --metrics-addr is refused", r)
    expect(runs_in(db) == 0, "nothing was recorded by the refused commands")

    # A port that is taken: by us, listening, for the rest of the test.
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        r = run(binary, "run", "--db", db, *SMALL_RUN, "--metrics-addr", f"127.0.0.1:{port}")
        expect(r.returncode == 1 and f"127.0.0.1:{port}" in r.stderr and
               "cannot serve metrics" in r.stderr,
               "an address that was asked for and is taken is an error naming it", r)
        expect(runs_in(db) == 0, "and nothing was recorded")
        print(f"    (failed after {time.monotonic() - started:.1f} s)")

    # The default address taken (by a second run's endpoint) only turns live metrics off.
    holder = subprocess.Popen([binary, "exporter", "--db", db, "--addr", "127.0.0.1:9464"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        r = run(binary, "run", "--db", db, *SMALL_RUN)
        default_taken = holder.poll() is None  # else 9464 was already taken by something else
        expect(r.returncode == 0, "a run whose default metrics port is taken still runs", r)
        if default_taken:
            expect("live metrics are off" in r.stderr and "127.0.0.1:9464" in r.stderr,
                   "and says that live metrics are off, and why", r)
        expect(runs_in(db) == 1, "and is recorded")
    finally:
        holder.terminate()
        holder.wait(timeout=20)

    r = run(binary, "run", "--db", db, *SMALL_RUN, "--no-metrics")
    expect(r.returncode == 0 and "serving metrics" not in r.stderr,
           "--no-metrics serves nothing", r)

    # serve: the engine's own state on the metrics address.
    serve = subprocess.Popen([binary, "serve", "--port", "0", "--metrics-addr", "127.0.0.1:0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = serve.stderr.readline()
        deadline = time.monotonic() + 120
        while "serving metrics at" not in line and time.monotonic() < deadline:
            line = serve.stderr.readline()
        expect("serving metrics at http://127.0.0.1:" in line, f"serve says where: {line.strip()}")
        url = line.split("serving metrics at ")[1].strip()
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode()
        expect('infermeter_engine_kv_cache_capacity_bytes{model="v4-mini"}' in body and
               "infermeter_engine_generated_tokens_total" in body,
               "serve exports the engine's KV cache and token counters")
        # Anything but GET /metrics gets an HTTP error and the process goes on serving (Debian's
        # civetweb crashed writing its own error pages: one browser tab on / ended the run).
        base = url[:-len("/metrics")]
        for method, path, status in (("GET", "/", 404), ("POST", "/metrics", 405),
                                     ("HEAD", "/metrics", 405), ("GET", "/metrics/x", 404)):
            try:
                urllib.request.urlopen(urllib.request.Request(base + path, method=method),
                                       timeout=10)
                got = 200
            except urllib.error.HTTPError as error:
                got = error.code
            expect(got == status, f"{method} {path} is answered {status}, got {got}")
        with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1]))) as raw:
            raw.sendall(b"garbage\r\n\r\n")
            expect(raw.recv(64).startswith(b"HTTP/1.1 400"), "a malformed request is answered 400")
        expect(serve.poll() is None, "and serve is still running")
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode()
        check = subprocess.run(["promtool", "check", "metrics"], input=body, text=True,
                               capture_output=True)
        expect(check.returncode == 0 and not (check.stdout + check.stderr).strip(),
               f"promtool finds nothing to lint in serve's metrics {check.stdout}{check.stderr}")
    finally:
        serve.terminate()
        serve.wait(timeout=30)
    print("PASS")


if __name__ == "__main__":
    main()
