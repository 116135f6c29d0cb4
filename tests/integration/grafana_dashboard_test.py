#!/usr/bin/env python3
"""Checks the shipped Grafana board, dashboard/grafana/infermeter.json, against the real tools.

  grafana_dashboard_test.py --source-dir DIR [--infermeter BIN] [--promtool PATH]
                            [--static-only] [--timeout SECONDS]

1. Structure: unique panel ids, every target has an expression and uses the `datasource`
   variable, the template variables (datasource, engine, model, hardware, run), units, no
   overlapping panels, every live selector filtered by `run_id=~"$run"`, rate() only over counters
   and histogram series.
2. Syntax: every PromQL expression, with the template variables replaced by values Grafana could
   send, through Debian's `promtool check rules` (package `prometheus`); the example scrape config
   through `promtool check config`.
3. Names: every metric the board uses is listed in docs/PROMETHEUS.md (summary figures through its
   conversion table from a stored name documented in docs/METRICS.md or docs/COLLECTORS.md).
4. Export (skipped with --static-only): every metric the board uses is really exported, by a short
   `infermeter run` with --metrics-addr 127.0.0.1:0, by `infermeter exporter --db` over the results
   file it wrote, and by `infermeter serve`, each scraped over HTTP. Names that only a GPU, an NPU,
   a remote server or a failed request can produce are in ALLOWED_MISSING, each with its reason.

Python 3 standard library only. Child processes are killed when this script ends, however it ends
(SIGALRM at --timeout, and PR_SET_PDEATHSIG should the script itself be killed).
"""

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
QUERY_VARIABLES = ("engine", "model", "hardware", "run")
RUN_FILTER = 'run_id=~"$run"'

# Grafana unit ids the board may use (Grafana's own ids, so a typo shows up here, not as raw
# numbers on a screen).
KNOWN_UNITS = {"s", "bytes", "percentunit", "short", "watt", "joule", "celsius", "reqps", "flops",
               "dateTimeAsIso"}

# Names the board uses that a CPU-only run of the embedded engine cannot export. Each must still be
# listed in docs/PROMETHEUS.md (or derive from a documented stored name), so a typo is caught.
ALLOWED_MISSING = {
    "infermeter_accelerator_memory_used_bytes": "needs an NVIDIA GPU (NVML) or an Ascend NPU",
    "infermeter_accelerator_memory_total_bytes": "needs an NVIDIA GPU (NVML) or an Ascend NPU",
    "infermeter_accelerator_utilization_ratio": "needs an NVIDIA GPU (NVML) or an Ascend NPU",
    "infermeter_accelerator_power_watts": "needs an NVIDIA GPU (NVML) or an Ascend NPU",
    "infermeter_accelerator_temperature_celsius": "needs an NVIDIA GPU (NVML) or an Ascend NPU",
    "infermeter_accelerator_energy_joules_total": "needs an NVIDIA GPU with an energy counter",
    "infermeter_run_energy_joules": "stored energy_j: only when a GPU or NPU reported power",
    "infermeter_server_requests_running": "only with --engine openai (the server's /metrics)",
    "infermeter_server_requests_waiting": "only with --engine openai (the server's /metrics)",
    "infermeter_request_errors_total": "only once a request failed; the embedded engine does not "
                                       "fail (present anyway when its family is registered empty)",
}

# Summary gauges (infermeter_run_*) the board uses that docs/PROMETHEUS.md does not spell out:
# the stored run_metrics name (one statistic of a distribution stands for all) and its unit, as
# docs/METRICS.md and docs/COLLECTORS.md list them. to_prometheus() must map each to the key.
SUMMARY_SOURCES = {
    "infermeter_run_output_tokens_per_second": ("output_tokens_per_s", "tokens/s"),
    "infermeter_run_request_throughput_per_second": ("request_throughput_per_s", "requests/s"),
    "infermeter_run_goodput_output_tokens_per_second": ("goodput_output_tokens_per_s",
                                                        "tokens/s"),
    "infermeter_run_achieved_flops_per_second": ("achieved_flops_per_s", "FLOP/s"),
    "infermeter_run_ttft_seconds": ("ttft_p99_ms", "ms"),
    "infermeter_run_tpot_seconds": ("tpot_p99_ms", "ms"),
    "infermeter_run_itl_seconds": ("itl_p99_ms", "ms"),
    "infermeter_run_e2e_seconds": ("e2e_p99_ms", "ms"),
    "infermeter_run_good_fraction_ratio": ("good_fraction", ""),
    "infermeter_run_mfu_ratio": ("mfu", ""),
    "infermeter_run_mbu_ratio": ("mbu", ""),
    "infermeter_run_kv_peak_bytes": ("kv_bytes_peak", "bytes"),
    "infermeter_run_kv_usage_peak_ratio": ("kv_usage_peak_ratio", ""),
    "infermeter_run_requests_completed": ("requests_completed", "requests"),
    "infermeter_run_requests_failed": ("requests_failed", "requests"),
    "infermeter_run_duration_seconds": ("duration_s", "s"),
    "infermeter_run_output_tokens": ("output_tokens", "tokens"),
    "infermeter_run_energy_joules": ("energy_j", "J"),
}
STATS = {"mean": "mean", "std": "std", "min": "min", "max": "max", "p50": "p50", "p90": "p90",
         "p95": "p95", "p99_9": "p99.9", "p99": "p99"}
# Exported by `infermeter run` while a run runs, not summary figures.
RUN_LIFECYCLE = {"infermeter_run_info", "infermeter_run_start_time_seconds",
                 "infermeter_run_end_time_seconds"}

# Values Grafana could substitute. Multi-value variables become a regex alternation of escaped
# values ("All" without an allValue is every value), as Grafana's Prometheus data source does.
SAMPLE_VALUES = {
    "engine": ["reference", "openai"],
    "model": ["v4-mini", "deepseek-ai/DeepSeek-V3.2"],
    "hardware": ["AMD EPYC 7B13 (2 cores)", "8x NVIDIA H100 80GB HBM3"],
    "run": ["1", "12"],
}
BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__interval_ms": "15000",
            "__range": "3600s", "__range_s": "3600", "__range_ms": "3600000",
            "__auto_interval": "15s", "datasource": "prometheus"}

STDERR_URL = re.compile(r"serving metrics at (http://[^\s]+/metrics)")
SERVE_LISTENING = re.compile(r"listening on (http://[^\s]+) \(model ([^)]*)\)")


class Failures:
    def __init__(self):
        self.items = []

    def add(self, part, text):
        self.items.append(f"[{part}] {text}")


# --------------------------------------------------------------------------------------------
# The board


def walk_panels(panels, row=None):
    """Every panel, rows and the panels of collapsed rows included, with its row's title."""
    for panel in panels:
        yield panel, row
        if panel.get("type") == "row":
            yield from walk_panels(panel.get("panels", []), panel.get("title"))


def panel_name(panel):
    return f"'{panel.get('title', '?')}' (id {panel.get('id')})"


def board_expressions(board):
    """(where, expr, is_variable_query, panel) for every PromQL expression of the board."""
    out = []
    for panel, _ in walk_panels(board.get("panels", [])):
        for target in panel.get("targets", []):
            out.append((f"panel {panel_name(panel)} query {target.get('refId')}",
                        target.get("expr", ""), False, panel))
    for variable in board.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query", "")
        match = re.fullmatch(r"\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*",
                             query or "")
        if match:
            out.append((f"variable ${variable['name']}", match.group(1), True, None))
    return out


def check_structure(board, failures):
    part = "structure"
    if board.get("uid") != "infermeter-runs":
        failures.add(part, f"uid is {board.get('uid')!r}, expected 'infermeter-runs'")
    if board.get("title") != "infermeter":
        failures.add(part, f"title is {board.get('title')!r}, expected 'infermeter'")
    if board.get("id") is not None:
        failures.add(part, "id must be null for file provisioning")
    if not isinstance(board.get("schemaVersion"), int) or board["schemaVersion"] < 36:
        failures.add(part, f"schemaVersion {board.get('schemaVersion')!r} is older than 36")

    ids = {}
    for panel, row in walk_panels(board.get("panels", [])):
        pid = panel.get("id")
        if not isinstance(pid, int):
            failures.add(part, f"panel {panel_name(panel)} has no integer id")
        elif pid in ids:
            failures.add(part, f"panel id {pid} is used by {panel_name(ids[pid])} and "
                               f"{panel_name(panel)}")
        else:
            ids[pid] = panel
        if not panel.get("title"):
            failures.add(part, f"panel id {pid} has no title")
        grid = panel.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")) or \
                grid.get("x", 0) + grid.get("w", 0) > 24:
            failures.add(part, f"panel {panel_name(panel)} has a bad gridPos {grid}")
        if panel.get("type") == "row":
            if panel.get("targets"):
                failures.add(part, f"row {panel_name(panel)} has queries")
            if panel.get("panels") and not panel.get("collapsed"):
                failures.add(part, f"row {panel_name(panel)} holds panels but is not collapsed")
            continue
        if panel.get("datasource") != DATASOURCE:
            failures.add(part, f"panel {panel_name(panel)} datasource is "
                               f"{panel.get('datasource')!r}, expected {DATASOURCE}")
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if unit not in KNOWN_UNITS:
            failures.add(part, f"panel {panel_name(panel)} unit {unit!r} is not one of "
                               f"{sorted(KNOWN_UNITS)}")
        for override in panel.get("fieldConfig", {}).get("overrides", []):
            for prop in override.get("properties", []):
                if prop.get("id") == "unit" and prop.get("value") not in KNOWN_UNITS:
                    failures.add(part, f"panel {panel_name(panel)} override unit "
                                       f"{prop.get('value')!r} is unknown")
        targets = panel.get("targets", [])
        if not targets:
            failures.add(part, f"panel {panel_name(panel)} has no queries")
        refs = set()
        for target in targets:
            ref = target.get("refId")
            if not ref or ref in refs:
                failures.add(part, f"panel {panel_name(panel)}: missing or repeated refId {ref!r}")
            refs.add(ref)
            if not isinstance(target.get("expr"), str) or not target["expr"].strip():
                failures.add(part, f"panel {panel_name(panel)} query {ref} has no expr")
            if target.get("datasource") != DATASOURCE:
                failures.add(part, f"panel {panel_name(panel)} query {ref} datasource is "
                                   f"{target.get('datasource')!r}, expected {DATASOURCE}")

    # Overlaps among the panels shown at once (top level; a collapsed row's own panels apart).
    def overlaps(group, where):
        boxes = [(p, p.get("gridPos", {})) for p in group]
        for i, (a, ga) in enumerate(boxes):
            for b, gb in boxes[i + 1:]:
                try:
                    if ga["x"] < gb["x"] + gb["w"] and gb["x"] < ga["x"] + ga["w"] and \
                            ga["y"] < gb["y"] + gb["h"] and gb["y"] < ga["y"] + ga["h"]:
                        failures.add(part, f"{where}: {panel_name(a)} overlaps {panel_name(b)}")
                except KeyError:
                    pass
    overlaps(board.get("panels", []), "top level")
    for panel in board.get("panels", []):
        if panel.get("type") == "row" and panel.get("panels"):
            overlaps(panel["panels"], f"row {panel_name(panel)}")

    variables = {v.get("name"): v for v in board.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        failures.add(part, "template variable 'datasource' must be of type datasource with query "
                           "'prometheus'")
    for name in QUERY_VARIABLES:
        var = variables.get(name)
        if not var:
            failures.add(part, f"template variable '{name}' is missing")
            continue
        query = var.get("query")
        query = query.get("query", "") if isinstance(query, dict) else (query or "")
        label = "run_id" if name == "run" else name
        if var.get("type") != "query" or not var.get("multi") or not var.get("includeAll"):
            failures.add(part, f"variable '{name}' must be a multi-value query with All")
        if var.get("datasource") != DATASOURCE:
            failures.add(part, f"variable '{name}' datasource must be {DATASOURCE}")
        if not re.fullmatch(rf"label_values\(infermeter_run_info(\{{.*\}})?,\s*{label}\)", query):
            failures.add(part, f"variable '{name}' query {query!r} is not "
                               f"label_values(infermeter_run_info..., {label})")
    run_query = variables.get("run", {}).get("query", "")
    run_query = run_query.get("query", "") if isinstance(run_query, dict) else run_query
    for other in ("engine", "model", "hardware"):
        if f'{other}=~"${other}"' not in run_query:
            failures.add(part, f"variable 'run' is not filtered by {other}=~\"${other}\"")


# --------------------------------------------------------------------------------------------
# PromQL text

STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
IDENT = re.compile(r"(?<![a-zA-Z0-9_:.])(infermeter_[a-zA-Z0-9_:]*)")


def without_strings(expr):
    return STRING.sub('""', expr)


def metric_names(expr):
    return set(IDENT.findall(without_strings(expr)))


def selectors(expr):
    """(name, matcher text or None) for each infermeter_* selector in expr."""
    out = []
    i = 0
    while i < len(expr):
        if expr[i] in "\"'`":
            string = STRING.match(expr, i)
            i = string.end() if string else i + 1
            continue
        match = IDENT.match(expr, i)
        if not match or (i > 0 and re.match(r"[a-zA-Z0-9_:.]", expr[i - 1])):
            i += 1
            continue
        i = match.end()
        while i < len(expr) and expr[i].isspace():
            i += 1
        if i >= len(expr) or expr[i] != "{":
            out.append((match.group(1), None))
            continue
        start = i + 1
        while i < len(expr) and expr[i] != "}":  # matchers: skip strings, which may hold braces
            string = STRING.match(expr, i) if expr[i] in "\"'`" else None
            i = string.end() if string else i + 1
        out.append((match.group(1), expr[start:i]))
    return out


def check_expressions(board, failures):
    """Run filters, rate() over counters only, histogram_quantile() by le."""
    part = "queries"
    for where, expr, is_variable, _ in board_expressions(board):
        if is_variable:
            continue
        for name, matchers in selectors(expr):
            if name.startswith("infermeter_engine_"):
                continue  # `infermeter serve`: no runs
            if matchers is None or RUN_FILTER not in matchers:
                failures.add(part, f"{where}: {name} is not filtered by {RUN_FILTER}: {expr}")
        bare = without_strings(expr)
        for match in re.finditer(r"\b(rate|irate|increase)\s*\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)",
                                 bare):
            name = match.group(2)
            if not name.endswith(("_total", "_bucket", "_sum", "_count")):
                failures.add(part, f"{where}: {match.group(1)}() over {name}, which is not a "
                                   f"counter or histogram series: {expr}")
        for match in re.finditer(r"histogram_quantile\s*\(", bare):
            if not re.search(r"by\s*\([^)]*\ble\b", bare[match.end():]):
                failures.add(part, f"{where}: histogram_quantile() without 'le' kept: {expr}")
        for stat in re.findall(r'stat\s*=\s*"([^"]*)"', expr):
            if stat not in STATS.values():
                failures.add(part, f"{where}: stat=\"{stat}\" is not one of "
                                   f"{sorted(STATS.values())}: {expr}")


def grafana_regex_value(values):
    escaped = [re.sub(r"[$^*{}\[\]'+?.()|\\]", lambda m: "\\\\" + m.group(0), v)
               for v in values]
    return "(" + "|".join(escaped) + ")"


def substitute(expr):
    """Replaces template variables as Grafana would; returns (expr, unknown variable names)."""
    unknown = []

    def value(name):
        if name in BUILTINS:
            return BUILTINS[name]
        if name in SAMPLE_VALUES:
            return grafana_regex_value(SAMPLE_VALUES[name])
        unknown.append(name)
        return "0"

    expr = re.sub(r"\$\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-zA-Z]+)?\}",
                  lambda m: value(m.group(1)), expr)
    expr = re.sub(r"\[\[([a-zA-Z_][a-zA-Z0-9_]*)\]\]", lambda m: value(m.group(1)), expr)
    expr = re.sub(r"\$([a-zA-Z_][a-zA-Z0-9_]*)", lambda m: value(m.group(1)), expr)
    return expr, unknown


def run_promtool(promtool, args, timeout=30):
    proc = subprocess.run([promtool] + args, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in (proc.stdout + proc.stderr).splitlines()
             if line.strip() and not line.startswith("Checking ")]
    return proc.returncode, "\n".join(lines).strip()


def rules_file(directory, entries):
    """entries: (record name, expr). JSON is YAML, which promtool reads."""
    path = os.path.join(directory, f"rules_{len(os.listdir(directory))}.json")
    rules = [{"record": record, "expr": expr} for record, expr in entries]
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"groups": [{"name": "infermeter_dashboard", "rules": rules}]}, out, indent=1)
    return path


def check_syntax(board, source_dir, promtool, work, failures):
    part = "promtool"
    entries = []
    for n, (where, expr, _, _) in enumerate(board_expressions(board)):
        substituted, unknown = substitute(expr)
        if unknown:
            failures.add(part, f"{where}: unknown template variable(s) {unknown}: {expr}")
        if "$" in substituted:
            failures.add(part, f"{where}: '$' left after substitution: {substituted}")
        entries.append((where, f"infermeter_dashboard:expr_{n}", substituted, expr))
    code, output = run_promtool(promtool, ["check", "rules",
                                           rules_file(work, [(r, e) for _, r, e, _ in entries])])
    if code != 0:
        # Again one by one, to name the panel of each bad expression.
        for where, record, substituted, original in entries:
            code1, output1 = run_promtool(promtool,
                                          ["check", "rules", rules_file(work, [(record,
                                                                                substituted)])])
            if code1 != 0:
                failures.add(part, f"{where}: promtool rejects the expression\n"
                                   f"      expr (as in the board): {original}\n"
                                   f"      expr (substituted):     {substituted}\n"
                                   f"      promtool: {output1}")
        if not any(item.startswith(f"[{part}]") for item in failures.items):
            failures.add(part, f"promtool check rules failed on the whole file: {output}")
    else:
        summary = output.splitlines()[-1].strip() if output else "ok"
        print(f"promtool: {len(entries)} expressions parse ({summary})")

    config = os.path.join(source_dir, "dashboard", "grafana", "prometheus.yml")
    code, output = run_promtool(promtool, ["check", "config", "--syntax-only", config])
    if code != 0:
        failures.add(part, f"promtool check config {config}:\n{output}")


# --------------------------------------------------------------------------------------------
# The documentation


def to_prometheus(name, unit):
    """docs/PROMETHEUS.md's conversion of a stored summary figure: (family, stat or None)."""
    def strip(text, suffix):
        return text[:-len(suffix)] if text.endswith(suffix) and len(text) > len(suffix) else text

    def drop_word(text, word):
        return "_".join(part for part in text.split("_") if part and part != word)

    prefix = "infermeter_run_"
    if unit == "ms":
        body = strip(name, "_ms")
        for stored, label in STATS.items():
            if body.endswith("_" + stored) and len(body) > len(stored) + 1:
                return prefix + body[:-len(stored) - 1] + "_seconds", label
        return prefix + body + "_seconds", None
    if unit == "us":
        return prefix + strip(name, "_us") + "_seconds", None
    if unit == "s":
        return prefix + strip(name, "_s") + "_seconds", None
    if unit.endswith("/s"):
        return prefix + (strip(name, "_s") + "_second" if name.endswith("_per_s")
                         else name + "_per_second"), None
    if unit == "bytes":
        return prefix + drop_word(name, "bytes") + "_bytes", None
    if unit == "%":
        return prefix + drop_word(name, "percent") + "_ratio", None
    if unit == "":
        return prefix + strip(name, "_ratio") + "_ratio", None
    if unit == "J":
        return prefix + strip(name, "_j") + "_joules", None
    if unit == "W":
        return prefix + strip(name, "_w") + "_watts", None
    return prefix + strip(name, "_total"), None


def documented_names(source_dir):
    text = open(os.path.join(source_dir, "docs", "PROMETHEUS.md"), encoding="utf-8").read()
    names = set(re.findall(r"infermeter_[a-z0-9_]*[a-z0-9]", text))
    # "`infermeter_engine_kv_cache_used_bytes`, `_capacity_bytes`, `_allocated_bytes`": each
    # shorthand replaces as many trailing words of the full name as it has.
    for match in re.finditer(r"`(infermeter_[a-z0-9_]+)`((?:,\s*`_[a-z0-9_]+`)+)", text):
        full = match.group(1).split("_")
        for short in re.findall(r"`_([a-z0-9_]+)`", match.group(2)):
            words = short.split("_")
            names.add("_".join(full[:-len(words)] + words))
    return names


def stored_name_documented(stored, docs_text):
    if f"`{stored}`" in docs_text:
        return True
    for suffix in STATS:  # a distribution: `<metric>` in METRICS.md's table of distributions
        tail = f"_{suffix}_ms"
        if stored.endswith(tail) and f"| `{stored[:-len(tail)]}` |" in docs_text:
            return True
    return False


def check_documented(board, source_dir, failures):
    part = "docs"
    listed = documented_names(source_dir)
    docs_text = "".join(open(os.path.join(source_dir, "docs", name), encoding="utf-8").read()
                        for name in ("METRICS.md", "COLLECTORS.md", "PROMETHEUS.md"))
    used = used_names(board)
    histograms = {name for name in listed if name.endswith("_seconds")}
    for name in sorted(set(used) | set(ALLOWED_MISSING)):
        base = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[:-len(suffix)] in histograms:
                base = name[:-len(suffix)]
        where = ", ".join(sorted(used.get(name, {"(allow-list only)"})))
        if base in listed:
            continue
        if base.startswith("infermeter_run_") and base not in RUN_LIFECYCLE:
            source = SUMMARY_SOURCES.get(base)
            if not source:
                failures.add(part, f"{base} (used by {where}) is neither in docs/PROMETHEUS.md "
                                   f"nor in SUMMARY_SOURCES (add its stored name and unit)")
                continue
            stored, unit = source
            converted, _ = to_prometheus(stored, unit)
            if converted != base:
                failures.add(part, f"{base}: stored {stored!r} ({unit or 'no unit'}) converts to "
                                   f"{converted}, not {base} (docs/PROMETHEUS.md's table)")
            if not stored_name_documented(stored, docs_text):
                failures.add(part, f"{base}: stored name {stored!r} is not in docs/METRICS.md "
                                   f"or docs/COLLECTORS.md")
            continue
        failures.add(part, f"{base} (used by {where}) is not listed in docs/PROMETHEUS.md")
    for name in ALLOWED_MISSING:
        if name not in used:
            failures.add(part, f"ALLOWED_MISSING lists {name}, which the board does not use")


def used_names(board):
    """metric name -> set of the places that use it."""
    used = {}
    for where, expr, _, _ in board_expressions(board):
        for name in metric_names(expr):
            used.setdefault(name, set()).add(where.split(" query ")[0])
    return used


# --------------------------------------------------------------------------------------------
# The real exporters

try:
    _LIBC = ctypes.CDLL(None, use_errno=True)  # loaded here: a forked child only calls into it
    _PRCTL = _LIBC.prctl
except (OSError, AttributeError):
    _PRCTL = None


def _die_with_parent():
    """In the child before exec: SIGKILL when this script dies, even by SIGKILL (ctest)."""
    if _PRCTL is not None:
        _PRCTL(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


class Child:
    """A child process whose stdout and stderr lines are collected by threads."""

    def __init__(self, label, argv, cwd):
        self.label = label
        self.argv = argv
        self.lines = []  # (stream, line)
        self.changed = threading.Condition()
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, errors="replace", preexec_fn=_die_with_parent)
        self.readers = [threading.Thread(target=self._read, args=(stream, name), daemon=True)
                        for stream, name in ((self.proc.stdout, "stdout"),
                                             (self.proc.stderr, "stderr"))]
        for reader in self.readers:
            reader.start()

    def _read(self, stream, name):
        for line in stream:
            with self.changed:
                self.lines.append((name, line.rstrip("\n")))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, pattern, timeout, stream=None):
        """The first match of pattern in an output line; raises if the child exits first."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for name, line in self.lines:
                    if stream in (None, name):
                        match = pattern.search(line)
                        if match:
                            return match
                if self.proc.poll() is not None and not any(r.is_alive() for r in self.readers):
                    raise RuntimeError(f"{self.label} exited with code {self.proc.returncode} "
                                       f"before printing a line matching {pattern.pattern!r}"
                                       f"{self.output_tail()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{self.label} printed no line matching "
                                       f"{pattern.pattern!r} within {timeout:.0f} s"
                                       f"{self.output_tail()}")
                self.changed.wait(min(left, 0.2))

    def output_tail(self, count=25):
        with self.changed:
            tail = self.lines[-count:]
        if not tail:
            return " (it printed nothing)"
        return "; its last output:\n" + "\n".join(f"      {n}: {line}" for n, line in tail)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        for reader in self.readers:
            reader.join(timeout=2)


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode("utf-8", errors="replace")


def parse_exposition(text):
    """Metric families (from # TYPE, and sample names) and their types."""
    types = {}
    samples = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) >= 4:
                types[parts[2]] = parts[3]
        elif line and not line.startswith("#"):
            samples.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    names = set(types)
    for sample in samples:
        for suffix in ("_bucket", "_sum", "_count"):
            if sample.endswith(suffix) and types.get(sample[:-len(suffix)]) == "histogram":
                sample = sample[:-len(suffix)]
                break
        names.add(sample)
    return names, types


def scrape_until(url, predicate, timeout, child):
    """Scrapes until predicate(text) is true; returns that text."""
    deadline = time.monotonic() + timeout
    last_error = "no scrape yet"
    while time.monotonic() < deadline:
        try:
            text = http_get(url)
            if predicate(text):
                return text
            last_error = "the condition was not met"
        except (urllib.error.URLError, OSError) as error:
            last_error = str(error)
        if child.proc.poll() is not None:
            raise RuntimeError(f"{child.label} exited with code {child.proc.returncode} while "
                               f"being scraped ({last_error}){child.output_tail()}")
        time.sleep(0.25)
    raise RuntimeError(f"scraping {url} of {child.label}: {last_error} after {timeout:.0f} s"
                       f"{child.output_tail()}")


def run_info_lines(text):
    return [line for line in text.splitlines() if line.startswith("infermeter_run_info{")]


def check_exported(board, infermeter, work, deadline, failures):
    part = "export"
    children = []

    def left(cap):
        return max(1.0, min(cap, deadline - time.monotonic()))

    def start(label, argv):
        child = Child(label, argv, work)
        children.append(child)
        return child

    scrapes = {}  # which process -> (names, types), for each one that could be scraped
    errors = (RuntimeError, urllib.error.URLError, OSError, subprocess.SubprocessError)
    db = os.path.join(work, "x.db")
    run_ids = set()
    try:
        # A catalog peak (--peak h100-sxm) states MFU/MBU even on this CPU, so the MFU series
        # exist; the SLOs are loose so every request is good.
        run = start("infermeter run", [
            infermeter, "run", "--db", db, "--workload", "synthetic", "--requests", "6",
            "--concurrency", "3", "--input-tokens", "32", "--output-tokens", "8",
            "--slo", "ttft=60000,tpot=60000", "--peak", "h100-sxm", "--no-progress",
            "--metrics-addr", "127.0.0.1:0", "--metrics-linger-s", "30"])
        url = run.wait_for(STDERR_URL, left(60)).group(1)
        print(f"infermeter run serves {url}")
        text = scrape_until(url, lambda t: any('status="completed"' in line
                                               for line in run_info_lines(t)), left(90), run)
        scrapes["infermeter run"] = parse_exposition(text)
        run_ids = {re.search(r'run_id="([^"]*)"', line).group(1)
                   for line in run_info_lines(text) if 'status="completed"' in line}
    except errors as error:
        failures.add(part, str(error))
    finally:
        for child in children:
            child.stop()  # it lingers; how it exits on SIGTERM (130: interrupted) is not ours

    if run_ids:  # the exporter serves the results file the run wrote
        try:
            exporter = start("infermeter exporter", [
                infermeter, "exporter", "--db", db, "--metrics-addr", "127.0.0.1:0"])
            url = exporter.wait_for(STDERR_URL, left(30)).group(1)
            print(f"infermeter exporter serves {url}")
            text = scrape_until(url, lambda t: any(f'run_id="{run_id}"' in line
                                                   for line in run_info_lines(t)
                                                   for run_id in run_ids), left(30), exporter)
            scrapes["infermeter exporter --db"] = parse_exposition(text)
        except errors as error:
            failures.add(part, str(error))
        finally:
            for child in children:
                child.stop()

    try:
        serve = start("infermeter serve", [
            infermeter, "serve", "--model", "tiny", "--port", "0",
            "--metrics-addr", "127.0.0.1:0"])
        listening = serve.wait_for(SERVE_LISTENING, left(60))
        url = serve.wait_for(STDERR_URL, left(10)).group(1)
        print(f"infermeter serve serves {url}")
        # One request, so that every counter of the served engine has moved.
        body = json.dumps({"model": listening.group(2), "prompt": "Hello", "max_tokens": 4,
                           "ignore_eos": True}).encode()
        request = urllib.request.Request(listening.group(1) + "/v1/completions", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=left(30)) as response:
            response.read()
        text = scrape_until(url, lambda t: "# TYPE infermeter_engine_" in t, left(20), serve)
        scrapes["infermeter serve"] = parse_exposition(text)
    except errors as error:
        failures.add(part, str(error))
    finally:
        for child in children:
            child.stop()

    histograms = set()
    for names, types in scrapes.values():
        histograms |= {name for name, kind in types.items() if kind == "histogram"}

    used = used_names(board)
    missing = {}  # name -> [scrapes it is missing from]
    for name, places in sorted(used.items()):
        base = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[:-len(suffix)] in histograms:
                base = name[:-len(suffix)]
        if base.startswith("infermeter_engine_"):
            expected = ["infermeter serve"]
        elif base == "infermeter_run_info" or (base.startswith("infermeter_run_") and
                                               base not in RUN_LIFECYCLE):
            expected = ["infermeter run", "infermeter exporter --db"]
        else:
            expected = ["infermeter run"]
        # A process that could not be scraped is a failure of its own (above).
        absent = [label for label in expected if label in scrapes and
                  base not in scrapes[label][0]]
        if not absent:
            continue
        if base in ALLOWED_MISSING:
            print(f"allowed: {base} not exported here ({ALLOWED_MISSING[base]})")
            continue
        missing.setdefault(base, (absent, set()))[1].update(places)
    for base, (absent, places) in sorted(missing.items()):
        failures.add(part, f"{base} is not exported by {' nor by '.join(absent)}; used by "
                           f"{'; '.join(sorted(places))}")
    if missing:
        failures.add(part, "missing names: " + " ".join(sorted(missing)))
    print("exported: " + ", ".join(f"{label}: {len(names)} families"
                                   for label, (names, _) in scrapes.items()))


# --------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--infermeter", help="the built infermeter binary")
    parser.add_argument("--promtool", default=shutil.which("promtool"))
    parser.add_argument("--static-only", action="store_true",
                        help="structure, promtool and docs checks only; start no process")
    parser.add_argument("--timeout", type=float, default=110, help="overall limit in seconds")
    args = parser.parse_args()

    def on_alarm(signum, frame):
        raise TimeoutError(f"grafana_dashboard_test: over its {args.timeout:.0f} s limit")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(max(1, int(args.timeout)))
    # ctest or a user stopping the test: end children through the normal cleanup.
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(f"grafana_dashboard_test: signal {s}"))
    deadline = time.monotonic() + args.timeout - 5

    failures = Failures()
    path = os.path.join(args.source_dir, "dashboard", "grafana", "infermeter.json")
    with open(path, encoding="utf-8") as f:
        board = json.load(f)

    work = tempfile.mkdtemp(prefix="infermeter-grafana-")
    try:
        check_structure(board, failures)
        check_expressions(board, failures)
        if not args.promtool or not os.access(args.promtool, os.X_OK):
            failures.add("promtool", "promtool not found: install Debian's package 'prometheus' "
                                     "(scripts/bootstrap does) or pass --promtool PATH")
        else:
            check_syntax(board, args.source_dir, args.promtool, work, failures)
        check_documented(board, args.source_dir, failures)
        if not args.static_only:
            if not args.infermeter:
                failures.add("export", "--infermeter BIN is required unless --static-only")
            else:
                check_exported(board, os.path.abspath(args.infermeter), work, deadline, failures)
    except TimeoutError as error:
        failures.add("timeout", str(error))
    finally:
        signal.alarm(0)
        shutil.rmtree(work, ignore_errors=True)

    used = used_names(board)
    print(f"{path}: {sum(1 for _ in walk_panels(board['panels']))} panels, "
          f"{len(board_expressions(board))} expressions, {len(used)} metric names")
    if failures.items:
        print(f"\nFAILED: {len(failures.items)} problem(s) with {path}:", file=sys.stderr)
        for item in failures.items:
            print("  " + item, file=sys.stderr)
        return 1
    print("grafana_dashboard_test: all checks passed"
          + (" (static only: nothing was scraped)" if args.static_only else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
