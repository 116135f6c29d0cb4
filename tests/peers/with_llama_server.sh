#!/usr/bin/env bash
# Runs a command against a real llama-cpp-python server on the tiny test model, then stops it.
# For tests of our own client against a third-party OpenAI-compatible server.
#
#   tests/peers/with_llama_server.sh WORKDIR -- CMD ARG...
#
# Makes the venv (scripts/python_env), the tiny GGUF model and the byte tokenizer in WORKDIR
# (tiny.gguf, tokenizer/), starts the server on a free loopback port (llama_server.py: context
# 512, one thread, --interrupt_requests False, model alias "tiny"), runs CMD with
#   LLAMA_SERVER_URL    http://127.0.0.1:PORT (no /v1)
#   LLAMA_SERVER_MODEL  tiny
#   LLAMA_SERVER_PID    the server's pid (its process group)
#   PEERS_TOKENIZER     WORKDIR/tokenizer
#   INFERMETER_VENV     the venv
# in its environment and '{url}' / '{model}' in its arguments replaced, stops the server, and
# exits with CMD's status (1 if the server died meanwhile; its log is WORKDIR/server.log).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 3 || $2 != -- ]]; then
  sed -n '2,17p' "$0" >&2
  exit 2
fi
work="$1"; shift 2
mkdir -p "$work"
venv="${INFERMETER_VENV:-$("$here/../../scripts/python_env" | tail -n 1)}"
export INFERMETER_VENV="$venv"
"$venv/bin/python" "$here/make_byte_tokenizer.py" "$work/tokenizer" >/dev/null
"$venv/bin/python" "$here/make_tiny_gguf.py" "$work/tiny.gguf" >/dev/null
export PEERS_TOKENIZER="$work/tokenizer"
exec "$venv/bin/python" "$here/llama_server.py" --model "$work/tiny.gguf" --alias tiny \
  --log "$work/server.log" -- "$@"
