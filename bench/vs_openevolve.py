"""`stop` side by side with OpenEvolve: same task folders, same model server, same LM budget.

    .venv/bin/python bench/vs_openevolve.py --calls 12,24 --seeds 3 --lock /tmp/stop-model.lock
    .venv/bin/python bench/vs_openevolve.py --calls 8 --seeds 5 --improver RUN_ID
    .venv/bin/python bench/vs_openevolve.py --server standin --calls 2 --seeds 1   # plumbing only

Installs `openevolve` into its own venv (bench/.venv-openevolve) when missing. For every seed,
LM budget (`--calls`, a comma list), OpenEvolve-format folder (default: every examples/ folder)
and system, it starts one OpenAI-compatible server (`llama_cpp.server` with the embedded GGUF,
or the fixed-latency stand-in) behind a counting proxy, holding `--lock` (the machine's model
lock) for that run only, and runs OpenEvolve (N iterations = N LM requests, the folder's
config.yaml) or `stop improve` (whatever `stop improve` defaults to, with N LM samples) in a
child process. Every final program is rescored with stop's loader of the folder (the folder's
own evaluator, sandboxed, test split, `--repeats` times, so the evaluator's noise is measured
too); a run improved when it beats the initial program by more than that noise. LM requests,
completions and tokens are what the server did (counted by the proxy), never what a system
says it did. Exit status 3 means openevolve cannot be installed here (the message says why).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openevolve_harness.proxy import CountingProxy, Tally
from openevolve_harness.rescore import Rescored, improved, outcome, rescore
from openevolve_harness.server import free_port, model_lock, start_server
from openevolve_harness.table import Initial, RunRecord, markdown
from openevolve_harness.venv import DEFAULT_VENV, OpenEvolveUnavailable, ensure_openevolve

ROOT = Path(__file__).resolve().parent.parent
HARNESS = Path(__file__).resolve().parent / "openevolve_harness"
EXAMPLES = ROOT / "examples"
CHILD_TIMEOUT_S = 4 * 3600


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tasks", nargs="*", type=Path, help="OpenEvolve-format folders")
    p.add_argument("--calls", default="4", help="LM samples per run (a comma list: 12,24)")
    p.add_argument("--seeds", type=int, default=3, help="independent runs per task and system")
    p.add_argument("--max-tokens", type=int, default=512)
    p.add_argument("--repeats", type=int, default=5, help="rescorings of each final program")
    p.add_argument("--initial-repeats", type=int, default=10, help="rescorings of the initial")
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--server", choices=("llama", "standin"), default="llama")
    p.add_argument("--gguf", type=Path, help="model for the llama server (default: embedded)")
    p.add_argument("--n-ctx", type=int, default=4096)
    p.add_argument(
        "--threads", type=int, default=os.cpu_count(), help="llama server threads (all cores)"
    )
    p.add_argument(
        "--server-python",
        type=Path,
        default=Path(sys.executable),
        help="Python with llama-cpp-python[server] (when the harness runs with another one)",
    )
    p.add_argument("--latency", type=float, default=0.2, help="stand-in server latency (s)")
    p.add_argument("--lock", type=Path, help="model lock held per run (/tmp/stop-model.lock)")
    p.add_argument(
        "--stop-python",
        type=Path,
        default=Path(sys.executable),
        help="Python whose `stop` is compared (e.g. a venv with one commit installed, so work "
        "in progress in the tree cannot change the system halfway through the benchmark)",
    )
    p.add_argument(
        "--openevolve-modes",
        default="diff,full",
        help="comma list: diff (OpenEvolve's default SEARCH/REPLACE edits), full (rewrites)",
    )
    p.add_argument(
        "--free-edits",
        action="store_true",
        help="let OpenEvolve edit outside the EVOLVE block (its default; off: edits reverted)",
    )
    p.add_argument("--improver", metavar="RUN_ID", help="also run this self-improve run's I[T]")
    p.add_argument("--improver-db", type=Path, help="run store of --improver (default: stop's)")
    p.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="openevolve's own venv")
    p.add_argument("--workdir", type=Path, help="keep run files here (default: a temp dir)")
    p.add_argument("--json", type=Path, help="write every run record here")
    p.add_argument(
        "--from-workdir",
        type=Path,
        metavar="DIR",
        help="no new runs: rebuild the table of an earlier --workdir (rescored, recounted)",
    )
    p.add_argument("--markdown", type=Path, help="write the table here")
    p.add_argument(
        "--resume",
        action="store_true",
        help="keep the runs that finished in --workdir (same arguments) and run the rest",
    )
    args = p.parse_args(argv)
    default = sorted(d for d in EXAMPLES.iterdir() if (d / "evaluator.py").exists())
    args.tasks = [t.resolve() for t in (args.tasks or default)]
    args.calls = [int(c) for c in str(args.calls).split(",") if c.strip()]
    args.stop_defaults = stop_improve_defaults(args.stop_python)
    return args


def stop_improve_defaults(python: Path) -> tuple[str, str]:
    """(improver, preset) that `stop improve` of `python` uses when given none: the comparison
    runs what a user of the command gets, whatever the current defaults are."""
    probe = (
        "import json, typer.main; from stop.cli import app; "
        "c = typer.main.get_command(app).commands['improve']; "
        "print(json.dumps({p.name: p.default for p in c.params if p.name in "
        "('improver', 'preset')}))"
    )
    found = json.loads(subprocess.run([str(python), "-c", probe], capture_output=True,
                                      text=True, check=True, cwd="/").stdout)  # fmt: skip
    return str(found["improver"]), str(found["preset"])


def systems(args: argparse.Namespace, calls: int) -> list[tuple[str, str, dict]]:
    """(label, kind, spec extras) for every system compared at `calls` LM samples."""
    out = []
    for mode in [m.strip() for m in args.openevolve_modes.split(",") if m.strip()]:
        if mode not in ("diff", "full"):
            raise SystemExit(f"--openevolve-modes: unknown mode {mode!r} (diff or full)")
        extra = {"mode": mode, "iterations": calls, "enforce_blocks": not args.free_edits}
        out.append((system_name("openevolve", extra), "openevolve", extra))
    improver, preset = args.stop_defaults
    extra = {"improver": improver, "preset": preset}
    out.append((system_name("stop", extra), "stop", extra))
    if args.improver:
        from stop.store import default_db_path

        db = str(args.improver_db or default_db_path())
        extra = {"improver_run": args.improver, "improver_db": db, "preset": preset}
        out.append((system_name("stop", extra), "stop", extra))
    return out


def system_name(kind: str, spec: dict) -> str:
    if kind == "openevolve":
        return "openevolve" if spec.get("mode") == "diff" else "openevolve (full rewrites)"
    if spec.get("improver_run"):
        return f"stop (I[T] of {spec['improver_run']})"
    return f"stop ({spec.get('improver') or 'seed'} improver)"


def run_child(python: Path, script: str, spec: dict, workdir: Path) -> tuple[dict, float]:
    """Run one system in a child process; (its OUT json or an error, wall seconds)."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec_path, out_path = workdir / "spec.json", workdir / "out.json"
    spec_path.write_text(json.dumps(spec))
    start = time.monotonic()
    with (workdir / "child.log").open("w") as log:
        # Its own session, so that an interrupted benchmark ends the child's whole process
        # group (OpenEvolve's worker processes included), not just the child.
        child = subprocess.Popen(
            [str(python), str(HARNESS / script), str(spec_path), str(out_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            start_new_session=True,
        )
        try:
            returncode = child.wait(timeout=CHILD_TIMEOUT_S)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise
    seconds = time.monotonic() - start
    if returncode != 0 or not out_path.exists():
        tail = (workdir / "child.log").read_text()[-600:].strip().replace("\n", " | ")
        return {"error": f"exit {returncode}: {tail}"}, seconds
    return json.loads(out_path.read_text()), seconds


def make_record(
    task, label: str, spec: dict, out: dict, wall: float, tally, repeats: int, initial: Rescored
) -> RunRecord:
    folder, kind, _ = label.rsplit(".", 2)
    final, result, detail = outcome(task, out)
    scored = rescore(task, final, repeats)
    return RunRecord(
        folder, system_name(kind, spec), spec["seed"], scored.mean, tally.requests,
        tally.completions, tally.prompt_tokens, tally.completion_tokens, tally.failed, wall,
        result, detail or f"{scored.status}: {scored.detail}", out.get("own_score"),
        calls=spec["calls"], score_sd=scored.sd, score_n=scored.n,
        improved=improved(scored, initial, changed=result == "changed"),
        gain=scored.mean - initial.mean,
    )  # fmt: skip


def initial_scores(tasks: dict, repeats: int) -> dict[str, Rescored]:
    """Each task's initial program, rescored `repeats` times: the baseline and its noise."""
    return {Path(f).name: rescore(t, t.seed_solution, repeats) for f, t in tasks.items()}


def as_initial(scores: dict[str, Rescored]) -> dict[str, Initial]:
    return {name: Initial(s.mean, s.sd, s.n) for name, s in scores.items()}


def tallies_from_log(log: Path, workdir: Path) -> dict[str, Tally]:
    """What the server did per run label, re-read from the proxy's request log: only the
    requests of a run's last attempt (from its spec.json's writing on), since a run cut short
    by an interrupted benchmark is run again under the same label."""
    tallies: dict[str, Tally] = {}
    started: dict[str, float] = {}  # label -> when its last attempt began
    lines = log.read_text().splitlines() if log.exists() else []
    for line in lines:
        entry = json.loads(line)
        if entry["label"] not in started:
            spec = workdir / entry["label"] / "spec.json"
            started[entry["label"]] = spec.stat().st_mtime if spec.exists() else -math.inf
        if entry.get("time", math.inf) < started[entry["label"]]:
            continue  # an earlier, interrupted attempt of this run
        t = tallies.setdefault(entry["label"], Tally())
        usage = entry.get("usage") or {}
        t.requests += 1
        t.completions += entry.get("choices", 0)
        t.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        t.completion_tokens += int(usage.get("completion_tokens") or 0)
        t.failed += entry.get("status") != 200
    return tallies


def saved_run(run_dir: Path) -> tuple[dict, float] | None:
    """(out, wall seconds) of a run that finished in an earlier invocation, else None."""
    out_file, wall_file = run_dir / "out.json", run_dir / "wall_seconds"
    if not (out_file.exists() and wall_file.exists()):
        return None
    return json.loads(out_file.read_text()), float(wall_file.read_text())


def records_from_workdir(workdir: Path, args: argparse.Namespace) -> tuple[list, dict]:
    """Rebuild every record of a finished (or cut-short) benchmark from its work directory:
    the saved final programs are rescored, the counts re-read from the proxy's request log.
    No LM call is made."""
    from stop.tasks import load_task

    tallies = tallies_from_log(workdir / "requests.jsonl", workdir)
    runs = [d for d in workdir.iterdir() if (d / "spec.json").exists()]
    runs.sort(key=lambda d: int(d.name.rsplit(".", 1)[1]))
    specs = {d: json.loads((d / "spec.json").read_text()) for d in runs}
    tasks = {f: load_task(f) for f in dict.fromkeys(s["folder"] for s in specs.values())}
    initial = initial_scores(tasks, args.initial_repeats)
    records = []
    for d, spec in specs.items():
        saved = saved_run(d)
        if saved is None:  # cut short by an interrupted benchmark: not a result of the system
            print(f"  {d.name}: did not finish, left out", flush=True)
            continue
        out, wall = saved
        base = initial[Path(spec["folder"]).name]
        tally = tallies.get(d.name, Tally())
        task = tasks[spec["folder"]]
        records.append(make_record(task, d.name, spec, out, wall, tally, args.repeats, base))
    return records, initial


def report(r: RunRecord) -> None:
    print(
        f"  {r.task:22s} {r.calls:3d} calls {r.system:28s} seed {r.seed}: score {r.score:.4f}"
        f" (sd {r.score_sd:.3f}, gain {r.gain:+.4f}{', improved' if r.improved else ''};"
        f" {r.status}), {r.requests} requests / {r.completions} completions, {r.tokens} tokens,"
        f" {r.wall_seconds:.0f}s",
        flush=True,
    )
    if r.status != "changed":
        print(f"    {r.detail[:300]}", flush=True)


def plan(args: argparse.Namespace, tasks: dict) -> list[tuple[int, int, Path, str, dict]]:
    """(calls, seed, folder, kind, spec extras) of every run, in order. Budget-major, then
    seed-major: a benchmark cut short has every seed of the smaller budgets, and every task
    and system at similar counts."""
    return [
        (calls, seed, folder, kind, extra)
        for calls in args.calls
        for seed in range(args.seeds)
        for folder in tasks
        for _name, kind, extra in systems(args, calls)
    ]


def run_all(
    args: argparse.Namespace, oe_python: Path, workdir: Path, progress=None
) -> tuple[list, dict]:
    """Every planned run; `progress(records, initial)` after each one. With --resume, a run
    that finished in an earlier invocation is read back instead of run again."""
    from stop.tasks import load_task

    gguf = args.gguf
    if args.server == "llama" and gguf is None:
        from stop.models import model_path

        gguf = model_path("local")
    port = free_port()
    log = workdir / "requests.jsonl"
    proxy = CountingProxy(f"http://127.0.0.1:{port}", log).start()
    print(f"server: {args.server} on port {port} per run; counting proxy on port {proxy.port}")
    records: list[RunRecord] = []
    try:
        tasks = {folder: load_task(str(folder)) for folder in args.tasks}
        initial = initial_scores(tasks, args.initial_repeats)
        for name, s in initial.items():
            print(f"  initial {name}: {s.mean:.4f} (sd {s.sd:.4f} over {s.n})", flush=True)
        # What earlier invocations' runs did: read once (this invocation's runs are counted live).
        earlier = tallies_from_log(log, workdir) if args.resume else {}
        for index, (calls, seed, folder, kind, extra) in enumerate(plan(args, tasks)):
            label = f"{folder.name}.{kind}.{index}"
            spec = {
                "folder": str(folder), "base_url": proxy.url(label),
                "model": "local" if args.server == "llama" else "standin", "calls": calls,
                "max_tokens": args.max_tokens, "temperature": args.temperature, "seed": seed,
                "workdir": str(workdir / label), **extra,
            }  # fmt: skip
            saved = saved_run(workdir / label) if args.resume else None
            if saved is not None:
                (out, wall), tally = saved, earlier.get(label, Tally())
            else:
                python = oe_python if kind == "openevolve" else args.stop_python
                # The model is loaded only while this one run holds the lock.
                with model_lock(args.lock):
                    server = start_server(
                        args.server, workdir, gguf=gguf, n_ctx=args.n_ctx, latency=args.latency,
                        port=port, python=args.server_python, threads=args.threads,
                    )  # fmt: skip
                    try:
                        out, wall = run_child(python, f"run_{kind}.py", spec, workdir / label)
                    finally:
                        server.stop()
                (workdir / label / "wall_seconds").write_text(f"{wall:.3f}")
                tally = proxy.tally(label)
            task, base = tasks[folder], initial[folder.name]
            records.append(make_record(task, label, spec, out, wall, tally, args.repeats, base))
            report(records[-1])
            if progress is not None:
                progress(records, initial)
    finally:
        proxy.stop()
    return records, initial


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    if args.from_workdir:
        records, initial = records_from_workdir(args.from_workdir, args)
        for record in records:
            report(record)
        finish(args, records, initial, 0.0, 0.0)
        return 0
    try:
        oe_python, install_s = ensure_openevolve(args.venv)
    except OpenEvolveUnavailable as exc:
        print(f"openevolve unavailable: {exc}", file=sys.stderr)
        return 3
    print(f"openevolve venv: {args.venv} (install took {install_s:.1f}s)")
    with tempfile.TemporaryDirectory(prefix="vs-openevolve-") as tmp:
        workdir = (args.workdir or Path(tmp)).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()

        def save(records: list[RunRecord], initial: dict[str, Rescored]) -> None:
            if args.json:
                write_json(args, install_s, time.monotonic() - start, records, initial)

        records, initial = run_all(args, oe_python, workdir, save)
        finish(args, records, initial, install_s, time.monotonic() - start)
    return 0


def finish(args, records: list[RunRecord], initial: dict, install_s: float, total: float) -> None:
    """Print the table (and write it, and the records, where asked)."""
    table = markdown(records, as_initial(initial))
    print()
    print(
        f"Same server ({args.server}), LM samples per run {args.calls}, max_tokens "
        f"{args.max_tokens}, temperature {args.temperature}, {args.seeds} seed(s); final programs "
        f"rescored {args.repeats}x by the harness (test split, sandboxed); counts at the server."
    )
    print(table)
    print(f"total {total:.0f}s; openevolve install {install_s:.1f}s")
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.json:
        write_json(args, install_s, total, records, initial)


def write_json(args, install_s: float, total: float, records: list, initial: dict) -> None:
    payload = {
        "settings": {k: str(v) for k, v in vars(args).items()},
        "install_seconds": install_s,
        "total_seconds": total,
        "initial": {name: s.__dict__ for name, s in initial.items()},
        "runs": [r.__dict__ for r in records],
    }
    args.json.write_text(json.dumps(payload, indent=1))


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds: children, proxy and server are stopped


if __name__ == "__main__":
    sys.exit(main())
