"""`stop` side by side with OpenEvolve: same task folders, same model server, same LM budget.

    .venv/bin/python bench/vs_openevolve.py                       # the real embedded model
    .venv/bin/python bench/vs_openevolve.py --calls 8 --seeds 5 --improver RUN_ID
    .venv/bin/python bench/vs_openevolve.py --server standin --calls 2 --seeds 1   # plumbing only

Installs `openevolve` into its own venv (bench/.venv-openevolve) when missing; starts ONE
OpenAI-compatible server (`llama_cpp.server` with the embedded GGUF, or the fixed-latency
stand-in) behind a counting proxy; for every OpenEvolve-format folder and seed runs OpenEvolve
(`--calls` iterations = `--calls` LM requests) and `stop improve` (the seed improver with one
call of `--calls` samples; and the chosen improver of the last iteration of `--improver RUN_ID`),
each in a child process; rescores every final program with stop's loader of the folder (the
folder's own evaluator, sandboxed, test split); prints one table. LM requests, completions and
tokens are what the server did (counted by the proxy), never what a system says it did.
Exit status 3 means openevolve cannot be installed here (the message says why).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openevolve_harness.proxy import CountingProxy, Tally
from openevolve_harness.server import start_server
from openevolve_harness.table import RunRecord, markdown
from openevolve_harness.venv import DEFAULT_VENV, OpenEvolveUnavailable, ensure_openevolve

ROOT = Path(__file__).resolve().parent.parent
HARNESS = Path(__file__).resolve().parent / "openevolve_harness"
DEFAULT_TASKS = [ROOT / "examples" / "function_minimization", ROOT / "examples" / "point_packing"]
CHILD_TIMEOUT_S = 4 * 3600


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tasks", nargs="*", type=Path, help="OpenEvolve-format folders")
    p.add_argument("--calls", type=int, default=4, help="LM samples per run, for every system")
    p.add_argument("--seeds", type=int, default=3, help="independent runs per task and system")
    p.add_argument("--max-tokens", type=int, default=512)
    p.add_argument(
        "--repeats", type=int, default=5, help="evaluations averaged per final program's score"
    )
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--server", choices=("llama", "standin"), default="llama")
    p.add_argument("--gguf", type=Path, help="model for the llama server (default: embedded)")
    p.add_argument("--n-ctx", type=int, default=4096)
    p.add_argument("--latency", type=float, default=0.2, help="stand-in server latency (s)")
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
    args = p.parse_args(argv)
    args.tasks = [t.resolve() for t in (args.tasks or DEFAULT_TASKS)]
    return args


def systems(args: argparse.Namespace) -> list[tuple[str, str, dict]]:
    """(label, kind, spec extras) for every system compared."""
    out = []
    for mode in [m.strip() for m in args.openevolve_modes.split(",") if m.strip()]:
        if mode not in ("diff", "full"):
            raise SystemExit(f"--openevolve-modes: unknown mode {mode!r} (diff or full)")
        extra = {"mode": mode, "iterations": args.calls, "enforce_blocks": not args.free_edits}
        out.append((system_name("openevolve", extra), "openevolve", extra))
    out.append(("stop (seed improver)", "stop", {"improver": "seed"}))
    if args.improver:
        from stop.store import default_db_path

        db = str(args.improver_db or default_db_path())
        extra = {"improver_run": args.improver, "improver_db": db}
        out.append((system_name("stop", extra), "stop", extra))
    return out


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


def rescore(task, source: str | None, repeats: int = 1) -> tuple[float, str, str]:
    """The harness's own score of a final program, the mean of `repeats` evaluations (an
    evaluator may be random): (value, status, detail)."""
    from stop.tasks.openevolve import START, split_program

    if not source:
        return 0.0, "no_program", "the system returned no program"
    if task.score(source, split="test").status == "invalid_source" and START in source:
        source = split_program(source).block  # edits outside the block: score the block alone
    scores = [task.score(source, split="test") for _ in range(max(1, repeats))]
    value = sum(s.value for s in scores) / len(scores)
    return value, scores[-1].status, scores[-1].detail


def outcome(task, out: dict) -> tuple[str | None, str, str]:
    """(final program, outcome, detail). outcome: "changed" (a program other than the initial
    one), "unchanged" (the initial one came back, or OpenEvolve produced no candidate at all),
    "error" (the run raised or crashed). A run that ends without a program leaves the user with
    the initial program, for both systems alike, so that is what gets scored."""
    from stop.tasks.openevolve import START, split_program

    source = out.get("final_source")
    if "error" in out:
        return task.seed_solution, "error", out["error"]
    if not source:
        return task.seed_solution, "error", f"{out.get('status')}: {out.get('reason', '')}"
    block = split_program(source).block if START in source else source
    if out.get("status") == "no_candidate":
        return source, "unchanged", f"no candidate: {out.get('reason', '')}"
    if block.strip() == task.seed_solution.strip():
        return source, "unchanged", "returned the initial program"
    return source, "changed", ""


def system_name(kind: str, spec: dict) -> str:
    if kind == "openevolve":
        return "openevolve" if spec.get("mode") == "diff" else "openevolve (full rewrites)"
    if spec.get("improver_run"):
        return f"stop (I[T] of {spec['improver_run']})"
    return f"stop ({spec.get('improver') or 'seed'} improver)"


def make_record(
    task, label: str, spec: dict, out: dict, wall: float, tally, repeats: int
) -> RunRecord:
    folder, kind, _ = label.rsplit(".", 2)
    final, result, detail = outcome(task, out)
    value, status, score_detail = rescore(task, final, repeats)
    return RunRecord(
        folder, system_name(kind, spec), spec["seed"], value, tally.requests, tally.completions,
        tally.prompt_tokens, tally.completion_tokens, tally.failed, wall, result,
        detail or f"{status}: {score_detail}", out.get("own_score"),
    )  # fmt: skip


def records_from_workdir(workdir: Path, repeats: int) -> tuple[list[RunRecord], dict[str, float]]:
    """Rebuild every record of a finished (or cut-short) benchmark from its work directory:
    the saved final programs are rescored, the counts re-read from the proxy's request log.
    No LM call is made."""
    from stop.tasks import load_task

    tallies: dict[str, Tally] = {}
    for line in (workdir / "requests.jsonl").read_text().splitlines():
        entry = json.loads(line)
        t = tallies.setdefault(entry["label"], Tally())
        usage = entry.get("usage") or {}
        t.requests += 1
        t.completions += entry.get("choices", 0)
        t.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        t.completion_tokens += int(usage.get("completion_tokens") or 0)
        t.failed += entry.get("status") != 200
    runs = [d for d in workdir.iterdir() if (d / "spec.json").exists()]
    runs.sort(key=lambda d: int(d.name.rsplit(".", 1)[1]))
    tasks: dict[str, object] = {}
    records, seed_scores = [], {}
    for d in runs:
        spec = json.loads((d / "spec.json").read_text())
        out = json.loads((d / "out.json").read_text()) if (d / "out.json").exists() else {}
        out = out or {"error": "no out.json (the run did not finish)"}
        if spec["folder"] not in tasks:
            tasks[spec["folder"]] = task = load_task(spec["folder"])
            seed_scores[Path(spec["folder"]).name] = rescore(task, task.seed_solution, repeats)[0]
        wall_file = d / "wall_seconds"
        wall = float(wall_file.read_text()) if wall_file.exists() else out.get("seconds", 0.0)
        tally = tallies.get(d.name, Tally())
        record = make_record(tasks[spec["folder"]], d.name, spec, out, wall, tally, repeats)
        records.append(record)
    return records, seed_scores


def report(r: RunRecord) -> None:
    print(
        f"  {r.task:24s} {r.system:28s} seed {r.seed}: score {r.score:.3f} ({r.status}), "
        f"{r.requests} requests / {r.completions} completions, {r.tokens} tokens, "
        f"{r.wall_seconds:.0f}s",
        flush=True,
    )
    if r.status != "changed":
        print(f"    {r.detail[:300]}", flush=True)


def run_all(
    args: argparse.Namespace, oe_python: Path, workdir: Path, progress=None
) -> tuple[list, dict]:
    """Every (seed, task, system) run; `progress(records, seed_scores)` after each one."""
    from stop.tasks import load_task

    gguf = args.gguf
    if args.server == "llama" and gguf is None:
        from stop.models import model_path

        gguf = model_path("local")
    server = start_server(args.server, workdir, gguf=gguf, n_ctx=args.n_ctx, latency=args.latency)
    proxy = CountingProxy(server.root, workdir / "requests.jsonl").start()
    print(f"server: {args.server} on {server.root}; counting proxy on port {proxy.port}")
    records: list[RunRecord] = []
    seed_scores: dict[str, float] = {}
    try:
        tasks = {folder: load_task(str(folder)) for folder in args.tasks}
        for folder, task in tasks.items():
            seed_scores[folder.name] = rescore(task, task.seed_solution, args.repeats)[0]
        # Seed-major order: a run cut short still has every task and system at similar counts.
        for seed in range(args.seeds):
            for folder, task in tasks.items():
                for _name, kind, extra in systems(args):
                    label = f"{folder.name}.{kind}.{len(records)}"
                    spec = {
                        "folder": str(folder),
                        "base_url": proxy.url(label),
                        "model": server.model_name,
                        "calls": args.calls,
                        "max_tokens": args.max_tokens,
                        "temperature": args.temperature,
                        "seed": seed,
                        "workdir": str(workdir / label),
                        **extra,
                    }
                    python = oe_python if kind == "openevolve" else Path(sys.executable)
                    out, wall = run_child(python, f"run_{kind}.py", spec, workdir / label)
                    (workdir / label / "wall_seconds").write_text(f"{wall:.3f}")
                    tally = proxy.tally(label)
                    record = make_record(task, label, spec, out, wall, tally, args.repeats)
                    records.append(record)
                    report(record)
                    if progress is not None:
                        progress(records, seed_scores)
    finally:
        proxy.stop()
        server.stop()
    return records, seed_scores


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    if args.from_workdir:
        records, seed_scores = records_from_workdir(args.from_workdir, args.repeats)
        for record in records:
            report(record)
        print(markdown(records, seed_scores))
        if args.markdown:
            args.markdown.write_text(markdown(records, seed_scores) + "\n")
        if args.json:
            write_json(args, 0.0, 0.0, records, seed_scores)
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

        def save(records: list[RunRecord], seed_scores: dict[str, float]) -> None:
            if args.json:
                write_json(args, install_s, time.monotonic() - start, records, seed_scores)

        records, seed_scores = run_all(args, oe_python, workdir, save)
        total = time.monotonic() - start
    table = markdown(records, seed_scores)
    print()
    print(
        f"Same server ({args.server}), {args.calls} LM samples per run, max_tokens "
        f"{args.max_tokens}, temperature {args.temperature}, {args.seeds} seed(s); "
        "scores rescored by the harness (test split, sandboxed); counts taken at the server."
    )
    print(table)
    print(f"total {total:.0f}s; openevolve install {install_s:.1f}s")
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.json:
        write_json(args, install_s, total, records, seed_scores)
    return 0


def write_json(args, install_s: float, total: float, records: list, seed_scores: dict) -> None:
    payload = {
        "settings": {k: str(v) for k, v in vars(args).items()},
        "install_seconds": install_s,
        "total_seconds": total,
        "seed_scores": seed_scores,
        "runs": [r.__dict__ for r in records],
    }
    args.json.write_text(json.dumps(payload, indent=1))


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds: children, proxy and server are stopped


if __name__ == "__main__":
    sys.exit(main())
