#!/usr/bin/env bash
# Our client against a real third-party OpenAI-compatible server: llama-cpp-python's, on the
# tiny GGUF model written at test time (with_llama_server.sh). Three runs through
# `infermeter run --engine openai`, each checked from its --json summary and stored rows:
#   1. completions, streamed, text prompts (one byte per token: the model's tokenizer is
#      byte-level): every request completes with exactly the requested tokens. The server sends
#      no usage in streams (it ignores stream_options), so the counts are the client's own.
#   2. chat, two 3-turn agentic sessions (message histories): every request completes with
#      exactly the requested tokens.
#   3. prompts longer than the model's 512-token context: the server answers a stream with an
#      empty body, which the client must record as a failed request (stream_cut), not a success.
#
#   tests/peers/client_vs_llama.sh INFERMETER WORKDIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$1"
mkdir -p "$2"
work="$(cd "$2" && pwd)"
if [[ ${3:-} != --inner ]]; then
  exec "$here/with_llama_server.sh" "$work/llama" -- "$0" "$bin" "$work" --inner
fi

rm -f "$work"/*.db "$work"/*.db-wal "$work"/*.db-shm  # each run's rows alone

run() {  # NAME ARG...: one run against the server, its JSON summary in WORK/NAME.json
  local name="$1"; shift
  "$bin" run --engine openai --url "$LLAMA_SERVER_URL" --model "$LLAMA_SERVER_MODEL" \
    --vocab-size 259 --prompt-text bytes --no-server-metrics --no-engine-warmup \
    --max-schedule-lag-p99-ms 5000 --json --no-progress --db "$work/$name.db" "$@" \
    >"$work/$name.json"
}
run completions --text-prompts --workload synthetic --requests 12 --concurrency 4 \
  --input-tokens 32 --output-tokens 8
# Small agentic sessions (3 turns each), so whole conversations fit the 512-token context.
"$bin" trace generate agentic --sessions 2 --turns 3 --system-prompt-tokens 32 \
  --tool-schema-tokens 32 --user-tokens fixed:16 --tool-result-tokens fixed:16 \
  --answer-tokens fixed:8 --tool-latency-ms fixed:10 --block-size 16 -o "$work/agentic.jsonl" \
  >/dev/null 2>&1
run chat --api chat --workload "$work/agentic.jsonl" --concurrency 2
run overflow --text-prompts --workload synthetic --requests 3 --concurrency 1 \
  --input-tokens 600 --output-tokens 4

python3 - "$work" <<'PY'
import json, sqlite3, sys
work = sys.argv[1]
problems = []
def check(condition, message):
    if not condition:
        problems.append(message)
def summary(name):
    return json.load(open(f"{work}/{name}.json"))

s = summary("completions")
check(s["requests"]["completed"] == 12 and s["requests"]["failed"] == 0,
      f"completions: {s['requests']}")
check(s["tokens"]["output"] == 12 * 8, f"completions: output tokens {s['tokens']['output']}, want 96")
check(s["tokens"]["input"] == 12 * 32, f"completions: input tokens {s['tokens']['input']}, want 384")
db = sqlite3.connect(f"file:{work}/completions.db?mode=ro", uri=True)
rows = db.execute("SELECT output_tokens, finish_reason, first_token_ns IS NOT NULL FROM requests").fetchall()
check(len(rows) == 12 and all(r == (8, "length", 1) for r in rows), f"completions rows: {rows}")

s = summary("chat")
check(s["requests"]["completed"] == 6 and s["requests"]["failed"] == 0, f"chat: {s['requests']}")
check(s["tokens"]["output"] == 6 * 8, f"chat: output tokens {s['tokens']['output']}, want 48")
check(s["tokens"]["usage_mismatches"] == 0, f"chat: {s['tokens']}")

s = summary("overflow")
check(s["requests"]["failed"] == 3 and s["requests"]["completed"] == 0, f"overflow: {s['requests']}")
db = sqlite3.connect(f"file:{work}/overflow.db?mode=ro", uri=True)
classes = [r[0] for r in db.execute("SELECT error_class FROM requests")]
check(classes == ["stream_cut"] * 3, f"overflow: error classes {classes}, want stream_cut")

if problems:
    print("client_vs_llama: " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
print("client_vs_llama: OK (completions 12/12 with 96 tokens, chat 6/6, overflow recorded as stream_cut)")
PY
