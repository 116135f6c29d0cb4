#!/usr/bin/env python3
"""Start llama-cpp-python's OpenAI-compatible server on a free loopback port and wait until it
answers; then either run a command against it and stop it, or leave it running.

  Run a command with the server up, then stop the server (the exit status is the command's):
    llama_server.py --model tiny.gguf [--alias NAME] [--log FILE] -- CMD ARG...
  CMD sees LLAMA_SERVER_URL (http://127.0.0.1:PORT, no /v1), LLAMA_SERVER_MODEL (the alias)
  and LLAMA_SERVER_PID in its environment, and '{url}' / '{model}' in its arguments are replaced.

  Start it and leave it running (prints "URL PID" on stdout; stop it with `kill PID`, which
  ends the whole process group: `kill -- -PID`):
    llama_server.py --model tiny.gguf --detach [--log FILE]

Run it with the venv's python (scripts/python_env prints the venv path): the server is
`python -m llama_cpp.server` from that same interpreter. Settings, and why:
  --n_ctx 512 (the tiny model's context), --n_threads 1 (two-core machines, tests in parallel),
  --interrupt_requests False: by default llama-cpp-python ends a running stream early (a bare
    [DONE], no finish_reason) as soon as another request arrives, which breaks any test with
    concurrency > 1;
  --model_alias: the name /v1/models reports (default "tiny").
The server runs one request at a time (the others wait on a lock), so concurrency only queues.
Waits up to --ready-timeout seconds (default 120) for GET /v1/models to answer 200; exit 1 with
the server's log tail if it dies or does not get ready.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path: str, lines: int = 30) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start(args) -> tuple[subprocess.Popen, str]:
    """Start the server, retrying on another port if the chosen one was taken meanwhile."""
    for attempt in range(3):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "llama_cpp.server", "--model", args.model,
                   "--model_alias", args.alias, "--host", "127.0.0.1", "--port", str(port),
                   "--n_ctx", str(args.n_ctx), "--n_threads", str(args.n_threads),
                   "--interrupt_requests", "False", *args.server_arg]
        log = open(args.log, "ab")
        log.write(f"llama_server.py: {' '.join(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + args.ready_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(url + "/v1/models", timeout=5) as response:
                    if response.status == 200:
                        return process, url
            except OSError:
                pass
            time.sleep(0.2)
        stop(process)
        tail = log_tail(args.log)
        if "address already in use" in tail.lower() and attempt < 2:
            continue
        sys.exit(f"llama_server.py: the server did not get ready on {url} within "
                 f"{args.ready_timeout} s (exit {process.returncode}); log {args.log}:\n{tail}")
    sys.exit("llama_server.py: no free port after 3 tries")


def main() -> int:
    argv = sys.argv[1:]
    command: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, command = argv[:split], argv[split + 1:]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--model", required=True, help="GGUF file")
    parser.add_argument("--alias", default="tiny", help="model name the server reports")
    parser.add_argument("--n-ctx", type=int, default=512)
    parser.add_argument("--n-threads", type=int, default=1)
    parser.add_argument("--ready-timeout", type=float, default=120.0)
    parser.add_argument("--log", help="server log (default: a temporary file)")
    parser.add_argument("--detach", action="store_true",
                        help="leave the server running; print 'URL PID'")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra argument for llama_cpp.server (repeatable)")
    args = parser.parse_args(argv)
    if not command and not args.detach:
        parser.error("give a command after --, or --detach")
    if not os.path.isfile(args.model):
        parser.error(f"no such model file: {args.model}")
    if not args.log:
        fd, args.log = tempfile.mkstemp(prefix="llama_server.", suffix=".log")
        os.close(fd)

    process, url = start(args)
    if args.detach:
        print(f"{url} {process.pid}", flush=True)
        return 0
    env = dict(os.environ, LLAMA_SERVER_URL=url, LLAMA_SERVER_MODEL=args.alias,
               LLAMA_SERVER_PID=str(process.pid))
    command = [c.replace("{url}", url).replace("{model}", args.alias) for c in command]
    try:
        status = subprocess.call(command, env=env)
    except KeyboardInterrupt:
        status = 130
    finally:
        alive = process.poll() is None
        stop(process)
    if not alive:
        print(f"llama_server.py: the server died during the command (exit "
              f"{process.returncode}); log {args.log}:\n{log_tail(args.log)}", file=sys.stderr)
        return status or 1
    return status


if __name__ == "__main__":
    sys.exit(main())
