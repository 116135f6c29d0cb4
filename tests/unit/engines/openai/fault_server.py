#!/usr/bin/env python3
"""A small OpenAI-compatible streaming server for fault injection in the client's tests.

It answers POST /v1/completions and /v1/chat/completions; the request's "model" picks what it
does (see BEHAVIOURS). Every request is remembered (path, headers, body) and served back as JSON
at GET /requests, so tests can check what the client sent. Happy paths are tested against real
servers (`infermeter serve`, llama-cpp-python); this one exists to break things on purpose.

Usage: fault_server.py PORTFILE  -- binds 127.0.0.1 on a free port and writes the port to PORTFILE.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECORDED = []
LOCK = threading.Lock()
ATTEMPTS = {}  # model -> attempts seen (for retry scenarios)


def chunk(text=None, token_ids=None, finish=None, usage=None, chat=False, reasoning=None):
    choice = {"index": 0, "finish_reason": finish}
    if chat:
        delta = {}
        if text is not None:
            delta["content"] = text
        if reasoning is not None:
            delta["reasoning_content"] = reasoning
        choice["delta"] = delta
    else:
        choice["text"] = text or ""
    if token_ids is not None:
        choice["token_ids"] = token_ids
    body = {"id": "x", "object": "text_completion", "created": 0, "model": "m",
            "choices": [choice]}
    if usage is not None:
        body["usage"] = usage
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_events(self, events, close_early=False, raw_tail=b""):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for event in events:
            data = event if isinstance(event, str) else json.dumps(event)
            self.wfile.write(f"data: {data}\n\n".encode())
            self.wfile.flush()
        if raw_tail:
            self.wfile.write(raw_tail)
            self.wfile.flush()
        self.close_connection = True

    def send_json(self, status, obj, headers=()):
        payload = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        if self.path == "/requests":
            with LOCK:
                self.send_json(200, RECORDED)
        else:
            self.send_json(404, {"error": {"message": "no such route", "type": "not_found"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        body = json.loads(raw)
        model = body.get("model", "")
        chat = self.path.endswith("/chat/completions")
        with LOCK:
            RECORDED.append({"path": self.path, "headers": dict(self.headers.items()),
                             "body": body})
            ATTEMPTS[model] = ATTEMPTS.get(model, 0) + 1
            attempt = ATTEMPTS[model]
        n = int(body.get("max_tokens", 16))
        usage = {"prompt_tokens": 7, "completion_tokens": n, "total_tokens": 7 + n,
                 "prompt_tokens_details": {"cached_tokens": 3}}
        if model == "ok":
            events = []
            if chat:
                events.append({"id": "x", "choices": [{"index": 0, "delta": {"role": "assistant",
                               "content": ""}, "finish_reason": None}]})
            for i in range(n):
                events.append(chunk(text="a", finish="length" if i == n - 1 else None, chat=chat))
            events.append({"id": "x", "choices": [], "usage": usage})
            events.append("[DONE]")
            self.send_events(events)
        elif model == "multi":  # two tokens per chunk, counted from token_ids
            events = [chunk(text="ab", token_ids=[5, 6], chat=chat) for _ in range(n // 2)]
            events[-1]["choices"][0]["finish_reason"] = "length"
            events += [{"id": "x", "choices": [], "usage": usage}, "[DONE]"]
            self.send_events(events)
        elif model == "reasoning":
            events = [chunk(reasoning="think", chat=True), chunk(reasoning="more", chat=True)]
            events += [chunk(text="a", chat=True) for _ in range(n - 2)]
            events[-1]["choices"][0]["finish_reason"] = "length"
            events += [{"id": "x", "choices": [], "usage": usage}, "[DONE]"]
            self.send_events(events)
        elif model == "cut":  # two chunks, then the connection closes mid-event
            self.send_events([chunk(text="a"), chunk(text="b")], raw_tail=b'data: {"id": "x", "cho')
        elif model == "cut_clean":  # two chunks and a clean close, but no end of stream
            self.send_events([chunk(text="a"), chunk(text="b")])
        elif model == "malformed":
            self.send_events([chunk(text="a"), "{not json"])
        elif model == "error_event":
            self.send_events([chunk(text="a"),
                              {"error": {"message": "out of KV cache", "type": "server_error",
                                         "code": 500}}])
        elif model == "http400":
            self.send_json(400, {"error": {"message": "max_tokens is too large",
                                           "type": "invalid_request_error"}})
        elif model == "rate_limited":  # 429 twice with Retry-After: 1, then fine
            if attempt <= 2:
                self.send_json(429, {"error": {"message": "slow down"}},
                               headers=[("Retry-After", "1")])
            else:
                self.send_events([chunk(text="a", finish="length"),
                                  {"id": "x", "choices": [], "usage": usage}, "[DONE]"])
        elif model == "rate_limited_no_header":
            self.send_json(429, {"error": {"message": "slow down"}})
        elif model == "not_streamed":
            self.send_json(200, {"id": "x", "choices": [{"text": "aaaa", "index": 0}],
                                 "usage": usage})
        elif model == "silent":  # headers, then nothing: the idle timeout must cut it
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.flush()
            time.sleep(30)
        elif model == "slow":  # one token every 200 ms (for cancel tests)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(n):
                    self.wfile.write(f"data: {json.dumps(chunk(text='a'))}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
        else:
            self.send_json(404, {"error": {"message": f"unknown model {model}"}})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
