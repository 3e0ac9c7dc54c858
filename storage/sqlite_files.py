"""The SQLite database on disk: a private directory and file (the ledger holds personal
data), a clear error naming the path when they cannot be written, and a guard against the
one way a running process can be killed outright by its database files (see
`guard_shared_memory`)."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Connection

# SQLite keeps these beside the database; they hold the same data.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


class DatabasePathError(Exception):
    """The SQLite database's directory or file cannot be made or written: found at start,
    before any work, so the command can say which path and why instead of a traceback."""

    def __init__(self, path: Path, is_directory: bool, code: int, blocker: Path | None = None):
        super().__init__(path, errno.errorcode.get(code, str(code)))
        self.path = path
        self.is_directory = is_directory
        self.code = code
        self.blocker = blocker  # for ENOTDIR: the path component that is a file


def _not_a_directory(path: Path) -> Path | None:
    """The nearest existing path component of `path` that is not a directory, if any."""
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return None if candidate.is_dir() else candidate
    return None


def _unwritable_code(path: Path) -> int:
    """Why a path that `os.access` refuses cannot be written: read-only mount or permission."""
    try:
        read_only = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return errno.EROFS if read_only else errno.EACCES


def _shared_directory(directory: Path) -> bool:
    """Directories that are not the database's own and must keep their mode: sticky ones
    (/tmp), the working directory and its parents (a checkout, a home), the home directory."""
    try:
        if directory.stat().st_mode & stat.S_ISVTX:
            return True
        resolved = directory.resolve()
        cwd = Path.cwd().resolve()
    except OSError:
        return True
    return resolved == cwd or resolved in cwd.parents or resolved == Path.home().resolve()


def _make_private(path: Path) -> None:
    """Drops the group and other bits of a path we own; others' paths are left alone."""
    # Gone meanwhile, or not ours to change: opening the database reports what matters.
    with contextlib.suppress(OSError):
        info = path.stat()
        if info.st_uid == os.geteuid() and info.st_mode & 0o077:
            path.chmod(stat.S_IMODE(info.st_mode) & 0o700)


def prepare_sqlite_file(database: Path) -> None:
    """Makes the database's directory (0700) and file (0600, so SQLite's -wal and -shm, which
    copy its mode, are private too), tightens them when they exist with wider modes, and
    checks they can be written. Raises DatabasePathError saying which path and why."""
    directory = database.parent
    blocker = _not_a_directory(directory)
    if blocker is not None:
        raise DatabasePathError(directory, True, errno.ENOTDIR, blocker)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise DatabasePathError(directory, True, exc.errno or errno.EIO) from exc
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DatabasePathError(directory, True, _unwritable_code(directory))
    if database.is_dir():
        raise DatabasePathError(database, False, errno.EISDIR)
    files = [database, *(Path(f"{database}{suffix}") for suffix in SQLITE_COMPANIONS)]
    for path in files:
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            raise DatabasePathError(path, False, _unwritable_code(path))
    if not database.exists():
        try:  # an empty file is an empty database to SQLite
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as exc:
            raise DatabasePathError(database, False, exc.errno or errno.EIO) from exc
    if not _shared_directory(directory):
        _make_private(directory)
    for path in files:
        _make_private(path)


def guard_shared_memory(database: str) -> Callable[[Connection], None]:
    """SQLite maps a WAL database's `-shm` file into memory. If that file stops being
    writable under the running process (an immutable flag set on it), the next transaction
    touching the mapping kills the process with SIGBUS, beyond any handler. So each
    transaction first checks the file can still be written (one syscall) and fails with
    SQLite's own "read-only" error instead: the user gets an answer, the log says why."""
    shm = f"{database}-shm"

    def check(_connection: Connection) -> None:
        if not os.access(shm, os.W_OK) and os.path.exists(shm):
            error = sqlite3.OperationalError("attempt to write a readonly database")
            error.sqlite_errorcode = sqlite3.SQLITE_READONLY  # type: ignore[attr-defined]
            error.sqlite_errorname = "SQLITE_READONLY"  # type: ignore[attr-defined]
            raise error

    return check
