#!/usr/bin/env bash
# Starts an OpenAI-compatible server (by default expected to behave like vLLM, as
# `infermeter serve` does) and checks it with real third-party clients: the `openai` package
# (openai_client_check.py) and AIPerf (peer_bench.sh, client-tokenizer counts and server-usage
# counts), all counts compared. Then stops the server.
#
#   tests/peers/check_openai_server.sh WORKDIR -- SERVER_CMD ARG...
#
# '{port}' in SERVER_CMD's arguments becomes a free loopback port; the server must listen on
# 127.0.0.1 there. It is started in its own process group (log: WORKDIR/server.log), must answer
# GET /v1/models within PEER_READY_TIMEOUT seconds [120], and the first model it lists is used
# (PEER_MODEL overrides). Example:
#   tests/peers/check_openai_server.sh build/peers/serve -- build/release/cli/infermeter serve \
#     --host 127.0.0.1 --port {port}
#
# Results: WORKDIR/openai_counts.json, WORKDIR/peer/peer_counts.json,
# WORKDIR/peer-usage/peer_counts.json. Environment:
#   PEER_OPENAI_FLAGS  flags for openai_client_check.py [--concurrency 256 --requests 512
#                      --max-tokens 16 --ignore-eos --byte-tokens --token-id-prompts
#                      --check-errors --strict-errors]
#   PEER_BENCH_ENV     extra VAR=VALUE words for both peer_bench.sh runs [PEER_BYTE_TOKENS=1]
#   PEER_USAGE_RUN     1 [default]: also run AIPerf with --use-server-token-count
# Exit 0 when everything passed, else the first failure's status, with its message.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 3 || $2 != -- ]]; then
  sed -n '2,24p' "$0" >&2
  exit 2
fi
mkdir -p "$1"
work="$(cd "$1" && pwd)"; shift 2
venv="${INFERMETER_VENV:-$("$here/../../scripts/python_env" | tail -n 1)}"
export INFERMETER_VENV="$venv"
py="$venv/bin/python"
"$py" "$here/make_byte_tokenizer.py" "$work/tokenizer" >/dev/null

port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
command=()
for arg in "$@"; do command+=("${arg//\{port\}/$port}"); done

setsid "${command[@]}" >"$work/server.log" 2>&1 </dev/null &
server=$!
stop_server() {
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM -- "-$server" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$server" 2>/dev/null || true
  fi
  wait "$server" 2>/dev/null || true
}
trap stop_server EXIT

deadline=$(( $(date +%s) + ${PEER_READY_TIMEOUT:-120} ))
until models="$(curl -sf "$url/v1/models")"; do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "check_openai_server: the server exited before it was ready; $work/server.log:" >&2
    tail -n 30 "$work/server.log" >&2
    exit 1
  fi
  if (( $(date +%s) > deadline )); then
    echo "check_openai_server: no answer from $url/v1/models in ${PEER_READY_TIMEOUT:-120} s" >&2
    tail -n 30 "$work/server.log" >&2
    exit 1
  fi
  sleep 0.2
done
model="${PEER_MODEL:-$(echo "$models" | "$py" -c 'import json, sys; print(json.load(sys.stdin)["data"][0]["id"])')}"
echo "check_openai_server: $url serves '$model'" >&2

# shellcheck disable=SC2086
"$py" "$here/openai_client_check.py" --url "$url" --model "$model" \
  ${PEER_OPENAI_FLAGS:---concurrency 256 --requests 512 --max-tokens 16 --ignore-eos --byte-tokens --token-id-prompts --check-errors --strict-errors} \
  --json-out "$work/openai_counts.json" >/dev/null
# shellcheck disable=SC2086
env ${PEER_BENCH_ENV:-PEER_BYTE_TOKENS=1} "$here/peer_bench.sh" "$url" "$model" \
  "$work/tokenizer" "$work/peer" >/dev/null
if [[ ${PEER_USAGE_RUN:-1} == 1 ]]; then
  # shellcheck disable=SC2086
  env ${PEER_BENCH_ENV:-PEER_BYTE_TOKENS=1} PEER_SERVER_TOKEN_COUNT=1 "$here/peer_bench.sh" \
    "$url" "$model" "$work/tokenizer" "$work/peer-usage" >/dev/null
fi
kill -0 "$server" 2>/dev/null || { echo "check_openai_server: the server died during the checks" >&2; exit 1; }
echo "check_openai_server: OK ($work/openai_counts.json, $work/peer/peer_counts.json)"
