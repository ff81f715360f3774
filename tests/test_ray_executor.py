"""The Ray executor on a real local Ray instance (2 CPUs): same records as the local executor,
exactly once even when a worker is killed mid-run, and joining a cluster by address.

Each comparison runs the scripted LM through the real sandbox, tasks and store, and compares
everything the run recorded (LM calls, evaluations, events, improvers, steps, result) with ids,
timestamps and wall times left out.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from stop.experiment.config import resolve_config
from stop.experiment.runs import run_transfer, self_improve
from stop.improvers import improver_source
from stop.store import Store
from tests.experiment_fixtures.scripted import SMALL, scripted_model

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow

from stop.executors.ray_executor import TASK_NAME, service_stats  # noqa: E402

TINY = [o for o in SMALL if not o.startswith("iterations=")] + ["iterations=1"]
TIMING = {"wall_seconds", "latency_s", "created_at", "id"}


def config(executor: str, address: str = ""):
    flags = [f"executor={executor}", f"ray_address={address}"]
    return resolve_config("paper", overrides=TINY + flags, model="scripted:experiment")


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in TIMING | {"improver_id"}}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def recorded(store: Store, run_id: str) -> dict:
    """Everything the run wrote, order-free and without ids, timestamps and durations."""

    def rows(sql: str) -> list:
        return sorted(
            json.dumps(_clean(dict(r)), sort_keys=True) for r in store.query(sql, (run_id,))
        )

    improvers = store.query(
        "SELECT i.iteration, i.source, i.meta_utility, i.chosen, p.source AS parent"
        " FROM improvers i LEFT JOIN improvers p ON p.id = i.parent_id WHERE i.run_id = ?",
        (run_id,),
    )
    steps = store.query("SELECT step_key, result_json FROM steps WHERE run_id = ?", (run_id,))
    return {
        "lm_calls": rows(
            "SELECT model, request_key, messages_json, temperature, max_tokens, sample_index,"
            " text, prompt_tokens, completion_tokens, cost_usd, finish_reason, cache_hit, error"
            " FROM lm_calls WHERE run_id = ?"
        ),
        "evaluations": rows(
            "SELECT task, utility, source, score, status, detail FROM evaluations WHERE run_id = ?"
        ),
        "events": sorted(
            json.dumps(_clean(e), sort_keys=True, default=str) for e in store.events(run_id)
        ),
        "improvers": sorted(json.dumps(dict(r), sort_keys=True) for r in improvers),
        "steps": {r["step_key"]: _clean(json.loads(r["result_json"])) for r in steps},
        "result": _clean(store.get_run(run_id)["result"]),
        "status": store.get_run(run_id)["status"],
    }


def assert_same_records(ours: dict, theirs: dict) -> None:
    """Key by key, showing what only one side recorded."""
    for key in theirs:
        if isinstance(theirs[key], list):
            only_ours = sorted(set(ours[key]) - set(theirs[key]))[:3]
            only_theirs = sorted(set(theirs[key]) - set(ours[key]))[:3]
            assert ours[key] == theirs[key], (
                f"{key}: ray only {only_ours}, local only {only_theirs}"
            )
        else:
            assert ours[key] == theirs[key], key


@pytest.fixture(scope="module", autouse=True)
def one_task_secret():
    """One secret split for the module's runs (each test has its own STOP_HOME otherwise)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STOP_TASK_SECRET", "ray-executor-tests")
        yield


@pytest.fixture(scope="module")
def local_result(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("local") / "runs.db")
    result = self_improve(config("local"), store, model=scripted_model())
    return recorded(store, result.run_id)


@pytest.fixture(scope="module")
def local_ray():
    """A real local Ray instance with 2 CPUs, for the whole module (once per process: Ray cannot
    be shut down and started again reliably in one process)."""
    if ray.is_initialized():
        yield ray
        return
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_records_exactly_what_the_local_executor_records(local_ray, local_result, tmp_path):
    store = Store(tmp_path / "runs.db")
    result = self_improve(config("ray"), store, model=scripted_model())
    ours = recorded(store, result.run_id)
    assert ours["status"] == "finished"
    assert ours["lm_calls"] and ours["evaluations"]
    assert_same_records(ours, local_result)


def _parent(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def _running_task_pids() -> list[int]:
    """Workers of *our* Ray instance (descendants of this process) executing a `stop` improver
    run: Ray titles a worker ray::<task name> while it runs a task."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if not cmdline.startswith(f"ray::{TASK_NAME}".encode()):
            continue
        ancestor = int(entry.name)
        while ancestor > 1 and ancestor != os.getpid():
            ancestor = _parent(ancestor)
        if ancestor == os.getpid():
            pids.append(int(entry.name))
    return pids


def test_a_worker_killed_mid_run_is_retried_and_nothing_is_counted_twice(
    local_ray, local_result, tmp_path
):
    store = Store(tmp_path / "runs.db")
    killed: list[int] = []
    done = threading.Event()

    def kill_one_worker_mid_run() -> None:
        # The victim is mid-run: running a task and has already had LM calls answered.
        while not done.is_set():
            asked = service_stats()["mid_run"]
            pids = [p for p in _running_task_pids() if p in asked]
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
                return
            time.sleep(0.02)

    before = service_stats()["deduplicated"]
    killer = threading.Thread(target=kill_one_worker_mid_run)
    killer.start()
    try:
        result = self_improve(config("ray"), store, model=scripted_model())
    finally:
        done.set()
        killer.join()
    assert killed, "no Ray worker was running an improver run to kill"
    assert service_stats()["deduplicated"] > before, "the retried run asked the driver anew"
    ours = recorded(store, result.run_id)
    assert ours["status"] == "finished"
    assert_same_records(
        ours, local_result
    )  # same calls, evaluations and events: none twice, none lost
    keys = store.query("SELECT request_key FROM lm_calls WHERE run_id = ?", (result.run_id,))
    assert len(keys) == len({r[0] for r in keys}), "an LM sample was recorded twice"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_head():
    """`ray start --head` on 127.0.0.1 (blocking, so its PID owns the head); stopped by PID.

    Token authentication off for this throwaway head: recent Ray enables it on `ray start`,
    and a driver only uses it when RAY_AUTH_MODE=token is set before Ray is imported
    (docs/scaling.md says how to run with it on a real cluster).
    """
    port = _free_port()
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths are long
    ray_cli = shutil.which("ray", path=str(Path(sys.executable).parent)) or "ray"
    head = subprocess.Popen(
        [
            ray_cli,
            "start",
            "--head",
            "--block",
            f"--port={port}",
            "--node-ip-address=127.0.0.1",
            "--num-cpus=2",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={temp_dir}",
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "RAY_AUTH_MODE": "disabled"},
    )
    address = f"127.0.0.1:{port}"
    yield head, address
    head.send_signal(signal.SIGTERM)  # `ray start --block` stops the processes it started
    try:
        head.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(head.pid, signal.SIGKILL)
        head.wait()
    shutil.rmtree(temp_dir, ignore_errors=True)


def _wait_for_port(address: str, head: subprocess.Popen, seconds: float = 60) -> None:
    host, port = address.split(":")
    deadline = time.monotonic() + seconds
    while True:
        assert head.poll() is None, "ray start --head exited"
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, f"the Ray head never listened on {address}"
            time.sleep(0.5)


# The cluster run is its own driver process, as `stop ... --executor ray --address` would be:
# Ray does not support reconnecting one process to another cluster after ray.shutdown().
CLUSTER_DRIVER = """
import json, sys
from stop.experiment.config import ExperimentConfig
from stop.experiment.runs import run_transfer
from stop.store import Store
from tests.experiment_fixtures.scripted import SMALL, scripted_model
config, db, improvers = json.loads(sys.argv[1])
run_id, cells = run_transfer(
    ExperimentConfig.from_dict(config), Store(db), improvers, model=scripted_model()
)
import ray
print(json.dumps({"run_id": run_id, "gcs": ray.get_runtime_context().gcs_address}))
"""


def test_joining_an_existing_cluster_by_address(ray_head, tmp_path, monkeypatch):
    head, address = ray_head
    # The secret from this test's STOP_HOME file: the head's workers (started with another
    # environment) must score with it, not with their own.
    monkeypatch.delenv("STOP_TASK_SECRET")
    improvers = {"I[0]": improver_source("seed")}
    tiny = [*TINY, "transfer_seeds=1"]
    local = resolve_config("paper", overrides=tiny, model="scripted:experiment")
    local_store = Store(tmp_path / "local.db")
    local_id, _ = run_transfer(local, local_store, improvers, model=scripted_model())
    _wait_for_port(address, head)
    cluster = resolve_config(
        "paper",
        overrides=[*tiny, "executor=ray", f"ray_address={address}"],
        model="scripted:experiment",
    )
    db = tmp_path / "cluster.db"
    argv = json.dumps([cluster.to_dict(), str(db), improvers])
    root = Path(__file__).resolve().parent.parent
    driver = subprocess.run(
        [sys.executable, "-c", CLUSTER_DRIVER, argv],
        capture_output=True,
        text=True,
        cwd=root,
        # As the head (in-process Ray set RAY_AUTH_MODE=token in our environment).
        env={**os.environ, "PYTHONPATH": str(root), "RAY_AUTH_MODE": "disabled"},
        timeout=240,
    )
    assert driver.returncode == 0, driver.stderr[-3000:]
    out = json.loads(driver.stdout.strip().splitlines()[-1])
    # Joined the head (Ray reports it under the node's own IP), did not start its own.
    assert out["gcs"].endswith(":" + address.split(":")[1])
    store = Store(db)
    failures = store.query("SELECT payload_json FROM events WHERE kind = 'improver_failed'")
    assert not failures, failures[0][0]
    assert_same_records(recorded(store, out["run_id"]), recorded(local_store, local_id))
