"""Issue 12: linear loading, bounded reads, clear errors, safe saves, locked appends."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mlprobe as mp
from mlprobe.errors import ValidationError
from mlprobe.spec import Suite, SuiteFileError
from mlprobe.spec import files as spec_files


def _test(i: int | str) -> mp.SliceTest:
    return mp.SliceTest(
        id=f"t{i}",
        metric="accuracy",
        at_least=0.5,
        slice=mp.Slice(f"s{i}", mp.col("age") >= 1),
    )


# --- 1. loading is linear ------------------------------------------------------------


def _write_suite(path: Path, n: int) -> Path:
    lines = ["mlprobe: 1", "name: big", "tests:"]
    for i in range(n):
        lines += [
            f"  - id: t{i}",
            f"    slice: {{name: s{i}, column: age, ge: {i}}}",
            "    metric: accuracy",
            "    expect: {at_least: 0.5}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _load_seconds(path: Path) -> float:
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        Suite.load(path)
        best = min(best, time.perf_counter() - start)
    return best


def test_loading_grows_linearly_with_the_number_of_tests(tmp_path: Path) -> None:
    """Regression: 8,000 tests took 10-27 s (quadratic). A ratio, not a timed bound: the
    machines are noisy, but 4x the tests must take about 4x the time (quadratic: 16x)."""
    small = _write_suite(tmp_path / "small.mlprobe.yaml", 2000)
    big = _write_suite(tmp_path / "big.mlprobe.yaml", 8000)
    suite = Suite.load(big)
    assert len(suite) == 8000 and suite.tests[-1].id == "t7999"
    ratio = _load_seconds(big) / _load_seconds(small)
    assert ratio < 8, f"4x the tests took {ratio:.1f}x the time"


def test_constructing_a_big_suite_still_refuses_duplicates() -> None:
    tests = [_test(i) for i in range(3000)]
    with pytest.raises(ValidationError, match="already has a test with id 't5'"):
        Suite("s", [*tests, _test(5)])


def test_libyaml_and_pure_python_readers_agree() -> None:
    text = "mlprobe: 1\nname: x\ntests: []\nflag: yes\nn: 017\nd: 2026-11-28\nf: .inf\n"
    fast = spec_files.read_document_text(text, source="a.yaml")
    loader = spec_files._DataLoader(text)
    try:
        assert loader.get_single_data() == fast
    finally:
        loader.dispose()


def test_a_syntax_error_keeps_the_pure_python_message() -> None:
    with pytest.raises(SuiteFileError, match=r"a.yaml: not valid YAML: .*line 1"):
        spec_files.read_document_text("a: [1, 2\n", source="a.yaml")


# --- 2. reading: bounded, directories, bytes, the command line -----------------------


def test_a_pipe_is_read_at_most_max_bytes_plus_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spec_files, "MAX_BYTES", 1000)
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    writer = subprocess.Popen(  # writes far more than the limit, endlessly
        [
            sys.executable,
            "-c",
            f"import sys\nwith open({str(fifo)!r}, 'w') as f:\n"
            "    f.write('a: 1\\n')\n    while True: f.write('#' * 4096 + '\\n')",
        ],
        stderr=subprocess.DEVNULL,
    )
    try:
        with pytest.raises(SuiteFileError, match="larger than 1,000 bytes"):
            Suite.load(fifo)
    finally:
        writer.kill()
        writer.wait()


def test_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SuiteFileError, match="is a directory, not a suite file"):
        Suite.load(tmp_path)


def test_loads_accepts_utf8_bytes_and_refuses_other_bytes() -> None:
    suite = Suite("s", [_test(1)])
    assert Suite.loads(suite.dumps().encode("utf-8")) == suite
    with pytest.raises(SuiteFileError, match=r"not UTF-8 text.*save the file as UTF-8"):
        Suite.loads(b"mlprobe: 1\nname: \xff\n")
    with pytest.raises(ValidationError, match="received int"):
        Suite.loads(12)  # type: ignore[arg-type]


def test_validate_a_directory_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mlprobe", "validate", f"{tmp_path}/"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "is a directory" in run.stderr
    assert "Traceback" not in run.stderr


# --- 3. saving -----------------------------------------------------------------------


def test_a_failed_write_names_the_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spec_files.os, "fsync", full)
    path = tmp_path / "s.yaml"
    with pytest.raises(SuiteFileError) as caught:
        Suite("s").save(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: cannot write the suite: No space left on device")
    assert ".tmp" not in message
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anyway")
def test_a_read_only_directory_names_the_target(tmp_path: Path) -> None:
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(SuiteFileError, match=f"{tmp_path / 's.yaml'}: cannot write"):
            Suite("s").save(tmp_path / "s.yaml")
    finally:
        tmp_path.chmod(0o755)


def test_an_empty_path_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for empty in ("", "  "):
        with pytest.raises(ValidationError, match="non-empty file path"):
            Suite("s").save(empty)
        with pytest.raises(SuiteFileError, match="the path is empty"):
            spec_files.write_atomic(empty, "x")
    assert os.listdir(tmp_path) == []


def test_a_file_that_is_not_a_suite_is_not_overwritten(tmp_path: Path) -> None:
    notes = tmp_path / "notes.yaml"
    notes.write_text("shopping: [milk]\n", encoding="utf-8")
    with pytest.raises(SuiteFileError, match=r"not a mlprobe suite.*overwrite=True"):
        Suite("s").save(notes)
    assert notes.read_text(encoding="utf-8") == "shopping: [milk]\n"
    Suite("s").save(notes, overwrite=True)
    assert Suite.load(notes) == Suite("s")


def test_a_suite_file_and_an_empty_file_are_replaced(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    Suite("old", [_test(1)]).save(path)
    Suite("new").save(path)
    assert Suite.load(path).name == "new"
    empty = tmp_path / "e.yaml"
    empty.touch()
    Suite("new").save(empty)
    assert Suite.load(empty).name == "new"


def test_save_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real" / "s.yaml"
    real.parent.mkdir()
    Suite("old").save(real)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    Suite("new", [_test(1)]).save(link)
    assert link.is_symlink()
    assert Suite.load(real) == Suite("new", [_test(1)])
    assert sorted(os.listdir(real.parent)) == ["s.yaml"]  # no temporary left


# --- 4. whatever saves, loads ----------------------------------------------------------


def _nested(levels: int) -> mp.SliceTest:
    condition = mp.col("a") >= 0
    for i in range(levels):
        condition = ~(condition & (mp.col(f"b{i}") >= i))
    return mp.SliceTest(id="deep", metric="accuracy", at_least=0.5, slice=mp.Slice("d", condition))


@pytest.mark.parametrize("levels", [1, 10, 19, 20, 21, 22, 30, 70])
def test_whatever_saves_loads(tmp_path: Path, levels: int) -> None:
    suite = Suite("s", [_nested(levels)])
    path = tmp_path / "s.yaml"
    try:
        suite.save(path)
    except SuiteFileError as error:
        assert "cannot be saved" in str(error)
        assert f"more than {spec_files.MAX_DEPTH} levels" in str(error)
        assert not path.exists()
        return
    assert Suite.load(path) == suite


def test_a_slice_nested_70_levels_is_refused_when_saving() -> None:
    with pytest.raises(SuiteFileError, match="cannot be saved: it nests more than"):
        Suite("s", [_nested(70)]).dumps()


# --- 5. concurrent appends -------------------------------------------------------------


def _append_many(path: str, worker: int, count: int) -> None:
    for i in range(count):
        Suite.append(path, _test(f"{worker}-{i}"), name="shared")


def test_two_processes_appending_keep_every_test(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.mlprobe.yaml")
    context = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
    workers = [context.Process(target=_append_many, args=(path, w, 15)) for w in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    suite = Suite.load(path)
    assert suite.name == "shared"
    assert sorted(t.id for t in suite) == sorted(f"t{w}-{i}" for w in (1, 2) for i in range(15))


def test_append_creates_the_file_and_refuses_a_duplicate_id(tmp_path: Path) -> None:
    path = tmp_path / "new" / "model.mlprobe.yaml"
    written = Suite.append(path, _test(1))
    assert written.name == "model"
    assert Suite.load(path) == Suite("model", [_test(1)])
    with pytest.raises(ValidationError, match="already has a test with id 't1'"):
        Suite.append(path, _test(1))
    assert len(Suite.load(path)) == 1
    assert mp.Suite is Suite  # so mp.Suite.append is the public API


def test_append_refuses_a_file_that_is_not_a_suite(tmp_path: Path) -> None:
    path = tmp_path / "notes.yaml"
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(SuiteFileError):
        Suite.append(path, _test(1))
    assert path.read_text(encoding="utf-8") == "- a list\n"
