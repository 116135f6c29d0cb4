#!/usr/bin/env python3
"""Read an AIPerf artifact directory and write the token counts per request as JSON.

    extract_aiperf_counts.py ARTIFACT_DIR OUT.json [--expect-requests N] [--expect-osl N]
                             [--byte-tokens] [--endpoint completions|chat]
                             [--server-token-count]

Needs only the standard library. Reads AIPerf 0.13's
  profile_export.jsonl      one record per request: metadata (x_request_id, ...) and metrics,
                            among them input_sequence_length and output_sequence_length (the
                            tokens AIPerf counted) -- absent for a failed request;
  profile_export_raw.jsonl  (--export-level raw) the request payload and every SSE packet or
                            the response body, from which this script takes the server's usage
                            (if it sent any), the prompt and output bytes and the text chunks;
  profile_export_aiperf.json the run's totals (total_isl, total_osl, request_count, errors).

Writes OUT.json:
  {"tool": "aiperf", "aiperf_version": ..., "token_count_source": "client-tokenizer" or
   "server-usage", "requests": [{"x_request_id", "status", "error", "input_tokens",
   "output_tokens", "server_prompt_tokens", "server_completion_tokens", "prompt_bytes",
   "output_bytes", "content_chunks", "finish_reason"}, ...] (in request order),
   "totals": {...}, "aiperf_summary": {...}, "failures": [...]}
input_tokens/output_tokens are AIPerf's own numbers; server_* are the server's usage as AIPerf
received it (null when the server sent none, e.g. llama-cpp-python's streams).

Exit 1 (after writing OUT.json) when a check fails: a failed request; fewer records than
--expect-requests; AIPerf's counts differing from the server's usage where both exist (input only
for the completions endpoint: for chat AIPerf counts the message text, the server the templated
prompt); with --expect-osl, output_tokens != N; with --byte-tokens (a byte-per-token server),
input_tokens != prompt bytes (completions) or output_tokens != output bytes or, when streamed,
text chunks != output_tokens.
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def read_jsonl(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def metric(record: dict, name: str):
    value = (record.get("metrics") or {}).get(name)
    if isinstance(value, dict):
        return value.get("value")
    return value


def parse_raw(raw: dict) -> dict:
    """Server usage, text and chunks from one raw record (streamed or not)."""
    payload = raw.get("payload") or {}
    prompt = payload.get("prompt")
    if prompt is None and payload.get("messages"):
        prompt = "".join(m.get("content") or "" for m in payload["messages"]
                         if isinstance(m.get("content"), str))
    out = {"prompt_bytes": len(prompt.encode()) if isinstance(prompt, str) else None,
           "server_prompt_tokens": None, "server_completion_tokens": None,
           "output_bytes": 0, "content_chunks": 0, "finish_reason": None}
    text = ""
    bodies = []
    for response in raw.get("responses") or []:
        packets = response.get("packets")
        if packets:
            bodies += [p.get("value") for p in packets if p.get("name") == "data"]
        elif "text" in response:  # non-streamed body
            bodies.append(response["text"])
    for body in bodies:
        if not body or body.strip() == "[DONE]":
            continue
        try:
            message = json.loads(body)
        except ValueError:
            continue
        usage = message.get("usage")
        if usage:
            out["server_prompt_tokens"] = usage.get("prompt_tokens")
            out["server_completion_tokens"] = usage.get("completion_tokens")
        for choice in message.get("choices") or []:
            piece = choice.get("text")
            if piece is None:
                piece = (choice.get("delta") or {}).get("content")
            if piece is None:
                piece = (choice.get("message") or {}).get("content")
            if piece:
                text += piece
                out["content_chunks"] += 1
            if choice.get("finish_reason"):
                out["finish_reason"] = choice["finish_reason"]
    out["output_bytes"] = len(text.encode())
    out["streamed"] = bool(payload.get("stream"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("artifact_dir")
    parser.add_argument("out")
    parser.add_argument("--expect-requests", type=int)
    parser.add_argument("--expect-osl", type=int)
    parser.add_argument("--byte-tokens", action="store_true")
    parser.add_argument("--endpoint", default="completions")
    parser.add_argument("--server-token-count", action="store_true",
                        help="AIPerf ran with --use-server-token-count (labels the result)")
    args = parser.parse_args()

    records = read_jsonl(os.path.join(args.artifact_dir, "profile_export.jsonl"))
    raws = {r.get("metadata", {}).get("x_request_id"): r
            for r in read_jsonl(os.path.join(args.artifact_dir, "profile_export_raw.jsonl"))}
    summary_path = os.path.join(args.artifact_dir, "profile_export_aiperf.json")
    summary = {}
    if os.path.exists(summary_path):
        with open(summary_path, encoding="utf-8") as f:
            summary = json.load(f)
    failures: list[str] = []
    if not records:
        failures.append(f"no records in {args.artifact_dir}/profile_export.jsonl")

    server_counts = args.server_token_count or bool(
        (summary.get("input_config") or {}).get("endpoint", {}).get("use_server_token_count"))
    requests = []
    for record in sorted(records, key=lambda r: (r.get("metadata") or {}).get("request_start_ns")
                         or 0):
        meta = record.get("metadata") or {}
        rid = meta.get("x_request_id")
        raw = raws.get(rid)
        item = {
            "x_request_id": rid,
            "status": raw.get("status") if raw else None,
            "error": record.get("error"),
            "input_tokens": metric(record, "input_sequence_length"),
            "output_tokens": metric(record, "output_sequence_length"),
        }
        if raw is not None:
            item.update(parse_raw(raw))
        requests.append(item)

        where = f"request {len(requests)} ({rid})"
        if item["error"] or (item["status"] not in (None, 200)):
            failures.append(f"{where}: failed: status {item['status']}, error {item['error']}")
            continue
        if item["output_tokens"] is None:
            failures.append(f"{where}: AIPerf recorded no output token count")
            continue
        if item.get("server_completion_tokens") is not None and \
                item["server_completion_tokens"] != item["output_tokens"]:
            failures.append(f"{where}: AIPerf counted {item['output_tokens']} output tokens, the "
                            f"server's usage says {item['server_completion_tokens']}")
        if args.endpoint == "completions" and item.get("server_prompt_tokens") is not None and \
                item["server_prompt_tokens"] != item["input_tokens"]:
            failures.append(f"{where}: AIPerf counted {item['input_tokens']} input tokens, the "
                            f"server's usage says {item['server_prompt_tokens']}")
        if args.expect_osl is not None and item["output_tokens"] != args.expect_osl:
            failures.append(f"{where}: {item['output_tokens']} output tokens, want "
                            f"{args.expect_osl}")
        if args.byte_tokens and raw is not None:
            if args.endpoint == "completions" and item["input_tokens"] != item["prompt_bytes"]:
                failures.append(f"{where}: byte tokens: {item['input_tokens']} input tokens but "
                                f"the prompt has {item['prompt_bytes']} bytes")
            if item["output_tokens"] != item["output_bytes"]:
                failures.append(f"{where}: byte tokens: {item['output_tokens']} output tokens but "
                                f"the output has {item['output_bytes']} bytes")
            if item.get("streamed") and item["content_chunks"] != item["output_tokens"]:
                failures.append(f"{where}: byte tokens: {item['content_chunks']} text chunks but "
                                f"{item['output_tokens']} output tokens")
    if args.expect_requests is not None and len(requests) != args.expect_requests:
        failures.append(f"{len(requests)} request records, want {args.expect_requests}")

    def total(key: str):
        values = [r.get(key) for r in requests]
        return None if any(v is None for v in values) or not values else sum(values)

    result = {
        "tool": "aiperf",
        "aiperf_version": summary.get("aiperf_version"),
        "token_count_source": "server-usage" if server_counts else "client-tokenizer",
        "endpoint": args.endpoint,
        "totals": {
            "requests": len(requests),
            "errors": sum(1 for r in requests if r["error"] or r["status"] not in (None, 200)),
            "input_tokens": total("input_tokens"),
            "output_tokens": total("output_tokens"),
            "server_prompt_tokens": total("server_prompt_tokens"),
            "server_completion_tokens": total("server_completion_tokens"),
            "prompt_bytes": total("prompt_bytes"),
            "output_bytes": total("output_bytes"),
        },
        "aiperf_summary": {
            "request_count": (summary.get("request_count") or {}).get("avg"),
            "total_isl": (summary.get("total_isl") or {}).get("avg"),
            "total_osl": (summary.get("total_osl") or {}).get("avg"),
            "error_summary": summary.get("error_summary"),
        },
        "requests": requests,
        "failures": failures,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    if failures:
        print(f"extract_aiperf_counts: {len(failures)} check(s) failed:", file=sys.stderr)
        for line in failures[:30]:
            print("  " + line, file=sys.stderr)
        return 1
    t = result["totals"]
    print(f"extract_aiperf_counts: OK, {t['requests']} requests, {t['input_tokens']} input and "
          f"{t['output_tokens']} output tokens ({result['token_count_source']})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
