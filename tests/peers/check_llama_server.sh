#!/usr/bin/env bash
# Self-test of the peer tooling against a real third-party server, with no infermeter binary:
# llama-cpp-python's OpenAI-compatible server on the tiny GGUF model, driven by the `openai`
# client (openai_client_check.py) and by AIPerf (peer_bench.sh), every count checked.
#
#   tests/peers/check_llama_server.sh [WORKDIR]      (default: a temporary directory, removed)
#
# Steps: scripts/python_env (cached venv) -> make_byte_tokenizer.py, make_tiny_gguf.py into
# WORKDIR -> llama_server.py starts the server on a free port -> openai_client_check.py at
# concurrency 16 (ignore_eos, byte tokens, no stream usage: llama-cpp-python has none) and its
# error probes -> peer_bench.sh (AIPerf, 20 streamed completions, 64 in / 32 out, concurrency 4,
# counts checked against bytes) -> the server is stopped. About 20 s once the venv exists.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${INFERMETER_VENV:-$("$here/../../scripts/python_env" | tail -n 1)}"
export INFERMETER_VENV="$venv"
py="$venv/bin/python"

if [[ $# -ge 1 ]]; then
  work="$1"; mkdir -p "$work"
else
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
fi
"$py" "$here/make_byte_tokenizer.py" "$work/tokenizer" >/dev/null
"$py" "$here/make_tiny_gguf.py" "$work/tiny.gguf" >/dev/null

# One server for both clients; llama_server.py stops it when the inner script ends.
# shellcheck disable=SC2016  # expanded by the inner bash, from its arguments and environment
"$py" "$here/llama_server.py" --model "$work/tiny.gguf" --alias tiny --log "$work/server.log" -- \
  bash -c '
    set -euo pipefail
    "$0/bin/python" "$1/openai_client_check.py" --url "$LLAMA_SERVER_URL" --model tiny \
      --concurrency 16 --requests 64 --max-tokens 16 --ignore-eos --byte-tokens \
      --no-stream-usage --check-errors --json-out "$2/openai_counts.json" >/dev/null
    PEER_BYTE_TOKENS=1 "$1/peer_bench.sh" "$LLAMA_SERVER_URL" tiny "$2/tokenizer" "$2/peer" \
      >/dev/null
  ' "$venv" "$here" "$work"
echo "check_llama_server: OK (openai: $work/openai_counts.json, aiperf: $work/peer/peer_counts.json)"
