"""Retries and error messages shared by the HTTP backends (OpenAI-compatible, Anthropic).

Both official clients raise the same shape of exceptions (connection error, timeout, status
error with `status_code`), so one policy covers both: retry with exponential backoff (full
jitter) on connection failures, timeouts, 408/409/429 and 5xx, never past the call's wall-clock
deadline; then turn what is left into one `StopError` that says what to check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from stop.errors import LMError, LMUnavailable, StopError

T = TypeVar("T")

RETRYABLE_STATUS = (408, 409, 429)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard an HTTP backend tries before giving up on a request."""

    attempts: int = 4  # first try included
    initial_backoff_s: float = 0.25
    max_backoff_s: float = 8.0


@dataclass(frozen=True)
class Endpoint:
    """What an error message needs to say where the failure happened."""

    backend: str  # "openai", "openai-compatible", "anthropic"
    url: str
    key_env: str | None  # the environment variable holding the key, never the key itself


@dataclass(frozen=True)
class ClientErrors:
    """The exception classes of one official client (openai or anthropic)."""

    base: type[BaseException]
    connection: type[BaseException]
    timeout: type[BaseException]


def send_reliably(
    request: Callable[[float], T],
    *,
    deadline: float,
    policy: RetryPolicy,
    endpoint: Endpoint,
    errors: ClientErrors,
    timeout_s: float,
) -> T:
    """`request(seconds_left)` retried as `call_with_retries` does; a request that fails for
    good becomes the one clear `StopError` of `describe_failure`."""
    try:
        return call_with_retries(
            request, deadline=deadline, policy=policy, connection_error=errors.connection
        )
    except (errors.base, TimeoutError) as exc:
        raise describe_failure(
            exc,
            endpoint,
            connection_error=errors.connection,
            timeout_error=errors.timeout,
            timeout_s=timeout_s,
        ) from exc


def is_retryable(exc: BaseException, connection_error: type[BaseException]) -> bool:
    """Connection failures, timeouts, rate limits and server errors are worth another try."""
    if isinstance(exc, connection_error):
        return True
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and (status in RETRYABLE_STATUS or status >= 500)


def call_with_retries(
    request: Callable[[float], T],
    *,
    deadline: float,
    policy: RetryPolicy,
    connection_error: type[BaseException],
) -> T:
    """`request(seconds_left)` with retries; never starts an attempt after `deadline`
    (a `time.monotonic()` value), and gives each attempt only the time that is left."""
    budget_s = max(0.0, deadline - time.monotonic())
    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts) | stop_before_delay(budget_s),
        wait=wait_random_exponential(multiplier=policy.initial_backoff_s, max=policy.max_backoff_s),
        retry=retry_if_exception(lambda exc: is_retryable(exc, connection_error)),
        reraise=True,
    )

    def attempt() -> T:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no time left for another attempt")
        return request(left)

    return retrying(attempt)


def describe_failure(
    exc: BaseException,
    endpoint: Endpoint,
    *,
    connection_error: type[BaseException],
    timeout_error: type[BaseException],
    timeout_s: float,
) -> StopError:
    """One clear error for a request that failed for good."""
    where = f"{endpoint.backend} backend at {endpoint.url}"
    status = getattr(exc, "status_code", None)
    if isinstance(exc, timeout_error | TimeoutError):
        return LMUnavailable(
            f"{where} did not answer within the {timeout_s:g}s limit per call; check that the"
            " server is not overloaded, or allow more time"
        )
    if isinstance(exc, connection_error):
        return LMUnavailable(
            f"cannot reach the {where} ({_reason(exc)}); check that the server is running"
            " and that the URL (host, port and /v1 path) is right"
        )
    if status in (401, 403):
        key = f"the key in ${endpoint.key_env}" if endpoint.key_env else "the API key"
        return LMUnavailable(f"{where} rejected {key} (HTTP {status}); check that it is valid")
    if status == 404:
        return LMError(
            f"{where} answered 404 ({_reason(exc)}); check the model name and the URL path"
        )
    if status == 429 or (isinstance(status, int) and status >= 500):
        return LMUnavailable(
            f"{where} kept failing with HTTP {status} after retries ({_reason(exc)}); try later"
        )
    return LMError(f"{where} refused the request: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    text = str(exc) or type(exc).__name__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text}: {cause}"
    return " ".join(text.split())[:300]
