#!/usr/bin/env bash
# Runs a peer benchmark tool, NVIDIA AIPerf (PyPI `aiperf`, pinned in requirements.txt), against
# an OpenAI-compatible server with a small fixed workload, fully offline, and writes the token
# counts it measured per request to OUTDIR/peer_counts.json.
#
#   tests/peers/peer_bench.sh URL MODEL TOKENIZER_DIR OUTDIR
#
#   URL            server base URL without /v1, e.g. http://127.0.0.1:8000
#   MODEL          model name to send
#   TOKENIZER_DIR  a local Hugging Face tokenizer directory (tests/peers/make_byte_tokenizer.py)
#   OUTDIR         created; gets aiperf/ (AIPerf's artifacts and log), aiperf.log (its console
#                  output) and peer_counts.json (tests/peers/extract_aiperf_counts.py)
#
# Workload (environment variables, defaults in brackets): PEER_REQUESTS [20] requests,
# PEER_CONCURRENCY [4] at a time, PEER_ISL [64] input and PEER_OSL [32] output tokens with no
# spread, PEER_ENDPOINT [completions] (or chat), PEER_STREAMING [1], seed 42. Every request also
# carries the vLLM extensions ignore_eos=true and min_tokens=PEER_OSL, so a server that honours
# them generates exactly PEER_OSL tokens (PEER_IGNORE_EOS=0 leaves them out).
# PEER_SERVER_TOKEN_COUNT=1 makes AIPerf take its counts from the server's usage
# (--use-server-token-count) instead of its tokenizer. PEER_BYTE_TOKENS=1 also checks the counts
# against prompt and output bytes (servers whose tokens are bytes: `infermeter serve`,
# tests/peers/make_tiny_gguf.py's model). PEER_EXPECT_OSL=1 [default 1 when ignore_eos is sent]
# checks every request produced exactly PEER_OSL tokens. PEER_EXTRA_ARGS: more AIPerf arguments.
#
# How AIPerf counts tokens (0.13): by default it re-tokenizes on the client, with the tokenizer
# given: input = the prompt text(s) of the request payload (for chat: the message contents
# without the chat template), output = the concatenated generated text (content, or reasoning
# counted apart). With --use-server-token-count it reads prompt_tokens/completion_tokens from the
# last usage object in the response instead (and asks for stream_options.include_usage); a
# stream without usage then has no counts. It always sends stream_options.include_usage when
# streaming. See tests/peers/README.md.
#
# Offline: no hub access is possible or attempted. AIPerf 0.13 cannot load a local tokenizer
# directory with HF_HUB_OFFLINE=1 or TRANSFORMERS_OFFLINE=1 set (its offline path resolves every
# name through huggingface_hub.snapshot_download, which rejects a path), so both are unset for
# it; instead HF_ENDPOINT points at a closed loopback port (any hub call would fail at once),
# HF_HOME at an empty directory under OUTDIR, and telemetry is off. The tokenizer path is
# absolute, which AIPerf treats as local without asking the hub.
#
# Exit status: AIPerf's, else the extractor's (1 when a count check fails). Needs the venv from
# scripts/python_env (found by itself; INFERMETER_VENV overrides).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -ne 4 ]]; then
  sed -n '2,16p' "$0" >&2
  exit 2
fi
url="${1%/}"; url="${url%/v1}"
model="$2"
tokenizer="$(cd "$3" && pwd)" || { echo "peer_bench: no tokenizer directory '$3'" >&2; exit 2; }
[[ -f $tokenizer/tokenizer.json ]] || { echo "peer_bench: $tokenizer has no tokenizer.json" >&2; exit 2; }
mkdir -p "$4"
outdir="$(cd "$4" && pwd)"

venv="${INFERMETER_VENV:-}"
if [[ -z $venv ]]; then
  venv="$("$here/../../scripts/python_env" | tail -n 1)"
fi
[[ -x $venv/bin/aiperf ]] || { echo "peer_bench: no aiperf in $venv" >&2; exit 1; }

requests="${PEER_REQUESTS:-20}"
concurrency="${PEER_CONCURRENCY:-4}"
isl="${PEER_ISL:-64}"
osl="${PEER_OSL:-32}"
endpoint="${PEER_ENDPOINT:-completions}"
ignore_eos="${PEER_IGNORE_EOS:-1}"
expect_osl="${PEER_EXPECT_OSL:-$ignore_eos}"

args=(profile
  --model "$model" --url "$url" --endpoint-type "$endpoint"
  --tokenizer "$tokenizer"
  --isl "$isl" --isl-stddev 0 --osl "$osl" --osl-stddev 0
  --request-count "$requests" --concurrency "$concurrency" --random-seed 42
  --use-legacy-max-tokens      # max_tokens, which every server knows (llama-cpp-python's chat ignores max_completion_tokens)
  --ui none --no-server-metrics --no-gpu-telemetry
  --artifact-dir "$outdir/aiperf" --export-level raw)
[[ ${PEER_STREAMING:-1} == 1 ]] && args+=(--streaming)
[[ $ignore_eos == 1 ]] && args+=(--extra-inputs ignore_eos:true --extra-inputs "min_tokens:$osl")
[[ ${PEER_SERVER_TOKEN_COUNT:-0} == 1 ]] && args+=(--use-server-token-count)
# shellcheck disable=SC2206
[[ -n ${PEER_EXTRA_ARGS:-} ]] && args+=(${PEER_EXTRA_ARGS})

rm -rf "$outdir/aiperf" "$outdir/hf-home"
mkdir -p "$outdir/hf-home"
echo "peer_bench: aiperf ${args[*]}" >&2
status=0
env -u HF_HUB_OFFLINE -u TRANSFORMERS_OFFLINE \
  HF_ENDPOINT=http://127.0.0.1:9 HF_HOME="$outdir/hf-home" HF_HUB_DISABLE_TELEMETRY=1 \
  HF_HUB_DISABLE_PROGRESS_BARS=1 DO_NOT_TRACK=1 NO_COLOR=1 COLUMNS=160 \
  "$venv/bin/aiperf" "${args[@]}" >"$outdir/aiperf.log" 2>&1 </dev/null || status=$?
if [[ $status -ne 0 ]]; then
  echo "peer_bench: aiperf failed (exit $status); last lines of $outdir/aiperf.log:" >&2
  tail -n 40 "$outdir/aiperf.log" >&2
  exit "$status"
fi

extract=("$outdir/aiperf" "$outdir/peer_counts.json" --expect-requests "$requests"
  --endpoint "$endpoint")
[[ $expect_osl == 1 ]] && extract+=(--expect-osl "$osl")
[[ ${PEER_BYTE_TOKENS:-0} == 1 ]] && extract+=(--byte-tokens)
[[ ${PEER_SERVER_TOKEN_COUNT:-0} == 1 ]] && extract+=(--server-token-count)
"$venv/bin/python" "$here/extract_aiperf_counts.py" "${extract[@]}"
echo "$outdir/peer_counts.json"
