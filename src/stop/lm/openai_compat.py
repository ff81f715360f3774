"""OpenAI and any OpenAI-compatible server (vLLM, Ollama, llama.cpp server, OpenRouter…).

`openai:MODEL` talks to api.openai.com with $OPENAI_API_KEY; `openai-compatible:URL#MODEL`
talks to URL with $STOP_API_KEY (or no key: local servers need none). Many servers ignore `n`
and return one choice: the backend notices, then asks for the missing samples one request each
(concurrently), with a seed per sample index so the samples differ and reruns match.

With `stop` strings (e.g. the closing fence of the first code block) answers are streamed and
cut client-side as they grow, and the stream is closed once every sample has ended, so the
server stops generating (see `openai_stream`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import openai

from stop.errors import LMUnavailable
from stop.lm.base import Completion, Message, check_messages
from stop.lm.openai_stream import StreamDeadline, StreamedAnswer, cut_choices, read_stream
from stop.lm.pricing import cost_usd
from stop.lm.reliability import ClientErrors, Endpoint, RetryPolicy, send_reliably
from stop.lm.stops import StopWhen, compile_stops

MAX_PARALLEL_REQUESTS = 8
SEED_RANGE = 2**31
# The client exceptions the shared retry and error policy needs to tell apart.
ERRORS = ClientErrors(openai.OpenAIError, openai.APIConnectionError, openai.APITimeoutError)


class OpenAICompatModel:
    """A `LanguageModel` speaking the OpenAI chat-completions API."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        timeout_s: float = 300.0,
        retry: RetryPolicy | None = None,
        stop: Sequence[str | StopWhen] = (),
        name: str | None = None,
    ) -> None:
        self.model = model
        self._stops = compile_stops(stop)
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        if base_url is None:
            key_env = "OPENAI_API_KEY"
            key = os.environ.get(key_env)
            if not key:
                raise LMUnavailable(
                    f"the openai backend needs an API key: set ${key_env}, or use"
                    " openai-compatible:URL#MODEL for a server that needs none"
                )
            self.name = f"openai:{model}"
        else:
            key_env = "STOP_API_KEY"
            key = os.environ.get(key_env) or "none"  # local servers accept any key
            self.name = f"openai-compatible:{base_url}#{model}"
        self.name = name or self.name
        # Retries are ours (tenacity), so the wall-clock deadline covers them too.
        self._client = openai.OpenAI(
            api_key=key, base_url=base_url, max_retries=0, timeout=timeout_s
        )
        backend = "openai" if base_url is None else "openai-compatible"
        self.endpoint = Endpoint(backend, str(self._client.base_url), key_env)
        self._priced = base_url is None  # a compatible server's model names mean nothing to us
        self._honours_n: bool | None = None  # learnt from the first multi-sample request
        self._lock = threading.Lock()

    def complete(
        self,
        messages: list[Message],
        *,
        n: int = 1,
        temperature: float = 0.7,
        max_tokens: int = 1024,
        first_sample: int = 0,
    ) -> list[Completion]:
        check_messages(messages)
        deadline = time.monotonic() + self.timeout_s
        out: list[Completion] = []
        if n > 1 and self._honours_n is not False:
            out = self._request(messages, n, temperature, max_tokens, first_sample, deadline)
            with self._lock:
                self._honours_n = len(out) >= n
        missing = range(first_sample + len(out), first_sample + n)
        if missing:
            with ThreadPoolExecutor(max_workers=min(len(missing), MAX_PARALLEL_REQUESTS)) as pool:
                singles = pool.map(
                    lambda index: self._request(
                        messages, 1, temperature, max_tokens, index, deadline
                    )[0],
                    missing,
                )
                out.extend(singles)
        return out[:n]

    def _request(
        self,
        messages: list[Message],
        n: int,
        temperature: float,
        max_tokens: int,
        seed: int,
        deadline: float,
    ) -> list[Completion]:
        """One chat-completions request (retried); its choices as completions."""
        start = time.perf_counter()

        def send(seconds_left: float) -> openai.types.chat.ChatCompletion | StreamedAnswer:
            request = {
                "model": self.model,
                "messages": messages,
                "n": n,
                "temperature": temperature,
                "max_tokens": max_tokens,
                "seed": seed % SEED_RANGE,  # servers differ in how wide a seed they take
                "timeout": seconds_left,
            }
            if not self._stops:
                return self._client.chat.completions.create(**request)  # type: ignore[call-overload]
            stream = self._client.chat.completions.create(
                **request, stream=True, stream_options={"include_usage": True}
            )  # type: ignore[call-overload]
            try:
                if not stream.response.headers.get("content-type", "").startswith(
                    "text/event-stream"
                ):  # a server that ignores `stream`: one JSON body, cut here
                    stream.response.read()
                    whole = openai.types.chat.ChatCompletion.model_validate(stream.response.json())
                    return cut_choices(whole, self._stops)
                return read_stream(stream, n, self._stops, deadline)
            except StreamDeadline as exc:
                raise openai.APITimeoutError(request=stream.response.request) from exc
            finally:
                stream.close()  # the server stops generating what nobody will read

        response = send_reliably(
            send,
            deadline=deadline,
            policy=self.retry,
            endpoint=self.endpoint,
            errors=ERRORS,
            timeout_s=self.timeout_s,
        )
        latency = time.perf_counter() - start
        if isinstance(response, StreamedAnswer):
            return self._streamed(response, latency)
        return self._completions(response, latency)

    def _streamed(self, answer: StreamedAnswer, latency: float) -> list[Completion]:
        """Completions of a streamed answer: a sample's completion tokens are its content
        chunks (one token each on llama.cpp's server and vLLM); the prompt's tokens come from
        the usage chunk, unknown (0) when the stream was closed before it."""
        choices = answer.choices
        return self._build(
            [c.text for c in choices],
            [c.finish_reason for c in choices],
            answer.prompt_tokens or 0,
            [c.chunks for c in choices],
            latency,
        )

    def _completions(
        self, response: openai.types.chat.ChatCompletion, latency: float
    ) -> list[Completion]:
        texts = [choice.message.content or "" for choice in response.choices]
        usage = response.usage
        total_completion = usage.completion_tokens if usage else 0
        # Usage covers the whole request: completion tokens are split in proportion to text
        # length.
        chars = sum(len(t) for t in texts) or 1
        return self._build(
            texts,
            [choice.finish_reason for choice in response.choices],
            usage.prompt_tokens if usage else 0,
            [round(total_completion * len(t) / chars) for t in texts],
            latency,
        )

    def _build(
        self,
        texts: list[str],
        finishes: list[str | None],
        prompt: int,
        completion_tokens: list[int],
        latency: float,
    ) -> list[Completion]:
        # The prompt is billed once per request, so each sample carries an equal share of it.
        out = []
        for text, finish, tokens in zip(texts, finishes, completion_tokens, strict=True):
            cost = cost_usd(self.model, prompt / len(texts), tokens) if self._priced else None
            out.append(
                Completion(
                    text=text,
                    prompt_tokens=prompt,
                    completion_tokens=tokens,
                    latency_s=latency,
                    finish_reason=finish or "stop",
                    cost_usd=cost,
                )
            )
        return out
