"""The output folder is written all at once, and refused when it cannot be used safely."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from massincidents.report import publish
from massincidents.report.publish import OutputFolder, OutputFolderError


def _run(target: Path, files: dict[str, str], command: str = "rerun") -> None:
    """A complete run writing ``files`` (relative name -> text) into ``target``."""
    with OutputFolder(target, command=command) as out:
        for name, text in files.items():
            path = out.staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        out.commit({"command": command, "files": sorted(files)})


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_run_replaces_the_previous_one_whole(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _run(target, {"tables/a.csv": "first", "tables/old.csv": "first"})
    _run(target, {"tables/a.csv": "second"})
    tree = _tree(target)
    assert set(tree) == {"tables/a.csv", "run.json"} and tree["tables/a.csv"] == "second"
    assert json.loads(tree["run.json"])["files"] == ["tables/a.csv"]
    # no staging folder, no aside folder, no lock file is left beside it
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_the_folder_gets_the_permissions_of_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        _run(tmp_path / "out", {"a.csv": "x"})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755


def test_an_error_during_the_run_leaves_the_previous_folder(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _run(target, {"a.csv": "first"})
    with pytest.raises(RuntimeError), OutputFolder(target, command="rerun") as out:
        (out.staging / "a.csv").write_text("half", encoding="utf-8")
        raise RuntimeError("killed while fitting")
    assert _tree(target)["a.csv"] == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failure_while_publishing_leaves_the_previous_folder(tmp_path, monkeypatch) -> None:
    target = tmp_path / "out"
    _run(target, {"a.csv": "first"})

    def full_disk(*args: object) -> None:
        raise OSError(27, "File too large")

    monkeypatch.setattr(publish, "_fsync_tree", full_disk)
    with pytest.raises(OutputFolderError, match="could not be written: File too large"):
        _run(target, {"a.csv": "second"})
    assert _tree(target)["a.csv"] == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda t: t.write_text("a file"), "is a file"),
        (lambda t: (t.parent / "real").mkdir() or t.symlink_to(t.parent / "real"), "symbolic link"),
    ],
)
def test_a_target_that_is_not_a_folder_is_refused(tmp_path: Path, make, why) -> None:
    target = tmp_path / "out"
    make(target)
    with pytest.raises(OutputFolderError, match=why), OutputFolder(target, command="rerun"):
        pass


def test_links_inside_the_folder_are_refused_and_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious", encoding="utf-8")
    target = tmp_path / "out"
    _run(target, {"tables/a.csv": "first"})
    (target / "run.json").unlink()
    (target / "run.json").symlink_to(outside)
    with pytest.raises(OutputFolderError, match=r"symbolic links .*run.json"):
        _run(target, {"tables/a.csv": "second"})
    (target / "run.json").unlink()
    with pytest.raises(OutputFolderError, match="not the complete output"):
        _run(target, {"tables/a.csv": "second"})  # no record: not a complete run either
    shutil.rmtree(target)
    _run(target, {"tables/a.csv": "first"})
    _run(target.parent / "other", {"x": "y"})
    (target / "tables" / "b").symlink_to(tmp_path / "other")
    with pytest.raises(OutputFolderError, match=r"symbolic links .*tables/b"):
        _run(target, {"tables/a.csv": "second"})
    assert (tmp_path / "other" / "x").read_text(encoding="utf-8") == "y"
    assert outside.read_text(encoding="utf-8") == "precious"


def test_files_not_written_by_an_earlier_run_are_never_deleted(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputFolderError, match=r"not the complete output .*notes.txt"):
        _run(target, {"a.csv": "x"})
    _run(tmp_path / "run", {"a.csv": "x"})
    (tmp_path / "run" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputFolderError, match=r"did not write \(notes\.txt\)"):
        _run(tmp_path / "run", {"a.csv": "y"})
    # the output of another command is not replaced either
    with pytest.raises(OutputFolderError, match="earlier `massincidents multiverse`"):
        _run(tmp_path / "out2", {"a": "x"}) or _run(tmp_path / "out2", {"a": "y"}, "multiverse")
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_the_current_folder_and_an_empty_name_are_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for bad in ("", " ", ".", str(tmp_path), ".."):
        with pytest.raises(OutputFolderError), OutputFolder(bad, command="rerun"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_a_concurrent_run_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with OutputFolder(target, command="rerun") as first:
        with pytest.raises(OutputFolderError, match="another run is writing"):
            OutputFolder(target, command="rerun").__enter__()
        first.commit({"command": "rerun", "files": []})
    # another process holding the lock (flock is per open file, as between processes)
    lock = tmp_path / ".out.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(OutputFolderError, match="another run"):
            _run(target, {"a": "b"})
    finally:
        os.close(fd)
    _run(target, {"a": "b"})  # released: the next run goes ahead
    assert _tree(target)["a"] == "b"


def test_leftovers_of_a_killed_run_are_tidied(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _run(target, {"a.csv": "first"})
    # a run killed while writing left its staging folder
    partial = tmp_path / ".out.partial-deadbeef"
    partial.mkdir()
    (partial / "a.csv").write_text("half", encoding="utf-8")
    # a run killed between the two renames of the fallback swap left the old run aside
    os.rename(target, tmp_path / ".out.old-cafe0000")
    _run(tmp_path / "sibling", {"z": "z"})
    assert not target.exists()
    with OutputFolder(target, command="rerun") as out:
        # the previous complete run is back in place before anything is written
        assert _tree(target)["a.csv"] == "first"
        assert not partial.exists()
        out.commit({"command": "rerun", "files": []})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "sibling"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        with pytest.raises(OutputFolderError, match="not writable"):
            _run(parent / "out", {"a": "b"})
    finally:
        parent.chmod(0o755)


def test_a_folder_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="is not a folder"):
        _run(tmp_path / "file" / "out", {"a": "b"})
    if Path("/sys/kernel").is_dir():  # sysfs refuses new folders, even to root
        with pytest.raises(OutputFolderError, match=r"cannot be written|not writable"):
            _run(Path("/sys/kernel/massincidents-out"), {"a": "b"})


@pytest.mark.parametrize("where", ["after the lock", "after the staging folder", "while tidying"])
def test_ctrl_c_between_the_steps_of_setting_up_or_tidying_leaves_nothing_beside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # a Ctrl-C after the staging folder was made (or while it was removed) left
    # '.out.partial-XXXX' and '.out.lock' beside the folder (CI, under load)
    import signal

    target = tmp_path / "runs" / "out"
    ctrl_c = lambda: os.kill(os.getpid(), signal.SIGINT)  # noqa: E731
    if where == "after the lock":
        acquire = OutputFolder._acquire_lock

        def acquire_then_ctrl_c(self: OutputFolder) -> None:
            acquire(self)
            ctrl_c()

        monkeypatch.setattr(OutputFolder, "_acquire_lock", acquire_then_ctrl_c)
    elif where == "after the staging folder":
        make = publish._make_folder

        def make_then_ctrl_c(parent: Path, prefix: str) -> Path:
            path = make(parent, prefix)
            ctrl_c()
            return path

        monkeypatch.setattr(publish, "_make_folder", make_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        with OutputFolder(target, command="rerun") as out:
            (out.staging / "table.csv").write_text("x\n", encoding="utf-8")
            if where == "while tidying":
                release = OutputFolder._release_lock

                def ctrl_c_then_release(self: OutputFolder) -> None:
                    ctrl_c()
                    release(self)

                monkeypatch.setattr(OutputFolder, "_release_lock", ctrl_c_then_release)
                raise KeyboardInterrupt  # the first Ctrl-C; the second arrives while tidying
    assert list(target.parent.iterdir()) == []
