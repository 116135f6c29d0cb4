#!/usr/bin/env python3
"""`infermeter compare` end to end, every figure checked against an independent computation.

On the dashboard's fixture results file (tests/gui/fixture_db.h: runs 1 and 4 are the same
1,500-request chat workload on 8 x H100 and 8 x Ascend 910B3, run 2 another workload, run 3
INVALID, run 6 still running) and on a real `infermeter run --repeat 3`:

(a) every value is the figure stored in run_metrics, every ratio value4 / value1, the baseline has
    no ratio interval, `significant` says whether the ratio's interval excludes 1;
(b) TTFT, TPOT and E2E percentiles and means, output tokens/s and the good fraction, recomputed
    with numpy from the raw `requests` / `request_chunks` rows, are the JSON's values;
(c) bootstrap intervals recomputed with numpy (8000 resamples of the requests with replacement,
    percentile interval; moving blocks of 1 s buckets for a rate; for the ratio of two runs of
    one workload, the same requests drawn from both) agree with infermeter's;
(d) runs of different workloads are refused (exit 3, the differences on stderr, nothing on
    stdout) unless --force, which lists them in the JSON;
(e) CSV (one line per figure and subject) and Markdown;
(f) bad input: an unknown run, a baseline not compared, a --metrics glob matching nothing, ...;
(g) a repeat group's column is the mean of its runs' stored figures, with their CV.

Usage: compare_cli_test.py INFERMETER_BIN MAKE_DASHBOARD_FIXTURE_BIN WORK_DIR
Needs numpy (Debian's python3-numpy).
"""

import csv
import io
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import numpy as np

BASE, OTHER = 1, 4          # the fixture's chat runs: h100 (baseline) and ascend
OTHER_WORKLOAD = 2          # agentic
INVALID_RUN, RUNNING_RUN = 3, 6
SEED = 7
RESAMPLES = 10000           # infermeter's (about 1.5 s on 2 cores)
NUMPY_RESAMPLES = 8000      # ours
NUMPY_SEED = 20240607
BAND_STANDARD_ERRORS = 5    # check_intervals

# Nearest-rank percentiles, as the harness computes them (harness/src/distribution.cpp,
# docs/METRICS.md): pXX is the smallest value with at least XX% of the sample at or below it,
# sorted[ceil(q * n) - 1], with q the exact fraction num/den (integer arithmetic, no
# interpolation). numpy's own np.percentile interpolates by default, so it is not used.
QUANTILES = {"p50": (50, 100), "p90": (90, 100), "p95": (95, 100), "p99": (99, 100),
             "p99_9": (999, 1000)}


def nearest_rank_index(n, num, den):
    return (num * n + den - 1) // den - 1


def nearest_rank(values, num, den):
    s = np.sort(np.asarray(values, dtype=float))
    return s[nearest_rank_index(len(s), num, den)]


def run(binary, *args, timeout=120):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout)


def expect(condition, message, result=None):
    if not condition:
        details = f"\nexit {result.returncode}\nstdout:\n{result.stdout[-3000:]}\n" \
                  f"stderr:\n{result.stderr[-3000:]}" if result else ""
        raise AssertionError(message + details)
    print("ok ", message)


def close(a, b, rel=1e-12):
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


# --- reading the results file directly (docs/RESULTS.md) -------------------------------------

def decode_chunks(blob, sent_ns):
    """docs/RESULTS.md, "Chunk encoding, format 1": (time_ns, tokens) per chunk."""
    assert blob[0] == 1, "unknown chunk format"
    chunks, pos, t = [], 1, sent_ns

    def varint():
        nonlocal pos
        value = shift = 0
        while True:
            b = blob[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return value
    while pos < len(blob):
        head = varint()
        t += head >> 1
        chunks.append((t, varint() if head & 1 else 1))
    return chunks


def load_requests(db, run_id):
    """The run's requests in request_id order, with their chunks and per-request figures as
    docs/METRICS.md defines them."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        rows = c.execute(
            "SELECT r.request_id, r.scheduled_ns, r.sent_ns, r.done_ns, r.output_tokens, "
            "r.status, k.data FROM requests r LEFT JOIN request_chunks k "
            "ON k.run_id = r.run_id AND k.request_id = r.request_id "
            "WHERE r.run_id = ? ORDER BY r.request_id", (run_id,)).fetchall()
    requests = []
    for request_id, scheduled, sent, done, output, status, blob in rows:
        chunks = decode_chunks(blob, sent if sent is not None else scheduled) if blob else []
        token_times = [t for t, k in chunks if k > 0]
        r = {"id": request_id, "sent": sent, "scheduled": scheduled, "done": done,
             "output": output, "status": status, "chunks": chunks,
             "ttft": None, "e2e": None, "tpot": None}
        # When the request stopped occupying the engine: its last chunk or done, the later.
        ends = [t for t in (done, chunks[-1][0] if chunks else None) if t is not None]
        r["end"] = max(ends) if ends else None
        if status == "ok" and sent is not None:
            if token_times:
                r["ttft"] = (token_times[0] - sent) / 1e6           # first token chunk - sent
                r["e2e"] = (token_times[-1] - sent) / 1e6           # last token chunk - sent
                if output >= 2:                                      # (last - first) / (N - 1)
                    r["tpot"] = (token_times[-1] - token_times[0]) / 1e6 / (output - 1)
            elif done is not None:
                r["e2e"] = (done - sent) / 1e6
        requests.append(r)
    return requests


def stored_metrics(db, run_id):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        return dict(c.execute("SELECT name, value FROM run_metrics WHERE run_id = ?", (run_id,)))


def by_metric(doc):
    return {f["metric"]: f for f in doc["figures"]}


# --- (a) values and ratios --------------------------------------------------------------------

# Figures compare derives from output_tokens_per_s and the run's hardware, as row_specs.cpp
# documents them: what each divides by, from the run's stored figures.
def derived_value(metric, stored, devices):
    ots = stored["output_tokens_per_s"]
    if metric == "output_tokens_per_s_per_device":
        return ots / devices
    if metric == "output_tokens_per_s_per_peak_pflops":
        return ots / (stored["achieved_flops_per_s"] / stored["mfu"] / 1e15)
    if metric == "output_tokens_per_s_per_peak_tbps":
        return ots / (stored["achieved_memory_bytes_per_s"] / stored["mbu"] / 1e12)
    if metric == "output_tokens_per_s_per_w":
        return ots / (stored.get("gpu_power_mean_w", 0) + stored.get("npu_power_mean_w", 0))
    raise AssertionError(f"unexpected derived figure {metric}")


def check_values_and_ratios(doc, db):
    stored = [stored_metrics(db, BASE), stored_metrics(db, OTHER)]
    expect([s["run_ids"] for s in doc["subjects"]] == [[BASE], [OTHER]] and doc["baseline"] == 0,
           "(a) two single-run columns, the first the baseline")
    stored_rows = derived_rows = 0
    for f in doc["figures"]:
        m = f["metric"]
        values = [cell["value"] for cell in f["values"]]
        if m in stored[0] or m in stored[1]:
            stored_rows += 1
            for i in (0, 1):
                # A figure only one run stored (GPU vs NPU energy) is empty for the other.
                if values[i] != stored[i].get(m):
                    raise AssertionError(f"{m} of run {(BASE, OTHER)[i]}: {values[i]} in the "
                                         f"JSON, {stored[i].get(m)} in run_metrics")
        else:
            derived_rows += 1
            for i in (0, 1):
                want = derived_value(m, stored[i], 8)
                if not close(values[i], want):
                    raise AssertionError(f"{m}: {values[i]}, expected {want}")
        base, other = f["values"]
        if base["ratio_ci_low"] is not None or base["significant"] is not None:
            raise AssertionError(f"{m}: the baseline has a ratio interval or a verdict: {base}")
        if base["ratio"] is not None and base["ratio"] != 1:
            raise AssertionError(f"{m}: the baseline's ratio is {base['ratio']}")
        if values[0] is None or values[1] is None:
            if other["ratio"] is not None:
                raise AssertionError(f"{m}: a ratio without both values")
        elif values[0] != 0:
            if not close(other["ratio"], values[1] / values[0], 1e-15):
                raise AssertionError(f"{m}: ratio {other['ratio']}, expected "
                                     f"{values[1]} / {values[0]}")
        elif other["ratio"] is not None:
            raise AssertionError(f"{m}: a ratio to a baseline of 0")
        if other["ratio_ci_low"] is not None:
            significant = other["ratio_ci_low"] > 1 or other["ratio_ci_high"] < 1
            if other["significant"] is not significant:
                raise AssertionError(f"{m}: significant={other['significant']} but the ratio's "
                                     f"interval is [{other['ratio_ci_low']}, "
                                     f"{other['ratio_ci_high']}]")
        for cell in f["values"]:
            if cell["ci_low"] is not None and not \
                    cell["ci_low"] <= cell["value"] <= cell["ci_high"]:
                raise AssertionError(f"{m}: {cell['value']} outside its interval "
                                     f"[{cell['ci_low']}, {cell['ci_high']}]")
    names = set(stored[0]) | set(stored[1])
    expect(stored_rows == len(names),
           f"(a) all {len(names)} figures stored by runs {BASE} and {OTHER} are rows with their "
           "stored values, ratios value4 / value1, intervals containing the values")
    expect(derived_rows >= 4, f"(a) {derived_rows} normalised figures (per device, per peak "
           "FLOP/s, per peak TB/s, per W) from the stored figures")
    f = by_metric(doc)
    expect(f["ttft_p50_ms"]["values"][1]["significant"] is True
           and f["ttft_p50_ms"]["values"][1]["ratio"] > 1.5,
           "(a) Ascend's TTFT p50 is significantly higher")


# --- (b) latency figures from the raw rows ------------------------------------------------------

def check_recomputed_figures(doc, requests):
    f = by_metric(doc)
    for column, run_id in ((0, BASE), (1, OTHER)):
        reqs = requests[run_id]
        checked = []
        for family in ("ttft", "tpot", "e2e"):
            sample = np.array([r[family] for r in reqs if r[family] is not None])
            expected = {f"{family}_{name}_ms": nearest_rank(sample, *q)
                        for name, q in QUANTILES.items()}
            expected[f"{family}_mean_ms"] = float(np.mean(sample))
            expected[f"{family}_min_ms"] = float(sample.min())
            expected[f"{family}_max_ms"] = float(sample.max())
            for metric, want in expected.items():
                got = f[metric]["values"][column]["value"]
                exact = not metric.endswith("_mean_ms")
                if not (got == want if exact else close(got, want, 1e-12)):
                    raise AssertionError(f"run {run_id} {metric}: {got} in the JSON, {want} "
                                         "recomputed from the requests")
                checked.append(metric)
        # Output tokens/s: completed requests' output tokens over first send .. latest end.
        start = min(r["sent"] for r in reqs if r["sent"] is not None)
        end = max(r["end"] for r in reqs if r["end"] is not None)
        tokens = sum(r["output"] for r in reqs if r["status"] == "ok")
        want = tokens / ((end - start) / 1e9)
        got = f["output_tokens_per_s"]["values"][column]["value"]
        if not close(got, want):
            raise AssertionError(f"run {run_id} output_tokens_per_s: {got}, recomputed {want}")
        # Good fraction against the stored SLOs (ttft=1000, tpot=50 ms): a request is good when
        # it completed and meets both (one without a TPOT passes that SLO); good / (ok + error).
        slo = stored_metrics(DB, run_id)
        good = sum(1 for r in reqs if r["status"] == "ok" and r["ttft"] is not None
                   and r["e2e"] is not None and r["ttft"] <= slo["slo_ttft_ms"]
                   and (r["tpot"] is None or r["tpot"] <= slo["slo_tpot_ms"]))
        judged = sum(1 for r in reqs if r["status"] in ("ok", "error"))
        got = f["good_fraction"]["values"][column]["value"]
        if not close(got, good / judged):
            raise AssertionError(f"run {run_id} good_fraction: {got}, recomputed {good / judged}")
        expect(True, f"(b) run {run_id}: {len(checked)} TTFT/TPOT/E2E figures (nearest-rank "
               "p50..p99.9, mean, min, max), output tokens/s and the good fraction recomputed "
               "from its requests")


# --- (c) bootstrap intervals --------------------------------------------------------------------

def rate_buckets(reqs):
    """Output tokens per 1 s bucket from the first send, where they arrived (each token chunk at
    its time; tokens the usage counted beyond the chunks at the request's end), as
    run_resamples.cpp places the harness's numerator in time; and the run's rate."""
    start = min(r["sent"] for r in reqs if r["sent"] is not None)
    end = max(r["end"] for r in reqs if r["end"] is not None)
    buckets = np.zeros((end - start) // 10**9 + 1)
    total = 0
    for r in reqs:
        if r["status"] != "ok":
            continue
        streamed = 0
        for t, k in r["chunks"]:
            if k > 0:
                buckets[(min(max(t, start), end) - start) // 10**9] += k
            streamed += k
        buckets[(r["end"] - start) // 10**9] += r["output"] - streamed
        total += r["output"]
    return buckets, total / ((end - start) / 1e9)


def block_bootstrap(buckets, rate, rng, resamples):
    """Circular block bootstrap: blocks of round(n^(1/3)) consecutive seconds from uniform starts
    in [0, n), wrapping past the last second, laid end to end and cut at n; each resample's rate
    is the run's rate scaled by its sum."""
    n = len(buckets)
    block = max(1, round(n ** (1 / 3)))
    blocks = -(-n // block)
    starts = rng.integers(0, n, size=(resamples, blocks))
    # The series twice over, so a block that wraps is one slice of the cumulative sums.
    cumulative = np.concatenate([[0.0], np.cumsum(np.concatenate([buckets, buckets]))])
    sums = np.zeros(resamples)
    taken = 0
    for j in range(blocks):
        length = min(block, n - taken)
        sums += cumulative[starts[:, j] + length] - cumulative[starts[:, j]]
        taken += length
    return rate * sums / buckets.sum()


def quantile(sorted_values, q):
    """Nearest-rank quantile q of sorted values (q clamped to the sample)."""
    m = len(sorted_values)
    return sorted_values[min(max(math.ceil(q * m - 1e-9), 1), m) - 1]


def bootstrap_distributions(requests):
    """numpy's own bootstrap distributions of the checked figures, keyed (metric, column)."""
    rng = np.random.default_rng(NUMPY_SEED)
    n = len(requests[BASE])
    if len(requests[OTHER]) != n:
        raise AssertionError("the fixture's chat runs should have the same requests")
    # Resample the requests with replacement: NUMPY_RESAMPLES resamples of n draws.
    draws = rng.integers(0, n, size=(NUMPY_RESAMPLES, n), dtype=np.int32)
    # Runs of the baseline's workload (the same requests in the same order) are resampled as
    # pairs (compare/include/infermeter/compare/run_resamples.h): resample b draws the same
    # requests from both, as for two systems scored on one test set, so the ratio's resample b
    # divides the statistics of the same requests. Recomputed that way: the same draws for both
    # runs. (Independent draws would give this ratio an interval about 1.5x as wide.)
    distributions = {}
    for column, run_id in ((0, BASE), (1, OTHER)):
        reqs = requests[run_id]
        if any(r["ttft"] is None for r in reqs):
            raise AssertionError("the chat runs' requests all completed")
        ttft = np.array([r["ttft"] for r in reqs])
        e2e = np.array([r["e2e"] for r in reqs])
        resampled = ttft[draws]
        resampled.sort(axis=1)
        for name in ("p50", "p99"):
            distributions[("ttft_" + name + "_ms", column)] = \
                resampled[:, nearest_rank_index(n, *QUANTILES[name])]
        distributions[("e2e_mean_ms", column)] = e2e[draws].mean(axis=1)
        buckets, rate = rate_buckets(reqs)
        distributions[("output_tokens_per_s", column)] = \
            block_bootstrap(buckets, rate, rng, NUMPY_RESAMPLES)
    distributions[("ttft_p50_ms", "ratio")] = \
        distributions[("ttft_p50_ms", 1)] / distributions[("ttft_p50_ms", 0)]
    return {key: np.sort(values) for key, values in distributions.items()}


def check_intervals(doc, distributions, confidence, checks):
    """Each endpoint of infermeter's interval must be numpy's quantile (1 -+ confidence) / 2 of
    the same bootstrap distribution, up to the Monte Carlo error of two finite bootstraps: it
    must lie between numpy's quantiles at that probability -+ BAND_STANDARD_ERRORS standard
    errors of an empirical quantile's probability, sqrt(p (1 - p) (1 / B_infermeter +
    1 / B_numpy)) (1.2 percentage points at p = 2.5%). Measured in probability rather than in
    ms, the band holds for figures whose bootstrap distribution has gaps (a p99 jumps between a
    few order statistics, by up to a fifth of its interval here), and stays narrow enough that
    another confidence fails it (90% instead of 95% moves an endpoint from p = 2.5% to 5%).
    Over 15 infermeter seeds x 4 numpy seeds at 95% and 80%, every endpoint was inside its band;
    at 4 standard errors 1 of 1,080 was not, at 3, 7."""
    f = by_metric(doc)
    tail = (1 - confidence) / 2
    error = BAND_STANDARD_ERRORS * \
        math.sqrt(tail * (1 - tail) * (1 / RESAMPLES + 1 / NUMPY_RESAMPLES))
    for metric, column in checks:
        values = f[metric]["values"][1 if column == "ratio" else column]
        got = (values["ratio_ci_low"], values["ratio_ci_high"]) if column == "ratio" \
            else (values["ci_low"], values["ci_high"])
        ours = distributions[(metric, column)]
        low, high = quantile(ours, tail), quantile(ours, 1 - tail)
        bands = [(quantile(ours, p - error), quantile(ours, p + error))
                 for p in (tail, 1 - tail)]
        expect(all(band[0] <= value <= band[1] for value, band in zip(got, bands)),
               f"(c) {confidence:.0%} interval of {metric} ({column}): infermeter "
               f"[{got[0]:.6g}, {got[1]:.6g}], numpy [{low:.6g}, {high:.6g}] (endpoints within "
               f"[{bands[0][0]:.6g}, {bands[0][1]:.6g}] and [{bands[1][0]:.6g}, "
               f"{bands[1][1]:.6g}])")


# --- the checks on the fixture --------------------------------------------------------------------

def check_fixture(binary, db):
    requests = {run_id: load_requests(db, run_id) for run_id in (BASE, OTHER)}
    common = ["--db", db, "--seed", str(SEED)]

    started = time.monotonic()
    r = run(binary, "compare", str(BASE), str(OTHER), "--format", "json",
            "--bootstrap", str(RESAMPLES), *common)
    expect(r.returncode == 0 and r.stderr == "", f"compare {BASE} {OTHER} --format json "
           f"({time.monotonic() - started:.1f} s)", r)
    doc = json.loads(r.stdout)
    expect(doc["bootstrap_resamples"] == RESAMPLES and doc["seed"] == SEED
           and doc["confidence"] == 0.95 and doc["warnings"] == []
           and doc["not_like_for_like"] == [], "the JSON says how its intervals were drawn")
    check_values_and_ratios(doc, db)
    check_recomputed_figures(doc, requests)
    distributions = bootstrap_distributions(requests)
    check_intervals(doc, distributions, 0.95, [
        ("ttft_p50_ms", 0), ("ttft_p50_ms", 1), ("ttft_p99_ms", 0), ("ttft_p99_ms", 1),
        ("e2e_mean_ms", 0), ("e2e_mean_ms", 1), ("ttft_p50_ms", "ratio"),
        ("output_tokens_per_s", 0), ("output_tokens_per_s", 1)])
    methods = {m: f["values"][0]["interval_method"] for m, f in by_metric(doc).items()}
    expect(methods["ttft_p50_ms"] == "requests" and methods["output_tokens_per_s"] == "time blocks"
           and methods["ttft_p99_9_ms"] is None,
           "(c) latencies resampled by request, rates by time blocks, p99.9 not at all")

    # Another confidence: narrower, and still numpy's.
    r = run(binary, "compare", str(BASE), str(OTHER), "--format", "json", "--confidence", "0.8",
            "--metrics", "e2e_mean_ms,ttft_p50_ms", "--bootstrap", str(RESAMPLES), *common)
    expect(r.returncode == 0, "compare --confidence 0.8", r)
    narrow = json.loads(r.stdout)
    expect([f["metric"] for f in narrow["figures"]] == ["ttft_p50_ms", "e2e_mean_ms"],
           "--metrics keeps only the figures named")
    check_intervals(narrow, distributions, 0.8,
                    [("e2e_mean_ms", 0), ("e2e_mean_ms", 1), ("ttft_p50_ms", "ratio")])
    wide = by_metric(doc)["e2e_mean_ms"]["values"][0]
    cell = by_metric(narrow)["e2e_mean_ms"]["values"][0]
    expect(cell["ci_high"] - cell["ci_low"] < 0.8 * (wide["ci_high"] - wide["ci_low"]),
           "an 80% interval is narrower than the 95% one")

    # (d) Not like for like.
    r = run(binary, "compare", str(BASE), str(OTHER_WORKLOAD), "--bootstrap", "100", *common)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        names = dict(c.execute("SELECT id, workload_hash FROM runs"))
    expect(r.returncode == 3 and r.stdout == "", f"compare {BASE} {OTHER_WORKLOAD}: different "
           "workloads are refused with exit 3 and nothing on stdout", r)
    expect("workload:" in r.stderr and "'agentic'" in r.stderr and "'chat'" in r.stderr
           and names[BASE] in r.stderr and names[OTHER_WORKLOAD] in r.stderr,
           "stderr names both workloads and their hashes", r)
    expect("SLOs:" in r.stderr and "ttft=2000,tpot=100" in r.stderr
           and "ttft=1000,tpot=50" in r.stderr and "--force" in r.stderr,
           "stderr names the SLOs that differ and says how to compare anyway", r)
    expect("model:" not in r.stderr, "the model is the same: not listed", r)
    r = run(binary, "compare", str(BASE), str(OTHER_WORKLOAD), "--force", "--format", "json",
            "--bootstrap", "100", *common)
    expect(r.returncode == 0, "--force compares them anyway", r)
    forced = json.loads(r.stdout)
    differences = forced["not_like_for_like"]
    expect(len(differences) == 2 and differences[0].startswith("workload:")
           and differences[1].startswith("SLOs:"),
           "the JSON lists the differences under not_like_for_like", r)
    expect(all(f"not like for like (forced): {d}" in forced["warnings"] for d in differences),
           "and each as a warning", r)
    r = run(binary, "compare", str(BASE), str(INVALID_RUN), str(RUNNING_RUN), "--force",
            "--format", "json", "--bootstrap", "0", *common)
    expect(r.returncode == 0, "--force with an INVALID and a running run", r)
    outcome = json.loads(r.stdout)
    expect(any(f"run {INVALID_RUN} " in w and "is INVALID" in w for w in outcome["warnings"])
           and any(f"run {RUNNING_RUN} " in w and "running, not completed" in w
                   for w in outcome["warnings"]),
           "an INVALID run and an unfinished run are warned about", r)
    expect(all(c["value"] is None for f in outcome["figures"] for c in f["values"][2:]),
           "a run still running has no stored figures: its cells are empty", r)
    expect(all(c["ci_low"] is None for f in outcome["figures"] for c in f["values"]),
           "--bootstrap 0: no intervals", r)

    # (e) CSV and Markdown.
    r = run(binary, "compare", str(BASE), str(OTHER), "--format", "json", "--bootstrap", "100",
            *common)
    small = json.loads(r.stdout)
    r = run(binary, "compare", str(BASE), str(OTHER), "--format", "csv", "--bootstrap", "100",
            *common)
    expect(r.returncode == 0, "compare --format csv", r)
    rows = list(csv.reader(io.StringIO(r.stdout)))
    header = rows[0]
    expect(header == ["metric", "label", "unit", "section", "subject", "baseline", "value",
                      "ci_low", "ci_high", "ratio", "ratio_ci_low", "ratio_ci_high",
                      "significant", "cv", "interval_method"], "the CSV header", r)
    expect(len(rows) == 1 + 2 * len(small["figures"]) and all(len(x) == 15 for x in rows),
           f"one CSV line per figure and subject ({len(rows) - 1})", r)
    labels = [s["label"] for s in small["subjects"]]

    def number(text):
        return float(text) if text else None
    for i, line in enumerate(rows[1:]):
        figure, column = small["figures"][i // 2], i % 2
        cell = figure["values"][column]
        if (line[0] != figure["metric"] or line[4] != labels[column]
                or line[5] != ("yes" if column == 0 else "no")
                or number(line[6]) != cell["value"] or number(line[7]) != cell["ci_low"]
                or number(line[9]) != cell["ratio"]
                or (line[12] or None) != {True: "yes", False: "no", None: None}[cell["significant"]]
                or (line[14] or None) != cell["interval_method"]):
            raise AssertionError(f"CSV line {i + 2} {line} is not the JSON's {figure['metric']} "
                                 f"{cell}")
    expect(True, "every CSV line is the JSON's cell, at full precision")
    r = run(binary, "compare", str(BASE), str(OTHER), "--format", "markdown", "--bootstrap",
            "100", *common)
    expect(r.returncode == 0 and f"| Figure | {labels[0]} | {labels[1]} |" in r.stdout
           and f"| | {labels[0]} | {labels[1]} |" in r.stdout
           and "| **Latency** |" in r.stdout and "100 resamples, seed 7" in r.stdout,
           "Markdown: the facts and the figures as tables with both runs' columns", r)
    r = run(binary, "compare", str(BASE), str(OTHER), "--bootstrap", "100", *common)
    expect(r.returncode == 0 and "[baseline]" in r.stdout and "TTFT p50" in r.stdout
           and "vs baseline" in r.stdout, "the terminal table", r)
    out = os.path.join(os.path.dirname(db), "comparison.json")
    r = run(binary, "compare", str(BASE), str(OTHER), "--format", "json", "--bootstrap", "100",
            "-o", out, *common)
    with open(out, encoding="utf-8") as file:
        expect(r.returncode == 0 and r.stdout == "" and json.load(file) == small,
               "-o FILE writes the document there, the same as on stdout", r)
    r = run(binary, "compare", str(BASE), str(OTHER), "--baseline", str(OTHER), "--format",
            "json", "--bootstrap", "100", *common)
    swapped = json.loads(r.stdout)
    ttft = by_metric(swapped)["ttft_p50_ms"]["values"]
    expect(r.returncode == 0 and swapped["baseline"] == 1
           and close(ttft[0]["ratio"], ttft[0]["value"] / ttft[1]["value"], 1e-15)
           and ttft[1]["ratio_ci_low"] is None, "--baseline picks the column divided by", r)

    # (f) Bad input.
    r = run(binary, "compare", str(BASE), "99", "--db", db)
    expect(r.returncode == 1 and "no run 99" in r.stderr and r.stdout == "",
           "an unknown run id is an error naming it", r)
    r = run(binary, "compare", str(BASE), str(OTHER), "--baseline", "5", "--db", db)
    expect(r.returncode == 1 and "--baseline" in r.stderr and "'5'" in r.stderr
           and "not one of the runs compared" in r.stderr,
           "a --baseline that is not compared is an error saying so", r)
    r = run(binary, "compare", str(BASE), str(OTHER), "--metrics", "nosuch*", "--db", db)
    expect(r.returncode == 1 and "'nosuch*'" in r.stderr and "matches no figure" in r.stderr,
           "a --metrics glob matching nothing is an error naming it", r)
    r = run(binary, "compare", str(BASE), "four", "--db", db)
    expect(r.returncode == 1 and "'four'" in r.stderr, "a run that is not an id", r)
    r = run(binary, "compare", "group:1", "--db", db)
    expect(r.returncode == 1 and "no run group 1" in r.stderr, "an unknown group", r)
    r = run(binary, "compare", str(BASE), str(OTHER), "--format", "yaml", "--db", db)
    expect(r.returncode == 2 and "--format" in r.stderr, "an unknown format", r)
    r = run(binary, "compare", "--db", db)
    expect(r.returncode == 2 and "RUN" in r.stderr, "no run at all", r)
    missing = os.path.join(os.path.dirname(db), "missing.db")
    r = run(binary, "compare", str(BASE), "--db", missing)
    expect(r.returncode == 1 and "missing.db" in r.stderr and not os.path.exists(missing),
           "a missing results file is an error, and not created", r)


# --- (g) repeat groups --------------------------------------------------------------------------

def check_repeat_group(binary, work):
    db = os.path.join(work, "repeat.db")
    started = time.monotonic()
    r = run(binary, "run", "--model", "tiny", "--threads", "1", "--no-progress", "--no-metrics",
            "--workload", "synthetic", "--input-tokens", "64", "--output-tokens", "8",
            "--requests", "4", "--rate", "20", "--repeat", "3",
            "--max-schedule-lag-p99-ms", "1000", "--json", "--db", db, timeout=180)
    expect(r.returncode == 0, f"run --repeat 3 ({time.monotonic() - started:.1f} s)", r)
    group = json.loads(r.stdout)["group"]
    group_id, run_ids = group["id"], group["run_ids"]
    lone = run_ids[0]
    r = run(binary, "compare", f"group:{group_id}", str(lone), "--format", "json",
            "--bootstrap", "1000", "--seed", "3", "--db", db)
    expect(r.returncode == 0, f"compare group:{group_id} {lone}", r)
    doc = json.loads(r.stdout)
    subject = doc["subjects"][0]
    expect(subject["kind"] == "repeat_group" and subject["group_id"] == group_id
           and subject["run_ids"] == run_ids and doc["not_like_for_like"] == [],
           "the group is one column of its three runs, like for like with one of them", r)
    stored = [stored_metrics(db, run_id) for run_id in run_ids]
    checked = with_cv = 0
    for f in doc["figures"]:
        m = f["metric"]
        if m not in stored[0]:
            continue  # normalised figures
        values = np.array([s[m] for s in stored if m in s])
        cell, lone_cell = f["values"]
        mean = float(np.mean(values))
        if not close(cell["value"], mean, 1e-12) and abs(cell["value"] - mean) > 1e-12:
            raise AssertionError(f"{m}: the group's value {cell['value']}, the runs' mean {mean}")
        if cell["runs"] != len(values):
            raise AssertionError(f"{m}: {cell['runs']} runs, {len(values)} stored it")
        # CV over repeated runs: the sample standard deviation (ddof=1) over |mean|.
        if mean != 0:
            cv = float(np.std(values, ddof=1)) / abs(mean)
            if cell["cv"] is None or not (close(cell["cv"], cv, 1e-9)
                                          or abs(cell["cv"] - cv) < 1e-12):
                raise AssertionError(f"{m}: cv {cell['cv']}, numpy {cv}")
            with_cv += cv > 0
        elif cell["cv"] is not None:
            raise AssertionError(f"{m}: a cv for a mean of 0")
        # The bootstrap over runs: means of resampled runs lie within the runs' range.
        if len(values) >= 2:
            if cell["interval_method"] != "runs":
                raise AssertionError(f"{m}: interval method {cell['interval_method']}")
            slack = 1e-9 * max(1.0, abs(mean))
            if not (values.min() - slack <= cell["ci_low"] <= cell["value"] + slack
                    and cell["value"] - slack <= cell["ci_high"] <= values.max() + slack):
                raise AssertionError(f"{m}: interval [{cell['ci_low']}, {cell['ci_high']}] "
                                     f"for runs {values.tolist()}")
        if lone_cell["value"] != stored[0][m]:
            raise AssertionError(f"{m}: run {lone}'s value {lone_cell['value']}, stored "
                                 f"{stored[0][m]}")
        if mean != 0 and not close(lone_cell["ratio"], stored[0][m] / cell["value"], 1e-15):
            raise AssertionError(f"{m}: ratio {lone_cell['ratio']} to the group's mean")
        checked += 1
    expect(checked == len(stored[0]) and with_cv >= 10,
           f"the group's {checked} figures are the means of its runs' stored figures, each with "
           f"numpy's CV ({with_cv} non-zero) and an interval within the runs' range")
    r = run(binary, "compare", str(lone), f"group:{group_id}", "--baseline", f"group:{group_id}",
            "--format", "json", "--bootstrap", "100", "--db", db)
    expect(r.returncode == 0 and json.loads(r.stdout)["baseline"] == 1,
           "--baseline group:N picks the group's column", r)


def main():
    global DB
    binary, make_fixture, work = sys.argv[1], sys.argv[2], sys.argv[3]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    DB = os.path.join(work, "fixture.db")
    r = subprocess.run([make_fixture, DB], capture_output=True, text=True, timeout=120)
    expect(r.returncode == 0, "the dashboard's fixture results file", r)
    started = time.monotonic()
    check_fixture(binary, DB)
    check_repeat_group(binary, work)
    print(f"all checks passed ({time.monotonic() - started:.1f} s)")


DB = None

if __name__ == "__main__":
    main()
