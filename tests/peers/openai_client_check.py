#!/usr/bin/env python3
"""Drive an OpenAI-compatible server with the official `openai` Python client and check it.

    openai_client_check.py --url URL --model NAME [--concurrency N] [--requests N]
                           [--max-tokens N] [--ignore-eos] [--byte-tokens] [--no-stream-usage]
                           [--token-id-prompts] [--check-errors [--strict-errors]]
                           [--json-out FILE]

Sends --requests requests (default: 2 x concurrency, at least 4), at most --concurrency at a
time, cycling through four kinds: completion, streamed completion, chat, streamed chat. Streamed
requests ask for stream_options.include_usage. Every request has a fixed, ASCII prompt (request
i's prompt is the same on every run) and max_tokens, temperature 0.

Checks, per request (any failure: a line on stderr and exit 1):
  * the response has usage with prompt_tokens > 0, completion_tokens > 0 and
    total_tokens == prompt_tokens + completion_tokens; a streamed one has exactly one usage
    chunk, the last, with no choices (unless --no-stream-usage: the server does not support
    include_usage; then there must be no usage chunk, and counts come from the stream);
  * completion_tokens <= max_tokens, and == max_tokens with finish_reason "length" when
    --ignore-eos (sent as the vLLM extension `ignore_eos: true`, plus min_tokens = max_tokens);
  * with --byte-tokens (a server whose tokens are bytes and whose output is one printable ASCII
    byte per token, as `infermeter serve` and tests/peers/make_tiny_gguf.py's model are):
    completion prompt_tokens == the prompt's byte count, chat prompt_tokens >= the message bytes,
    output text bytes == completion_tokens, and streamed content chunks == completion_tokens.
--token-id-prompts also sends completions whose prompt is an array of token ids (3 + byte).
--check-errors also sends bad requests (unknown model, negative max_tokens, a prompt longer than
any context, a chat without messages, malformed JSON) and records the status and error body of
each; it fails if the server answers one that cannot be served with a success, and with
--strict-errors (vLLM-like servers such as `infermeter serve`) unless each gets a 4xx with an
OpenAI error body and the unknown model a 404.

Prints a JSON summary on stdout (and to --json-out): per request its kind, prompt bytes, usage,
streamed content chunks, output bytes and finish reason; totals; and the error probes. A C++ or
shell test compares those counts with what our client or server recorded.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.request

try:
    import openai
except ImportError:  # pragma: no cover
    sys.exit("openai_client_check: the `openai` package is missing; run it with the venv's "
             "python (scripts/python_env prints the venv path)")

KINDS = ["completion", "completion_stream", "chat", "chat_stream"]
WORDS = ("shall i compare thee to a summer's day thou art more lovely and more temperate "
         "rough winds do shake the darling buds of may").split()


def prompt_for(i: int) -> str:
    """A deterministic ASCII prompt of 20..120 bytes for request i."""
    words = [f"request {i}:"]
    n = 20 + (i * 37) % 100
    j = i
    while len(" ".join(words)) < n:
        words.append(WORDS[j % len(WORDS)])
        j += 7
    return " ".join(words)[:n]


class Failures:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def check(self, ok: bool, where: str, what: str) -> None:
        if not ok:
            self.lines.append(f"{where}: {what}")


def usage_dict(usage) -> dict | None:
    if usage is None:
        return None
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens}


async def one_request(client: "openai.AsyncOpenAI", args, i: int, kind: str,
                      fails: Failures, token_ids: bool = False) -> dict:
    prompt = prompt_for(i)
    where = f"request {i} ({kind}{', token-id prompt' if token_ids else ''})"
    extra: dict = {}
    if args.ignore_eos:
        extra = {"ignore_eos": True, "min_tokens": args.max_tokens}
    common = dict(model=args.model, max_tokens=args.max_tokens, temperature=0.0,
                  extra_body=extra or None)
    stream = kind.endswith("_stream")
    chat = kind.startswith("chat")
    if stream and not args.no_stream_usage:
        common["stream_options"] = {"include_usage": True}
    record: dict = {"index": i, "kind": kind, "token_id_prompt": token_ids,
                    "prompt_bytes": len(prompt.encode()), "max_tokens": args.max_tokens}
    started = time.monotonic()
    text = ""
    chunks = 0  # chunks that carried generated text
    usage = None
    usage_chunks = 0
    usage_not_last = False
    finish_reason = None
    if chat:
        messages = [{"role": "user", "content": prompt}]
        if stream:
            response = await client.chat.completions.create(messages=messages, stream=True,
                                                             **common)
            async for chunk in response:
                if usage is not None:
                    usage_not_last = True
                if chunk.usage is not None:
                    usage_chunks += 1
                    usage = chunk.usage
                    fails.check(not chunk.choices, where,
                                f"the usage chunk also has choices: {chunk.choices}")
                for choice in chunk.choices:
                    piece = choice.delta.content if choice.delta else None
                    if piece:
                        text += piece
                        chunks += 1
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
        else:
            response = await client.chat.completions.create(messages=messages, **common)
            usage = response.usage
            text = response.choices[0].message.content or ""
            finish_reason = response.choices[0].finish_reason
    else:
        sent_prompt: str | list[int] = [3 + b for b in prompt.encode()] if token_ids else prompt
        if stream:
            response = await client.completions.create(prompt=sent_prompt, stream=True, **common)
            async for chunk in response:
                if usage is not None:
                    usage_not_last = True
                if chunk.usage is not None:
                    usage_chunks += 1
                    usage = chunk.usage
                    fails.check(not chunk.choices, where,
                                f"the usage chunk also has choices: {chunk.choices}")
                for choice in chunk.choices:
                    if choice.text:
                        text += choice.text
                        chunks += 1
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
        else:
            response = await client.completions.create(prompt=sent_prompt, **common)
            usage = response.usage
            text = response.choices[0].text or ""
            finish_reason = response.choices[0].finish_reason
    record.update({
        "stream": stream,
        "usage": usage_dict(usage),
        "content_chunks": chunks if stream else None,
        "usage_chunks": usage_chunks if stream else None,
        "output_bytes": len(text.encode()),
        "output_chars": len(text),
        "finish_reason": finish_reason,
        # The count to compare: the server's usage, else (a stream without usage) the chunks.
        "completion_tokens": (usage.completion_tokens if usage is not None else chunks),
        "completion_tokens_source": "usage" if usage is not None else "chunks",
        "seconds": round(time.monotonic() - started, 4),
    })

    # Checks.
    if stream and args.no_stream_usage:
        fails.check(usage_chunks == 0, where,
                    f"--no-stream-usage, yet the stream had {usage_chunks} usage chunk(s)")
    elif stream:
        fails.check(usage_chunks == 1, where,
                    f"stream_options.include_usage: want exactly 1 usage chunk, got {usage_chunks}")
        fails.check(not usage_not_last, where, "the usage chunk is not the last chunk")
    if usage is not None:
        u = usage
        fails.check(u.prompt_tokens > 0, where, f"usage.prompt_tokens = {u.prompt_tokens}")
        fails.check(u.completion_tokens > 0, where,
                    f"usage.completion_tokens = {u.completion_tokens}")
        fails.check(u.total_tokens == u.prompt_tokens + u.completion_tokens, where,
                    f"usage.total_tokens {u.total_tokens} != prompt_tokens {u.prompt_tokens} + "
                    f"completion_tokens {u.completion_tokens}")
        fails.check(u.completion_tokens <= args.max_tokens, where,
                    f"usage.completion_tokens {u.completion_tokens} > max_tokens {args.max_tokens}")
        if args.ignore_eos:
            fails.check(u.completion_tokens == args.max_tokens, where,
                        f"ignore_eos: usage.completion_tokens {u.completion_tokens} != "
                        f"max_tokens {args.max_tokens}")
        if args.byte_tokens:
            if chat:
                fails.check(u.prompt_tokens >= record["prompt_bytes"], where,
                            f"byte tokens: chat usage.prompt_tokens {u.prompt_tokens} < the "
                            f"message's {record['prompt_bytes']} bytes")
            else:
                fails.check(u.prompt_tokens == record["prompt_bytes"], where,
                            f"byte tokens: usage.prompt_tokens {u.prompt_tokens} != the prompt's "
                            f"{record['prompt_bytes']} bytes")
            fails.check(record["output_bytes"] == u.completion_tokens, where,
                        f"byte tokens: the output has {record['output_bytes']} bytes but "
                        f"usage.completion_tokens = {u.completion_tokens}")
            if stream:
                fails.check(chunks == u.completion_tokens, where,
                            f"byte tokens: {chunks} streamed content chunks but "
                            f"usage.completion_tokens = {u.completion_tokens}")
    elif not (stream and args.no_stream_usage):
        fails.check(False, where, "no usage in the response")
    if args.ignore_eos:
        fails.check(finish_reason == "length", where,
                    f"ignore_eos: finish_reason {finish_reason!r}, want 'length'")
        if stream and args.byte_tokens:
            fails.check(chunks == args.max_tokens, where,
                        f"ignore_eos: {chunks} streamed content chunks, want {args.max_tokens}")
    fails.check(finish_reason in ("length", "stop"), where,
                f"finish_reason {finish_reason!r}, want 'length' or 'stop'")
    return record


def raw_post(url: str, body: bytes, timeout: float = 60) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")[:2000]
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")[:2000]


def error_probes(base: str, model: str, strict: bool, fails: Failures) -> list[dict]:
    """Bad requests through plain HTTP (to see the status and body the server really sends).

    Always a failure: a 2xx for a request that cannot be served (negative max_tokens, a prompt
    longer than any context, malformed JSON). With strict (a vLLM-like
    server such as `infermeter serve`): every probe must get a 4xx with an OpenAI-style JSON
    body {"error": {"message": ...}} (vLLM puts the status in error.code), and the unknown model
    a 404."""
    # Longer than the model's context: the server's own figure when /v1/models states it (vLLM
    # and `infermeter serve` list max_model_len), else longer than any small test model's.
    context = 200_000
    try:
        with urllib.request.urlopen(base + "/models", timeout=30) as response:
            for entry in json.loads(response.read()).get("data", []):
                if entry.get("id") == model and isinstance(entry.get("max_model_len"), int):
                    context = entry["max_model_len"]
    except (OSError, ValueError):
        pass
    long_prompt = "x" * (context + 100)
    cases = [
        ("unknown_model", "/completions",
         {"model": "no-such-model-xyz", "prompt": "hi", "max_tokens": 4}),
        ("negative_max_tokens", "/completions",
         {"model": model, "prompt": "hi", "max_tokens": -1}),
        ("context_overflow", "/completions",
         {"model": model, "prompt": long_prompt, "max_tokens": 4}),
        ("chat_without_messages", "/chat/completions", {"model": model, "max_tokens": 4}),
        ("malformed_json", "/completions", None),
    ]
    results = []
    for name, path, body in cases:
        payload = b'{"model": "x", "prompt": ' if body is None else json.dumps(body).encode()
        status, text = raw_post(base + path, payload)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        results.append({"case": name, "path": path, "status": status,
                        "body": parsed if parsed is not None else text[:500]})
        where = f"error probe {name}"
        if name not in ("unknown_model", "chat_without_messages"):
            fails.check(not 200 <= status < 300, where,
                        f"status {status} for a bad request: {text[:300]}")
        if strict:
            want = (404,) if name == "unknown_model" else tuple(range(400, 500))
            fails.check(status in want, where,
                        f"status {status}, want {'404' if name == 'unknown_model' else '4xx'}: "
                        f"{text[:300]}")
            fails.check(isinstance(parsed, dict) and isinstance(parsed.get("error"), dict)
                        and "message" in parsed["error"], where,
                        f"body is not an OpenAI error object: {text[:300]}")
    return results


async def run(args) -> dict:
    base = args.url.rstrip("/")
    if not base.endswith("/v1"):
        base += "/v1"
    fails = Failures()
    client = openai.AsyncOpenAI(base_url=base, api_key=args.api_key, max_retries=0,
                                timeout=args.timeout)
    semaphore = asyncio.Semaphore(args.concurrency)
    jobs = [(i, KINDS[i % len(KINDS)], False) for i in range(args.requests)]
    if args.token_id_prompts:
        jobs += [(args.requests + i, kind, True)
                 for i, kind in enumerate(["completion", "completion_stream"] * 2)]

    async def guarded(i: int, kind: str, token_ids: bool) -> dict:
        async with semaphore:
            try:
                return await one_request(client, args, i, kind, fails, token_ids)
            except openai.APIError as error:
                status = getattr(error, "status_code", None)
                fails.check(False, f"request {i} ({kind})",
                            f"{type(error).__name__} (status {status}): {error}")
                return {"index": i, "kind": kind, "error": f"{type(error).__name__}: {error}",
                        "status": status}

    started = time.monotonic()
    records = await asyncio.gather(*(guarded(*job) for job in jobs))
    wall = time.monotonic() - started
    await client.close()
    ok = [r for r in records if "error" not in r]
    totals = {
        "requests": len(records),
        "succeeded": len(ok),
        "prompt_tokens": sum((r["usage"] or {}).get("prompt_tokens", 0) for r in ok),
        "completion_tokens": sum(r["completion_tokens"] for r in ok),
        "usage_completion_tokens": sum((r["usage"] or {}).get("completion_tokens", 0)
                                       for r in ok),
        "prompt_bytes": sum(r["prompt_bytes"] for r in ok),
        "output_bytes": sum(r["output_bytes"] for r in ok),
        "content_chunks": sum(r["content_chunks"] or 0 for r in ok),
        "seconds": round(wall, 3),
    }
    summary = {"tool": "openai", "openai_version": openai.__version__, "url": base,
               "model": args.model, "concurrency": args.concurrency, "max_tokens": args.max_tokens,
               "ignore_eos": args.ignore_eos, "totals": totals,
               "requests": sorted(records, key=lambda r: r["index"])}
    if args.check_errors:
        summary["error_probes"] = error_probes(base, args.model, args.strict_errors, fails)
    summary["failures"] = fails.lines
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring (head -40 of this file) for every check.")
    parser.add_argument("--url", required=True, help="server base URL, with or without /v1")
    parser.add_argument("--model", required=True)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=None,
                        help="requests to send (default: 2 x concurrency, at least 4)")
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--ignore-eos", action="store_true",
                        help="send ignore_eos/min_tokens and expect exactly max_tokens tokens")
    parser.add_argument("--byte-tokens", action="store_true",
                        help="the server's tokens are bytes: check counts against bytes")
    parser.add_argument("--no-stream-usage", action="store_true",
                        help="the server does not support stream_options.include_usage")
    parser.add_argument("--token-id-prompts", action="store_true",
                        help="also send completions with token-id array prompts (3 + byte)")
    parser.add_argument("--check-errors", action="store_true",
                        help="also probe bad requests and record status and body")
    parser.add_argument("--strict-errors", action="store_true",
                        help="with --check-errors: every probe must get a 4xx with an OpenAI "
                             "error body, the unknown model a 404 (vLLM behaviour)")
    parser.add_argument("--api-key", default="EMPTY")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--json-out", help="also write the JSON summary to this file")
    args = parser.parse_args()
    if args.requests is None:
        args.requests = max(4, 2 * args.concurrency)
    if args.concurrency < 1 or args.requests < 1 or args.max_tokens < 1:
        parser.error("--concurrency, --requests and --max-tokens must be >= 1")

    summary = asyncio.run(run(args))
    text = json.dumps(summary, indent=1)
    print(text)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    if summary["failures"]:
        print(f"openai_client_check: {len(summary['failures'])} check(s) failed against "
              f"{summary['url']}:", file=sys.stderr)
        for line in summary["failures"][:50]:
            print("  " + line, file=sys.stderr)
        if len(summary["failures"]) > 50:
            print(f"  ... and {len(summary['failures']) - 50} more", file=sys.stderr)
        return 1
    t = summary["totals"]
    print(f"openai_client_check: OK, {t['succeeded']} requests, {t['prompt_tokens']} prompt and "
          f"{t['completion_tokens']} completion tokens in {t['seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
