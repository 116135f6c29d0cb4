#!/usr/bin/env python3
"""A real Prometheus scrapes a real run, and what it recorded equals the results file.

Starts Debian's `prometheus` on loopback with a 1 s scrape interval and two jobs: `infermeter run`
(live metrics) and, once the run ended, `infermeter exporter --db` (stored runs). Then asks
Prometheus's HTTP API, never our own endpoint, and compares with SQLite:

- the live series were scraped while the run ran (several samples, in-flight above 0);
- counters and histogram counts/sums equal the stored requests (ok count, tokens, TTFT, E2E);
- the run's summary gauges (live, at its end, and from the exporter) equal its run_metrics;
- `infermeter_run_info` names the run's engine, model, status and validity;
- `promtool check metrics` finds nothing to lint in either exposition.

Usage: prometheus_scrape_test.py INFERMETER_BIN WORK_DIR
"""

import json
import math
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request

SCRAPE_INTERVAL_S = 1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def wait_until(what, predicate, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class Prometheus:
    def __init__(self, work, targets):
        self.port = free_port()
        config = os.path.join(work, "prometheus.yml")
        jobs = "".join(
            f"  - job_name: {job}\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
            for job, port in targets.items())
        with open(config, "w") as f:
            f.write(f"global:\n  scrape_interval: {SCRAPE_INTERVAL_S}s\n"
                    f"  scrape_timeout: {SCRAPE_INTERVAL_S}s\nscrape_configs:\n{jobs}")
        self.log = open(os.path.join(work, "prometheus.log"), "w")
        self.process = subprocess.Popen(
            ["prometheus", f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(work, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until("Prometheus to be ready",
                   lambda: "Ready" in http_get(f"http://127.0.0.1:{self.port}/-/ready"), 60)

    def query(self, promql):
        url = (f"http://127.0.0.1:{self.port}/api/v1/query?" +
               urllib.parse.urlencode({"query": promql}))
        body = json.loads(http_get(url))
        assert body["status"] == "success", body
        return body["data"]["result"]

    def value(self, promql):
        result = self.query(promql)
        assert len(result) == 1, f"{promql}: expected one series, got {result}"
        return float(result[0]["value"][1])

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def check_equal(what, got, expected, rel=1e-9):
    if not math.isclose(got, expected, rel_tol=rel, abs_tol=1e-12):
        raise AssertionError(f"{what}: Prometheus has {got!r}, the results file {expected!r}")
    print(f"ok  {what}: {got!r}")


def lint(url):
    scrape = http_get(url)
    result = subprocess.run(["promtool", "check", "metrics"], input=scrape, text=True,
                            capture_output=True)
    problems = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and not problems, f"promtool check metrics on {url}:\n{problems}"
    print(f"ok  promtool check metrics {url}")


def main():
    binary, work = sys.argv[1], sys.argv[2]
    for tool in ("prometheus", "promtool"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed: scripts/bootstrap installs Debian's 'prometheus'")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    db = os.path.join(work, "runs.db")
    run_port, stored_port = free_port(), free_port()
    prometheus = Prometheus(work, {"run": run_port, "stored": stored_port})
    children = []
    try:
        # Long enough for several scrapes while requests are in flight.
        run = subprocess.Popen(
            [binary, "run", "--db", db, "--workload", "synthetic", "--requests", "48",
             "--concurrency", "4", "--input-tokens", "96", "--output-tokens", "24",
             "--slo", "ttft=60000,e2e=120000", "--no-progress", "--no-engine-warmup",
             # One compute thread: on a 2-core machine an engine on every core starves the
             # endpoint's threads past the 1 s scrape timeout (docs/PROMETHEUS.md says so).
             "--threads", "1", "--sample-interval", "0.5",
             "--metrics-addr", f"127.0.0.1:{run_port}", "--metrics-linger-s", "4"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        children.append(run)
        wait_until("the run's metrics endpoint",
                   lambda: "infermeter_run_info" in http_get(
                       f"http://127.0.0.1:{run_port}/metrics"), 120)
        wait_until("the run to end",
                   lambda: 'status="completed"' in http_get(
                       f"http://127.0.0.1:{run_port}/metrics"), 240)
        lint(f"http://127.0.0.1:{run_port}/metrics")
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, f"infermeter run failed ({run.returncode}):\n{out}\n{err}"

        exporter = subprocess.Popen(
            [binary, "exporter", "--db", db, "--addr", f"127.0.0.1:{stored_port}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        children.append(exporter)
        wait_until("the exporter's endpoint",
                   lambda: "infermeter_run_info" in http_get(
                       f"http://127.0.0.1:{stored_port}/metrics"), 30)
        lint(f"http://127.0.0.1:{stored_port}/metrics")
        # Two scrape intervals, so Prometheus has the exporter's series.
        wait_until("Prometheus to scrape the exporter",
                   lambda: prometheus.query('infermeter_run_info{job="stored"}'), 30)

        stored = sqlite3.connect(db)
        (run_id,) = stored.execute("select id from runs").fetchone()
        sel = f'{{job="run",run_id="{run_id}"}}'

        def last(metric, selector=sel):
            # Range selections skip the staleness markers Prometheus writes when the run's
            # process went away, so the last scraped value is still there.
            return prometheus.value(f"last_over_time({metric}{selector}[10m])")

        # Scraped while running: several scrapes saw the run as running, with requests in flight.
        failed = prometheus.value('sum(count_over_time((up{job="run"} == 0)[10m:1s])) or vector(0)')
        running = prometheus.value(
            f'sum(count_over_time(infermeter_run_info{{job="run",run_id="{run_id}",'
            f'status="running"}}[10m])) or vector(0)')
        assert running >= 2, (f"only {running:.0f} scrapes while the run ran "
                              f"({failed:.0f} scrape(s) of the run's endpoint failed)")
        print(f"ok  {running:.0f} scrapes while the run ran")
        in_flight = prometheus.value(f"max_over_time(infermeter_requests_in_flight{sel}[10m])")
        assert in_flight > 0, "no scrape saw a request in flight"
        print(f"ok  up to {in_flight:.0f} requests in flight, as scraped")

        def one(sql):
            return stored.execute(sql, (run_id,)).fetchone()[0]

        ok = one("select count(*) from requests where run_id=? and status='ok'")
        check_equal("completed requests", last("infermeter_requests_total",
                                               f'{{job="run",run_id="{run_id}",status="ok"}}'), ok)
        check_equal("output tokens", last("infermeter_output_tokens_total"),
                    one("select sum(output_tokens) from requests where run_id=? and status='ok'"))
        check_equal("input tokens", last("infermeter_input_tokens_total"),
                    one("select sum(input_tokens) from requests where run_id=? and status='ok'"))

        def metric(name):
            return one(f"select value from run_metrics where run_id=? and name='{name}'")

        check_equal("TTFT histogram count", last("infermeter_time_to_first_token_seconds_count"),
                    metric("ttft_count"))
        check_equal("TTFT histogram sum", last("infermeter_time_to_first_token_seconds_sum"),
                    metric("ttft_mean_ms") * metric("ttft_count") / 1e3, rel=1e-6)
        check_equal("E2E histogram sum", last("infermeter_e2e_request_latency_seconds_sum"),
                    metric("e2e_mean_ms") * metric("e2e_count") / 1e3, rel=1e-6)
        check_equal("ITL histogram count (tokens)",
                    last("infermeter_inter_token_latency_seconds_count"), metric("itl_count"))
        check_equal("good requests", last("infermeter_good_requests_total"),
                    metric("good_requests"))
        check_equal("FLOPs", last("infermeter_flops_total"), metric("flops_total"))
        # histogram_quantile works on what was scraped: the median TTFT lies within a bucket of
        # the exact one.
        median = prometheus.value(
            f"histogram_quantile(0.5, max_over_time("
            f"infermeter_time_to_first_token_seconds_bucket{sel}[10m]))")
        assert 0 < median < 10 * metric("ttft_p50_ms") / 1e3, median
        print(f"ok  histogram_quantile(0.5) of TTFT: {median} s "
              f"(exact p50 {metric('ttft_p50_ms') / 1e3} s)")

        # Summary gauges: from the run at its end and from the exporter, equal to run_metrics.
        for job in ("run", "stored"):
            job_sel = f'{{job="{job}",run_id="{run_id}"}}'
            check_equal(f"{job}: output tokens/s", last("infermeter_run_output_tokens_per_second",
                                                        job_sel), metric("output_tokens_per_s"))
            check_equal(f"{job}: TTFT p99",
                        last("infermeter_run_ttft_seconds",
                             f'{{job="{job}",run_id="{run_id}",stat="p99"}}'),
                        metric("ttft_p99_ms") / 1e3)
            check_equal(f"{job}: KV peak bytes", last("infermeter_run_kv_peak_bytes", job_sel),
                        metric("kv_bytes_peak"))
            # Over the run's life `status` went from running to completed: two series in the
            # range, the live job's "running" one scraped while it ran.
            info = prometheus.query(f"last_over_time(infermeter_run_info{job_sel}[10m])")
            statuses = sorted(series["metric"]["status"] for series in info)
            assert statuses == (["completed", "running"] if job == "run" else ["completed"]), info
            info = [series for series in info if series["metric"]["status"] != "running"]
            labels = info[0]["metric"]
            assert labels["engine"] == "reference" and labels["model"] == "v4-mini", labels
            assert labels["status"] == "completed" and labels["validity"] == "valid", labels
            print(f"ok  {job}: infermeter_run_info {labels}")
            summary = prometheus.value(f"count(last_over_time({{job=\"{job}\","
                                       f"run_id=\"{run_id}\",__name__=~\"infermeter_run_.+\","
                                       f"__name__!~\"infermeter_run_(info|start_time_seconds|"
                                       f"end_time_seconds)\"}}[10m]))")
            check_equal(f"{job}: summary series, one per run_metrics row", summary,
                        one("select count(*) from run_metrics where run_id=?"))
        print("PASS")
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
        prometheus.stop()


if __name__ == "__main__":
    main()
