"""Files `stop` is handed are read by one function that refuses anything odd with one line."""

import os

import pytest

from stop.errors import StopError, TaskError
from stop.inputs import read_text_file


def test_a_utf8_file_is_read_with_line_endings_normalised(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"\xef\xbb\xbfx = 1\r\ny = 2\rz = 3\n")
    assert read_text_file(path) == "x = 1\ny = 2\nz = 3\n"


def test_latin1_bytes_are_refused_naming_the_file_and_line(tmp_path):
    path = tmp_path / "task.py"
    path.write_bytes(b"SEED = 'ok'\nDESCRIPTION = 'caf\xe9'\n")
    with pytest.raises(TaskError, match=r"task\.py is not UTF-8 \(byte \d+, line 2\)"):
        read_text_file(path, error=TaskError)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "README.md"
    path.write_bytes(b"x" * 2000)
    with pytest.raises(StopError, match="over the 1000 bytes limit"):
        read_text_file(path, max_bytes=1000)


def test_an_infinite_device_is_refused(tmp_path):
    with pytest.raises(StopError, match="not a regular file"):
        read_text_file("/dev/zero")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "initial_program.py"
    os.mkfifo(fifo)
    with pytest.raises(StopError, match="not a regular file"):
        read_text_file(fifo)


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(StopError, match="is a directory"):
        read_text_file(tmp_path)


def test_a_symlink_out_of_the_root_is_refused(tmp_path):
    folder = tmp_path / "task"
    folder.mkdir()
    secret = tmp_path / "credentials"
    secret.write_text("API_KEY=sk-secret")
    (folder / "initial_program.py").symlink_to(secret)
    with pytest.raises(StopError, match="links outside"):
        read_text_file(folder / "initial_program.py", root=folder)


def test_a_symlink_to_proc_environ_is_refused(tmp_path):
    (tmp_path / "evaluator.py").symlink_to("/proc/self/environ")
    with pytest.raises(StopError, match="links outside"):
        read_text_file(tmp_path / "evaluator.py", root=tmp_path)


def test_a_symlink_inside_the_root_is_followed(tmp_path):
    (tmp_path / "real.py").write_text("x = 1\n")
    (tmp_path / "link.py").symlink_to(tmp_path / "real.py")
    assert read_text_file(tmp_path / "link.py", root=tmp_path) == "x = 1\n"


def test_a_missing_file_names_the_file(tmp_path):
    with pytest.raises(StopError, match="improver .*nope.py not found"):
        read_text_file(tmp_path / "nope.py", what="improver")
