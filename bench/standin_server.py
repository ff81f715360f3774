"""A local OpenAI-compatible stand-in: realistic recorded answers after a fixed latency.

Used by the orchestration and scaling benchmarks so that wall time is set by LM latency and by
`stop`'s own scheduling, not by a model. It honours `n`, counts requests and samples it served,
and answers improver-level prompts with (distinct) improvers and solution-level prompts with a
solution, as a real model would.

    python bench/standin_server.py --port 8099 --latency 1.0
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IMPROVER = '''from helpers import extract_code


def improve_algorithm(initial_solution, utility, language_model):
    """Variant {variant}: ask for several rewrites, keep the best."""
    expertise = "You are an expert computer science researcher and programmer."
    message = f"""Improve the following solution:
```python
{{initial_solution}}
```
You will be evaluated based on this score function:
```python
{{utility.str}}
```
Return an improved solution. First, propose an idea, then implement it."""
    n = min(language_model.max_responses_per_call, utility.budget - 1)
    responses = language_model.batch_prompt(expertise, [message] * n, temperature=0.7)
    best, best_score = initial_solution, utility(initial_solution)
    for candidate in extract_code(responses):
        if candidate:
            score = utility(candidate)
            if score > best_score:
                best, best_score = candidate, score
    return best
'''

SOLUTION = '''import numpy as np


def algorithm(train_samples, train_parity, test_samples):
    """Idea {variant}: pick the parity subset that best agrees with the training labels."""
    x = np.asarray(train_samples) % 2
    y = np.asarray(train_parity) % 2
    n = x.shape[1]
    subsets = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
    agree = ((subsets @ x.T) % 2 == y).sum(axis=1)
    best = subsets[int(np.argmax(agree))]
    return [int(v) for v in (np.asarray(test_samples) @ best) % 2]
'''


def answer(prompt: str, seed: int) -> str:
    template = IMPROVER if "def improve_algorithm" in prompt else SOLUTION
    return f"Idea: a careful rewrite.\n```python\n{template.format(variant=seed)}```"


class Counters:
    def __init__(self) -> None:
        self.requests = 0
        self.samples = 0
        self.lock = threading.Lock()


def make_server(port: int, latency: float) -> tuple[ThreadingHTTPServer, Counters]:
    counters = Counters()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep benchmark output clean
            pass

        def _send(self, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._send({"object": "list", "data": [{"id": "standin", "object": "model"}]})

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            n = int(request.get("n") or 1)
            seed = int(request.get("seed") or 0)
            prompt = request["messages"][-1]["content"]
            with counters.lock:
                counters.requests += 1
                counters.samples += n
            time.sleep(latency)
            choices = [
                {
                    "index": i,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": answer(prompt, seed + i)},
                }
                for i in range(n)
            ]
            self._send(
                {
                    "id": "standin",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": request.get("model", "standin"),
                    "choices": choices,
                    "usage": {
                        "prompt_tokens": len(prompt) // 4,
                        "completion_tokens": 300 * n,
                        "total_tokens": len(prompt) // 4 + 300 * n,
                    },
                }
            )

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server, counters


def start_in_thread(latency: float) -> tuple[ThreadingHTTPServer, Counters, str]:
    """Start on a free port in a daemon thread; return (server, counters, base URL)."""
    server, counters = make_server(0, latency)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, counters, f"http://127.0.0.1:{server.server_address[1]}/v1"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--latency", type=float, default=1.0)
    args = parser.parse_args()
    make_server(args.port, args.latency)[0].serve_forever()
