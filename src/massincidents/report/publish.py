"""Write a command's output folder atomically: all of it, or none of it.

A run never writes into the output folder itself. :class:`OutputFolder`
checks the folder before any model is fitted, locks it against a concurrent
run, and hands out a fresh hidden staging folder beside it
(``.<name>.partial-XXXX``). The run writes everything there; :meth:`~OutputFolder.commit`
flushes every file to disk, writes the record (``run.json``) last and puts
the staging folder in the place of the output folder in one step (an atomic
exchange of the two folders where the system has one, Linux's
``renameat2(RENAME_EXCHANGE)``). Whatever happens -- an interrupt, ``kill
-9``, a full disk, an exception -- the output folder holds either the
previous complete run or the new complete one, never a mix.

The rules for an existing output folder:

- it must be a folder (not a file, not a symbolic link), writable, and not
  the current folder or one that contains it;
- it must be empty, or the complete output of an earlier run of the same
  command (a ``run.json`` naming every file in the folder); anything else --
  files of the user, a symbolic link anywhere inside, a half-written folder
  of an older version -- is refused, never deleted;
- a second run into the same folder while one is running is refused (a lock
  on ``.<name>.lock`` beside it, removed when the run ends).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

__all__ = ["RECORD", "OutputFolder", "OutputFolderError"]

#: The file written last, that marks a folder as complete.
RECORD = "run.json"


class OutputFolderError(Exception):
    """The output folder cannot be used, or the outputs could not be written.

    Nothing in the output folder has been changed when this is raised.

    Parameters
    ----------
    where
        The output folder as given (or the quoted name, when it is empty).
    why
        What is wrong, and what to do.

    Examples
    --------
    >>> print(OutputFolderError("--out ''", "give a folder name"))
    --out '': give a folder name
    """

    def __init__(self, where: str, why: str) -> None:
        self.where = where
        self.why = why
        super().__init__(f"{where}: {why}")


def _fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder`` to disk."""
    for root, dirs, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(root))
        del dirs  # walked by os.walk


def _fsync_dir(folder: Path) -> None:
    if sys.platform.startswith("win"):  # pragma: no cover - no directory handles to flush
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2``); False where unsupported."""
    if not sys.platform.startswith("linux"):  # pragma: no cover
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # pragma: no cover - glibc older than 2.28
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):  # pragma: no cover
        return False
    raise OSError(code, os.strerror(code), str(b))



@contextlib.contextmanager
def _interrupt_after() -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) that arrives in the block until the block is done.

    Taking the lock and creating the staging folder, and removing them again, are
    each a few system calls that must run together: a Ctrl-C between them left a
    lock file or a ``.partial-`` folder beside the output folder. The interrupt is
    raised again, through the handler that was in place, as soon as the block
    ends. Outside the main thread (where Python runs signal handlers) nothing
    changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if held:
            signal.raise_signal(signal.SIGINT)


def _make_folder(parent: Path, prefix: str) -> Path:
    """A new folder ``prefix`` + random letters, with the permissions of the user's umask.

    (``tempfile.mkdtemp`` makes folders only the owner may read, which the
    published folder would keep.)
    """
    for _ in range(100):
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            os.mkdir(path, 0o777)
        except FileExistsError:  # pragma: no cover - 2**32 names
            continue
        return path
    raise FileExistsError(errno.EEXIST, "no free folder name", str(parent))  # pragma: no cover


def _listed_files(record: Path, command: str) -> set[str] | None:
    """The files a complete earlier run says it wrote (None: not such a record)."""
    try:
        doc = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("command") != command:
        return None
    files = doc.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return {*files, RECORD}


class OutputFolder:
    """An output folder written all at once (see the module's description).

    Parameters
    ----------
    target
        The output folder as given by the user (``--out``).
    command
        The command whose earlier output may be replaced (``"rerun"``,
        ``"multiverse"``); its ``run.json`` says so.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as parent:
    ...     target = Path(parent) / "out"
    ...     with OutputFolder(target, command="demo") as out:
    ...         _ = (out.staging / "table.csv").write_text("a\\n1\\n")
    ...         out.commit({"command": "demo", "files": ["table.csv"]})
    ...     sorted(p.name for p in target.iterdir())
    ['run.json', 'table.csv']
    """

    def __init__(self, target: str | os.PathLike[str], *, command: str) -> None:
        text = os.fspath(target)
        if not str(text).strip():
            raise OutputFolderError(
                f"{text!r}", "an empty output folder name; give a folder, e.g. --out results"
            )
        self.target = Path(text)
        self.command = command
        self.staging: Path = Path()
        self._lock: int | None = None
        self._committed = False

    # -- checks ------------------------------------------------------------------
    def _fail(self, why: str) -> OutputFolderError:
        return OutputFolderError(str(self.target), why)

    def fail_to_write(self, err: OSError) -> OutputFolderError:
        """The error for a file that could not be written (a full disk, a file size limit)."""
        what = err.strerror or str(err)
        name = f" ({Path(err.filename).name})" if getattr(err, "filename", None) else ""
        return self._fail(
            f"the outputs could not be written{name}: {what}; the folder was left as it was"
        )

    def check(self) -> None:
        """Refuse an output folder that cannot be used; nothing is written.

        Raises
        ------
        OutputFolderError
            When the folder is a file or a symbolic link, is (or contains) the
            current folder, is not writable, contains symbolic links, or holds
            files that are not the complete output of an earlier run.
        """
        target = self.target
        resolved = target.resolve()
        cwd = Path.cwd().resolve()
        if resolved == cwd or resolved in cwd.parents:
            raise self._fail(
                "is the current folder or contains it; the output goes to a folder of its own, "
                "e.g. --out results"
            )
        if target.is_symlink():
            raise self._fail(
                f"is a symbolic link (to {os.readlink(target)}); give the real folder, "
                "outputs are never written through links"
            )
        if target.exists() and not target.is_dir():
            raise self._fail("is a file, not a folder; give a folder name")
        if target.is_dir():
            self._check_contents()
            if not os.access(target, os.W_OK | os.X_OK):
                raise self._fail("is not writable")
        parent = target.parent
        for folder in (parent, *parent.parents):
            if folder.exists() or folder.is_symlink():
                if not folder.is_dir():
                    raise self._fail(f"cannot be created: {folder} is not a folder")
                break
        if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
            raise self._fail(f"cannot be written: the folder {parent} is not writable")

    def _check_contents(self) -> None:
        target = self.target
        top = sorted(p.name for p in target.iterdir())
        if not top:
            return
        record = target / RECORD
        if record.is_symlink():
            raise self._fail(
                f"contains symbolic links ({RECORD}); outputs are never written through them: "
                "remove them or choose another folder"
            )
        listed = _listed_files(record, self.command) if record.is_file() else None
        if listed is None:  # refused without walking it (it may be a home folder)
            shown = ", ".join(top[:5]) + (", ..." if len(top) > 5 else "")
            raise self._fail(
                f"holds files that are not the complete output of an earlier "
                f"`massincidents {self.command}` ({shown}); it would be replaced as a whole, so "
                "choose a new folder or empty this one"
            )
        links, extra = [], []
        for root, dirs, files in os.walk(target):
            for name in [*dirs, *files]:
                path = Path(root) / name
                rel = path.relative_to(target).as_posix()
                if path.is_symlink() or not (path.is_file() or path.is_dir()):
                    links.append(rel)  # links, sockets, fifos, ...
                elif path.is_file() and rel not in listed:
                    extra.append(rel)
            if len(links) + len(extra) > 5:
                break
        if links:
            raise self._fail(
                f"contains symbolic links or special files ({', '.join(sorted(links)[:5])}); "
                "outputs are never written through them: remove them or choose another folder"
            )
        if extra:
            shown = ", ".join(sorted(extra)[:5]) + (", ..." if len(extra) > 5 else "")
            raise self._fail(
                f"holds files that the earlier run did not write ({shown}); the folder is "
                "replaced as a whole, so move them away or choose a new folder"
            )

    # -- the run -------------------------------------------------------------------
    @property
    def _hidden(self) -> str:
        return f".{self.target.name}"

    @property
    def _lock_path(self) -> Path:
        return self.target.parent / f"{self._hidden}.lock"

    def _acquire_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks
            return
        lock_path = self._lock_path
        while True:
            try:
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as err:
                raise self._fail(
                    f"cannot be written: the lock file {lock_path} cannot be created "
                    f"({err.strerror})"
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise self._fail(
                    f"another run is writing to this folder right now (lock {lock_path}); "
                    "wait for it to finish or choose another folder"
                ) from None
            try:  # the file may have been removed by the run that held it: lock the new one
                same = os.stat(lock_path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._lock = fd
                return
            os.close(fd)

    def _release_lock(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock_path.unlink()  # while still holding it; see _acquire_lock
            os.close(self._lock)  # closing releases the flock
            self._lock = None

    def _leftovers(self) -> None:
        """Tidy what a killed run left beside the folder (under the lock)."""
        parent = self.target.parent
        asides = sorted(parent.glob(f"{self._hidden}.old-*"))
        if asides and not self.target.exists() and not self.target.is_symlink():
            # killed between the two renames of the fallback swap: put the old run back
            os.rename(asides.pop(), self.target)
        for leftover in [*asides, *parent.glob(f"{self._hidden}.partial-*")]:
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)

    def __enter__(self) -> OutputFolder:
        """Check the folder, lock it and create the staging folder.

        Raises
        ------
        OutputFolderError
            As :meth:`check`, or when the folder is locked by another run or
            the staging folder cannot be created.
        """
        self.check()
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise self._fail(f"cannot create its folder: {err.strerror}") from None
        try:
            with _interrupt_after():  # a lock and a staging folder, or neither
                self._acquire_lock()
                self._leftovers()
                self.check()  # again, now that no other run can change it
                self.staging = _make_folder(self.target.parent, f"{self._hidden}.partial-")
        except OSError as err:
            self.__exit__(None, None, None)
            raise self._fail(f"cannot be written: {err.strerror}") from None
        except BaseException:  # OutputFolderError, or a Ctrl-C held until here: tidy first
            self.__exit__(None, None, None)
            raise
        return self

    def commit(self, record: dict[str, object], *, default: object = None) -> None:
        """Flush the staging folder, write ``run.json`` last, and put it in place.

        Parameters
        ----------
        record
            The contents of ``run.json`` (JSON-serialisable, with ``default``
            for other values).
        default
            ``json.dumps``'s ``default``.

        Raises
        ------
        OutputFolderError
            When a file cannot be written (a full disk); the output folder is
            then unchanged.
        """
        try:
            _fsync_tree(self.staging)
            text = json.dumps(record, indent=2, ensure_ascii=False, default=default) + "\n"  # type: ignore[arg-type]
            path = self.staging / RECORD
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            _fsync_dir(self.staging)
            self._swap()
        except OSError as err:
            raise self.fail_to_write(err) from None
        self._committed = True

    def _swap(self) -> None:
        target, staging, parent = self.target, self.staging, self.target.parent
        if not target.exists():
            os.rename(staging, target)
        elif not any(target.iterdir()):
            os.rename(staging, target)  # replaces an empty folder in one step
        elif _exchange(staging, target):
            old = staging  # the earlier run now sits at the staging name
            with contextlib.suppress(OSError):
                (old / RECORD).unlink()  # so that the leftover never looks complete
            _fsync_dir(parent)
            shutil.rmtree(old, ignore_errors=True)
            return
        else:  # pragma: no cover - without renameat2: rename aside, then into place
            aside = _make_folder(parent, f"{self._hidden}.old-")
            os.rmdir(aside)
            os.rename(target, aside)
            os.rename(staging, target)
            _fsync_dir(parent)
            shutil.rmtree(aside, ignore_errors=True)
            return
        _fsync_dir(parent)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with _interrupt_after():  # a second Ctrl-C does not stop the tidying half-way
            try:
                if not self._committed and self.staging != Path() and self.staging.exists():
                    shutil.rmtree(self.staging, ignore_errors=True)
            finally:
                self._release_lock()
