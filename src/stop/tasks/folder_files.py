"""Reading a task folder's files: through `stop.inputs.read_text_file`, confined to the folder.

A task folder comes from anyone; its files are read on the host, shown to LMs and stored, so a
file that is really a link out of the folder (`initial_program.py -> /proc/self/environ`) is
refused, as are FIFOs, devices, oversized and non-UTF-8 files (one-line TaskError naming it).
"""

from __future__ import annotations

from pathlib import Path

from stop.errors import TaskError
from stop.inputs import MiB, read_text_file

MAX_FILE_BYTES = 1 * MiB  # far above any real program or evaluator


def read_folder_file(folder: Path, name: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of `folder/name`; TaskError when it links outside the folder, is not a regular
    file, is larger than `max_bytes` or is not UTF-8."""
    return read_text_file(
        folder / name, root=folder, max_bytes=max_bytes, error=TaskError, what="task file"
    )


def folder_has(folder: Path, name: str) -> bool:
    """Whether `folder/name` exists (a link counts: reading it checks where it leads)."""
    return (folder / name).is_file() or (folder / name).is_symlink()
