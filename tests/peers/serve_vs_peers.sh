#!/usr/bin/env bash
# Real third-party clients against `infermeter serve`, and their counts against ours:
#   1. check_openai_server.sh: the `openai` package (256 concurrent streams, every endpoint,
#      error statuses) and AIPerf (client-tokenizer and server-usage counts) against serve;
#   2. `infermeter run --engine openai` against a fresh serve with AIPerf's workload shape (20
#      requests, 64 tokens in, 32 out, concurrency 4): our client's stored input and output
#      totals must equal AIPerf's, and both the server's usage.
#
#   tests/peers/serve_vs_peers.sh INFERMETER WORKDIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$1"
mkdir -p "$2"
work="$(cd "$2" && pwd)"

"$here/check_openai_server.sh" "$work/peers" -- "$bin" serve --model tiny --host 127.0.0.1 \
  --port '{port}'

"$bin" serve --model tiny --port 0 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  url="$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/serve.out")"
  [[ -n $url ]] && break
  sleep 0.2
done
[[ -n ${url:-} ]] || { echo "serve_vs_peers: infermeter serve did not start" >&2; cat "$work/serve.err" >&2; exit 1; }

"$bin" run --engine openai --url "$url" --model tiny --workload synthetic --requests 20 \
  --concurrency 4 --input-tokens 64 --output-tokens 32 --no-engine-warmup --no-server-metrics \
  --max-schedule-lag-p99-ms 1000 --json --no-progress --db "$work/ours.db" >"$work/ours.json"

python3 - "$work/ours.json" "$work/peers/peer/peer_counts.json" \
  "$work/peers/peer-usage/peer_counts.json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
mine = (ours["requests"]["completed"], ours["tokens"]["input"], ours["tokens"]["output"])
problems = []
for path in sys.argv[2:]:
    peer = json.load(open(path))
    t = peer["totals"]
    theirs = (t["requests"] - t["errors"], t["input_tokens"], t["output_tokens"])
    server = (t["requests"] - t["errors"], t["server_prompt_tokens"], t["server_completion_tokens"])
    if theirs != mine or server != mine:
        problems.append(f"{peer['tool']} ({peer['token_count_source']}): requests, input, output "
                        f"= {theirs}, server usage {server}; infermeter: {mine}")
if problems:
    print("serve_vs_peers: counts differ:\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"serve_vs_peers: OK, AIPerf (both count sources), the server's usage and infermeter agree: "
      f"{mine[0]} requests, {mine[1]} input and {mine[2]} output tokens")
PY
