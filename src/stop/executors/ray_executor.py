"""The Ray executor: each downstream improver run is a Ray task; LM calls stay in the driver.

Design (docs/scaling.md):
- A task runs `ImproverRunner.run_on_task` on a Ray worker: the same sandbox (`stop.sandbox`)
  as the local executor, started on that worker; budgets live in the worker's host-side proxies
  exactly as they do in a local thread.
- The task's language model is a `MailboxModel`: every `complete` goes through a small async
  actor (the mailbox, pinned to the driver's node) to the driver process, which answers it with
  the run's own model (the gate, the recorder/cache and the backend). So every LM call is made
  and recorded by the driver, as with the local executor, and a model that cannot leave the
  driver (an in-process llama.cpp, a test's scripted model) works unchanged.
- Exactly once: each dispatched run has an id; the driver memoises answers by (dispatch id,
  request, sample range). When a worker dies Ray retries the task with the same arguments, and
  the retry's LM requests are answered from the memo: no second backend call, no second row.
- The task's events and evaluations are buffered (`BufferedRecorder`) and come back with its
  final result; the driver writes them. A dead attempt's buffer dies with it.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import dataclasses
import hashlib
import importlib.util
import os
import tempfile
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stop.errors import ExecutorError
from stop.executors.buffer import BufferedRecorder, replay
from stop.lm.base import Completion, LanguageModel, Message
from stop.lm.recorder import messages_json

if TYPE_CHECKING:
    from stop.experiment.runner import ImproverRunner, RunOutcome
    from stop.tasks import Task

TASK_NAME = "stop_improver_run"  # a running task's process title is "ray::stop_improver_run"
MAX_RETRIES = 3  # retries of a run whose worker died (system failures only, never its errors)
POLL_SECONDS = 0.5


def require_ray() -> Any:
    """The `ray` module, or an ExecutorError saying how to get it."""
    if importlib.util.find_spec("ray") is None:
        raise ExecutorError(
            "the ray executor needs Ray, which is not installed: pip install 'stop[ray]'"
            " (or run with --executor local)"
        )
    import ray

    return ray


def connect(address: str = "", num_cpus: int | None = None) -> Any:
    """Join Ray: the session already open in this process, else `address` ("auto" or
    host:port), else a new local instance with `num_cpus` (default: all cores)."""
    ray = require_ray()
    with _CONNECT_LOCK:
        if not ray.is_initialized():
            _init(ray, address, num_cpus)
    return ray


_CONNECT_LOCK = threading.Lock()


def _init(ray: Any, address: str, num_cpus: int | None) -> None:
    try:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(
                address="local",
                num_cpus=num_cpus or os.cpu_count() or 1,
                include_dashboard=False,
                log_to_driver=False,
            )
    except Exception as exc:  # noqa: BLE001 - Ray raises many kinds; the user needs one message
        where = f"the Ray cluster at {address!r}" if address else "a local Ray instance"
        hint = (
            "; if the cluster uses token authentication, export RAY_AUTH_MODE=token and make its"
            " token available (~/.ray/auth_token or RAY_AUTH_TOKEN)"
            if "auth" in str(exc).lower()
            else ""
        )
        raise ExecutorError(
            f"cannot connect to {where}: {type(exc).__name__}: {str(exc)[:500]}{hint}. Check"
            " `ray status`, start a cluster with `ray start --head`, or run with --executor local"
        ) from exc
    atexit.register(ray.shutdown)


# -- worker side ----------------------------------------------------------------------------
class MailboxModel:
    """A `LanguageModel` on a Ray worker whose calls the driver answers."""

    def __init__(self, name: str, mailbox: Any, dispatch: str) -> None:
        self.name = name
        self._mailbox = mailbox
        self._dispatch = dispatch

    def complete(
        self,
        messages: list[Message],
        *,
        n: int = 1,
        temperature: float = 0.7,
        max_tokens: int = 1024,
        first_sample: int = 0,
    ) -> list[Completion]:
        import ray

        request = {
            "dispatch": self._dispatch,
            "messages": messages,
            "n": n,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "first_sample": first_sample,
            "pid": os.getpid(),  # for observability only (`service_stats`), not part of the key
        }
        kind, value = ray.get(self._mailbox.call.remote(request))
        if kind == "error":
            raise value
        return value


def run_remotely(
    config: Any,
    run_id: str,
    context: dict[str, Any],
    model_name: str,
    mailbox: Any,
    dispatch: str,
    improver_source: str,
    task: Task,
    split: str,
    key: str,
    secret: tuple[str | None, int],
) -> tuple[dict[str, Any], list]:
    """The body of a Ray task: one `run_on_task` with a buffered recorder and the mailbox LM."""
    from stop.experiment.runner import ImproverRunner

    adopt_secret(*secret)

    local = dataclasses.replace(config, executor="local")
    recorder = BufferedRecorder(run_id, dict(context))
    runner = ImproverRunner(local, MailboxModel(model_name, mailbox, dispatch), recorder)  # type: ignore[arg-type]
    outcome = runner.run_on_task(improver_source, task, split=split, key=key)
    return outcome.to_dict(), recorder.records


def driver_secret() -> tuple[str | None, int]:
    """The driver's task secret (`stop.tasks.secret`): as given in the environment, and its value.

    Secret splits are drawn from it, so every worker must score with the driver's secret, not
    with whatever its own node would create.
    """
    from stop.tasks.secret import ENV, task_secret

    return os.environ.get(ENV) or None, task_secret()


def adopt_secret(given: str | None, value: int) -> None:
    """Make `task_secret()` in this worker return the driver's value.

    An environment secret is passed on as is; a file secret goes into a private STOP_HOME of
    this worker (mode 0700/0600), which the sandbox hides like any STOP_HOME.
    """
    from stop.tasks.secret import ENV, FILE

    if given:
        os.environ[ENV] = given
        return
    os.environ.pop(ENV, None)
    digest = hashlib.sha256(str(value).encode()).hexdigest()[:16]
    home = Path(tempfile.gettempdir()) / f"stop-ray-{os.getuid()}-{digest}"
    home.mkdir(mode=0o700, exist_ok=True)
    path = home / FILE
    if not path.exists():
        fd = os.open(path.with_suffix(f".{os.getpid()}"), os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{value}\n")
        os.replace(path.with_suffix(f".{os.getpid()}"), path)
    os.environ["STOP_HOME"] = str(home)


class Mailbox:
    """Async actor: workers' LM requests wait here until the driver resolves them."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue | None = None
        self._waiting: dict[int, asyncio.Future] = {}
        self._next = 0

    def _q(self) -> asyncio.Queue:
        if self._queue is None:
            self._queue = asyncio.Queue()
        return self._queue

    async def call(self, request: dict[str, Any]) -> tuple[str, Any]:
        future = asyncio.get_running_loop().create_future()
        rid, self._next = self._next, self._next + 1
        self._waiting[rid] = future
        await self._q().put((rid, request))
        return await future

    async def take(self, timeout: float) -> list[tuple[int, dict[str, Any]]]:
        queue = self._q()
        try:
            first = await asyncio.wait_for(queue.get(), timeout)
        except TimeoutError:
            return []
        items = [first]
        while not queue.empty():
            items.append(queue.get_nowait())
        return items

    async def resolve(self, rid: int, answer: tuple[str, Any]) -> None:
        future = self._waiting.pop(rid, None)
        if future is not None and not future.done():
            future.set_result(answer)


# -- driver side ----------------------------------------------------------------------------
class LMService:
    """Answers the mailbox's requests in the driver, at most once per (dispatch, request)."""

    def __init__(self, ray: Any, mailbox: Any) -> None:
        self._ray = ray
        self._mailbox = mailbox
        self._lock = threading.Lock()
        self._models: dict[str, LanguageModel] = {}
        self._memo: dict[str, dict[tuple, Future]] = {}
        self._active = 0
        self._stop: threading.Event | None = None
        self.answered = 0  # requests answered by calling the model
        self.deduplicated = 0  # requests answered from the memo (a retried run asking again)
        self._last_asked: dict[int, str] = {}  # worker PID -> the dispatch it last asked for
        self._pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="stop-ray-lm")

    def open(self, dispatch: str, model: LanguageModel) -> None:
        with self._lock:
            self._models[dispatch] = model
            self._memo[dispatch] = {}
            self._active += 1
            if self._active == 1:
                self._stop = threading.Event()
                threading.Thread(target=self._poll, args=(self._stop,), daemon=True).start()

    def close(self, dispatch: str) -> None:
        """The dispatch's final result is in: forget its model and memo."""
        with self._lock:
            self._models.pop(dispatch, None)
            self._memo.pop(dispatch, None)
            self._active -= 1
            if self._active == 0 and self._stop is not None:
                self._stop.set()

    def stats(self) -> dict[str, Any]:
        """answered, deduplicated, and mid_run: PIDs of workers whose current run has asked."""
        with self._lock:
            mid_run = {pid for pid, d in self._last_asked.items() if d in self._models}
            return {
                "answered": self.answered,
                "deduplicated": self.deduplicated,
                "mid_run": mid_run,
            }

    def _poll(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                items = self._ray.get(self._mailbox.take.remote(POLL_SECONDS))
            except BaseException:  # noqa: BLE001 - Ray shut down under us: nothing left to serve
                return
            for rid, request in items:
                self._pool.submit(self._answer, rid, request)

    def _answer(self, rid: int, request: dict[str, Any]) -> None:
        answer = self._answer_once(request)
        with contextlib.suppress(Exception):  # Ray shut down: the waiting worker is gone too
            self._mailbox.resolve.remote(rid, _portable(answer))

    def _answer_once(self, request: dict[str, Any]) -> tuple[str, Any]:
        dispatch = request["dispatch"]
        key = (
            messages_json(request["messages"]),
            int(request["n"]),
            float(request["temperature"]),
            int(request["max_tokens"]),
            int(request["first_sample"]),
        )
        with self._lock:
            self._last_asked[int(request.get("pid", 0))] = dispatch
            model = self._models.get(dispatch)
            memo = self._memo.get(dispatch)
            if model is None or memo is None:
                return ("error", ExecutorError(f"run {dispatch} already finished"))
            future, owner = memo.get(key), False
            if future is None:
                future, owner = Future(), True
                memo[key] = future
                self.answered += 1
            else:
                self.deduplicated += 1
        if owner:
            try:
                completions = model.complete(  # type: ignore[call-arg]
                    request["messages"],
                    n=key[1],
                    temperature=key[2],
                    max_tokens=key[3],
                    first_sample=key[4],
                )
                future.set_result(("ok", completions))
            except BaseException as exc:  # noqa: BLE001 - the worker raises it where it asked
                future.set_result(("error", exc))
        return future.result()


def _portable(answer: tuple[str, Any]) -> tuple[str, Any]:
    """An answer Ray can ship: an exception that does not pickle travels as its message."""
    kind, value = answer
    if kind != "error":
        return answer
    from ray import cloudpickle

    try:
        cloudpickle.dumps(value)
        return answer
    except Exception:  # noqa: BLE001
        from stop.errors import LMError

        return ("error", LMError(f"{type(value).__name__}: {value}"))


@dataclasses.dataclass
class _Session:
    """The mailbox and LM service of one Ray connection of this process."""

    connection: str
    mailbox: Any
    service: LMService
    remote: Any


_SESSION: _Session | None = None
# Sessions of earlier connections (after ray.shutdown and a new ray.init) are kept, never
# freed: Ray derives actor ids deterministically, so an old mailbox handle freed under a new
# connection would drop the reference of the new mailbox that has the same id, killing it.
_RETIRED: list[_Session] = []
_SESSION_LOCK = threading.Lock()


def _session(ray: Any) -> _Session:
    """This process's mailbox and LM service for the current Ray connection."""
    global _SESSION
    context = ray.get_runtime_context()
    # Which connection: a driver's worker id is derived from its job id, so it repeats across
    # sessions; the raylet's node id does not, and a rejoined cluster gives a new job id.
    connection = f"{context.gcs_address}/{context.get_node_id()}/{context.get_job_id()}"
    with _SESSION_LOCK:
        if _SESSION is not None and _SESSION.connection == connection:
            return _SESSION
        if _SESSION is not None:
            _RETIRED.append(_SESSION)
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = NodeAffinitySchedulingStrategy(
            node_id=ray.get_runtime_context().get_node_id(), soft=False
        )
        actor = ray.remote(num_cpus=0, max_concurrency=10_000)(Mailbox)
        mailbox = actor.options(scheduling_strategy=here).remote()
        remote = ray.remote(run_remotely).options(
            name=TASK_NAME, num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=False
        )
        _SESSION = _Session(connection, mailbox, LMService(ray, mailbox), remote)
        return _SESSION


def service_stats() -> dict[str, Any]:
    """Counters of this process's LM service on the current connection (for tests, benches)."""
    if _SESSION is None:
        return {"answered": 0, "deduplicated": 0, "mid_run": set()}
    return _SESSION.service.stats()


class RayExecutor:
    """Runs each improver run of `runs_on_task` as a Ray task (see the module docstring)."""

    name = "ray"

    def __init__(self, *, address: str = "", num_cpus: int | None = None) -> None:
        require_ray()  # fail at configuration time, not in the middle of a run
        self.address = address
        self.num_cpus = num_cpus

    def _start(self) -> tuple[Any, _Session]:
        ray = connect(self.address, self.num_cpus)
        return ray, _session(ray)

    def runs_on_task(
        self,
        runner: ImproverRunner,
        improver_source: str,
        task: Task,
        *,
        split: str,
        keys: list[str],
    ) -> list[RunOutcome]:
        """One Ray task per key (one at a time when sequential); outcomes in key order."""
        ray, session = self._start()
        if runner.config.sequential:
            return [
                out
                for k in keys
                for out in _dispatch(ray, session, runner, improver_source, task, split, [k])
            ]
        return _dispatch(ray, session, runner, improver_source, task, split, keys)


def _dispatch(
    ray: Any,
    session: _Session,
    runner: ImproverRunner,
    improver_source: str,
    task: Task,
    split: str,
    keys: list[str],
) -> list[RunOutcome]:
    from stop.experiment.runner import RunOutcome

    recorder = runner.recorder
    secret = driver_secret()
    dispatches = {key: f"{uuid.uuid4().hex}/{key}" for key in keys}
    service = session.service
    for dispatch in dispatches.values():
        service.open(dispatch, runner.model)
    refs: dict[Any, str] = {}
    try:
        for key in keys:
            ref = session.remote.remote(
                runner.config,
                recorder.run_id,
                recorder.context,
                runner.model.name,
                session.mailbox,
                dispatches[key],
                improver_source,
                task,
                split,
                key,
                secret,
            )
            refs[ref] = key
        outcomes: dict[str, RunOutcome] = {}
        failures: dict[str, BaseException] = {}
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            key = refs[ready[0]]
            try:
                data, records = ray.get(ready[0])
            except Exception as exc:  # noqa: BLE001 - re-raised below, in key order
                failures[key] = exc
            else:
                replay(recorder.store, recorder.run_id, records)
                outcomes[key] = RunOutcome(**data)
            finally:
                service.close(dispatches.pop(key))
    finally:
        for dispatch in dispatches.values():  # submitted but never finished (interrupted)
            service.close(dispatch)
    for key in keys:
        if key in failures:
            raise _user_error(ray, key, failures[key])
    return [outcomes[key] for key in keys]


def _user_error(ray: Any, key: str, exc: BaseException) -> BaseException:
    """What the local executor would have raised, or an ExecutorError about the cluster."""
    if isinstance(exc, ray.exceptions.RayTaskError):
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException):
            return cause
    if isinstance(exc, ray.exceptions.WorkerCrashedError | ray.exceptions.NodeDiedError):
        return ExecutorError(
            f"improver run {key}: its Ray worker died {MAX_RETRIES + 1} times; check the"
            f" workers' memory and logs (`ray status`), or run with --executor local ({exc})"
        )
    return ExecutorError(f"improver run {key} failed on Ray: {type(exc).__name__}: {exc}")
