"""Anthropic's Messages API through the official `anthropic` client.

The API has no `n`, so n samples are n requests, sent concurrently. System messages become the
`system` parameter. The key comes from $ANTHROPIC_API_KEY; $ANTHROPIC_BASE_URL (or `base_url`)
points the backend at a proxy or a stand-in server.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import anthropic

from stop.errors import LMUnavailable
from stop.lm.base import Completion, Message, check_messages
from stop.lm.pricing import cost_usd
from stop.lm.reliability import ClientErrors, Endpoint, RetryPolicy, send_reliably

MAX_PARALLEL_REQUESTS = 8
KEY_ENV = "ANTHROPIC_API_KEY"
# The client exceptions the shared retry and error policy needs to tell apart.
ERRORS = ClientErrors(
    anthropic.AnthropicError, anthropic.APIConnectionError, anthropic.APITimeoutError
)


class AnthropicModel:
    """A `LanguageModel` speaking Anthropic's Messages API."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        timeout_s: float = 300.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        key = os.environ.get(KEY_ENV)
        if not key:
            raise LMUnavailable(f"the anthropic backend needs an API key: set ${KEY_ENV}")
        self.model = model
        self.name = f"anthropic:{model}"
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        # Retries are ours (tenacity), so the wall-clock deadline covers them too.
        self._client = anthropic.Anthropic(
            api_key=key, base_url=base_url, max_retries=0, timeout=timeout_s
        )
        self.endpoint = Endpoint("anthropic", str(self._client.base_url), KEY_ENV)

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
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        chat = [m for m in messages if m["role"] != "system"]
        if n <= 1:
            return [self._request(system, chat, temperature, max_tokens, deadline)][:n]
        with ThreadPoolExecutor(max_workers=min(n, MAX_PARALLEL_REQUESTS)) as pool:
            futures = [
                pool.submit(self._request, system, chat, temperature, max_tokens, deadline)
                for _ in range(n)
            ]
            return [future.result() for future in futures]

    def _request(
        self,
        system: str,
        chat: list[Message],
        temperature: float,
        max_tokens: int,
        deadline: float,
    ) -> Completion:
        start = time.perf_counter()

        def send(seconds_left: float) -> anthropic.types.Message:
            extra = {"system": system} if system else {}
            return self._client.messages.create(
                model=self.model,
                messages=chat,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                # This client version no longer types `temperature`; the API still takes it.
                extra_body={"temperature": temperature},
                timeout=seconds_left,
                **extra,  # type: ignore[arg-type]
            )

        response = send_reliably(
            send,
            deadline=deadline,
            policy=self.retry,
            endpoint=self.endpoint,
            errors=ERRORS,
            timeout_s=self.timeout_s,
        )
        text = "".join(getattr(block, "text", "") for block in response.content)
        prompt = response.usage.input_tokens
        completion = response.usage.output_tokens
        return Completion(
            text=text,
            prompt_tokens=prompt,
            completion_tokens=completion,
            latency_s=time.perf_counter() - start,
            finish_reason=_FINISH.get(str(response.stop_reason), str(response.stop_reason)),
            cost_usd=cost_usd(self.model, prompt, completion),
        )


# Anthropic's stop reasons in OpenAI's vocabulary, so records compare across backends.
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}
