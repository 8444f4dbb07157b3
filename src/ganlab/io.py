"""Atomic file output and checksummed read-back: a crash never leaves a file or folder that
looks complete, and a file that changed on disk is never read as if it were good.

Everything a stage writes goes through these helpers: write to a temporary name in the same
folder, then rename over the target (rename is atomic on one filesystem). A killed stage can
leave those temporaries (`.<name>.<8 chars>.tmp`, `.<name>.old`) beside an output;
`clean_stale` removes them, and every stage script calls it for its outputs when it starts.

Checksums: a folder the project reads back (data/<dataset>/, models/<run>/,
models/classifiers/<dataset>/, checkpoints/<run>/) is written with
`atomic_dir(path, checksums=True)`, which adds `checksums.json` beside its files inside the same
atomic folder, so the files and their sums appear together or not at all:

    {"algorithm": "sha256", "files": {"weights.pt": {"sha256": "<64 hex>", "bytes": 1234}, ...}}

(every top-level file of the folder; sub-folders written by their own atomic_dir carry their
own). Readers go through `read_verified(path, rebuild, read)`: a missing file, a missing or
unreadable checksums.json, a size or sha256 mismatch, or a file that still fails to parse
raises FileError, whose one-line message names the file and the command that rebuilds it
(`dvc repro prepare@<dataset>`, ...). Stage scripts print that line and exit with status 1
(ganlab.config.stage_start installs the hook). A reader that runs while a writer may replace the
folder (`ganlab progress` during training) uses `read_folder_verified`, which reads every file and
the checksums through one opened directory and starts again when the folder was replaced under it.

A write that fails (a full disk, a quota, a read-only or unwritable folder) is a WriteError, a
FileError too: one line naming the file and the OS error ("No space left on device"), never
torch's `basic_ios::clear`; since every write goes to a temporary first, what was there before is
unchanged. Every writer goes through `write_with` (torch.save and np.savez write to its open
file, so their OSErrors carry the errno) or `atomic_dir`, which also names its final path in an
error about its temporary folder. `start_outputs`, first thing in every stage, stops at once when
an output's folder does not take a new file, before any work.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io as pyio
import json
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

CHECKSUMS = "checksums.json"
T = TypeVar("T")


class FileError(Exception):
    """A file the project wrote is missing, unreadable or not what was written; the message
    names the file and the command that rebuilds it."""


class MissingFileError(FileError, FileNotFoundError):
    """FileError for a file (or its whole folder) that is not there."""


class SourceError(FileError, ValueError):
    """A file from outside the pipeline that a recipe reads (an image of an image_folder, an IDX
    file) cannot be used; the message names the file and what to do about it."""


# OS errors that only writing raises: in atomic_dir's block they are about its outputs
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}


class WriteError(FileError):
    """Writing an output failed; the message names `path` and the OS error and says what to do.
    `output`: set when `path` is the folder that refused a new file before any work (check_writable)."""

    def __init__(self, path: str | Path, err: OSError, output: str | Path | None = None):
        self.path, self.oserror = Path(path), err
        if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            fix = "free space on that disk"
        elif err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            fix = f"make {'the folder' if output else 'it'} writable"
        else:
            fix = "fix that"
        why = f"({err.strerror or err})"
        where = f"there {why}, and {output} goes there" if output else f"it {why}"
        after = "nothing was computed" if output else "what was there before is unchanged"
        super().__init__(f"{path}: cannot write {where}; {fix} and run again ({after})")


def write_with(path: str | Path, write: Callable[[IO], Any], mode: str = "wb") -> None:
    """write(f) fills a temporary file beside `path` (opened with `mode`; e.g.
    `lambda f: torch.save(obj, f)`), which then replaces it. Any OSError on the way is a WriteError
    naming `path`, and the temporary is removed."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise WriteError(path, err) from err
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise WriteError(path, err) from err
        raise


def write_text(path: str | Path, text: str) -> None:
    write_with(path, lambda f: f.write(text), mode="w")


def _clean(obj: Any) -> Any:
    """JSON has no NaN/Inf: write them as null so every reader can parse the file."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if type(obj).__module__.split(".")[0] in ("numpy", "torch") and len(obj.shape) == 0:
        return _clean(obj.item())  # numpy / torch scalars (neither is imported here)
    return obj


def write_json(path: str | Path, obj: Any) -> None:
    write_text(path, json.dumps(_clean(obj), indent=2, sort_keys=False) + "\n")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


@contextlib.contextmanager
def atomic_dir(path: str | Path, checksums: bool = False) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces `path` whole, on error it is removed.
    checksums=True writes checksums.json (see the module docstring) into it just before."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
        os.chmod(tmp, 0o755)
    except OSError as err:
        raise WriteError(path, err) from err
    try:
        yield tmp
        if checksums:
            write_checksums(tmp)
        try:
            if path.exists():
                old = path.with_name(f".{path.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(path, old)
                try:
                    os.replace(tmp, path)
                except OSError:
                    os.replace(old, path)  # the previous output back in its place
                    raise
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, path)
        except OSError as err:
            raise WriteError(path, err) from err
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        named = _in_final_place(err, tmp, path)
        if named is err:
            raise
        raise named from err


def _in_final_place(err: BaseException, tmp: Path, path: Path) -> BaseException:
    """An error from atomic_dir's block, told about `path` rather than its temporary folder: a
    WriteError for a file in `tmp`, or an OSError that writes raise (a full disk, a read-only or
    unwritable place: from dvclive's or matplotlib's own writes), become a WriteError naming the
    file's final place. Anything else is returned as is."""

    def final(p) -> Path:
        try:
            return path / Path(p).relative_to(tmp)
        except (TypeError, ValueError):
            return path

    if isinstance(err, WriteError):
        return WriteError(final(err.path), err.oserror) if err.path.is_relative_to(tmp) else err
    if isinstance(err, OSError) and err.errno in WRITE_ERRNOS | {errno.EACCES, errno.EPERM}:
        return WriteError(final(err.filename) if err.filename else path, err)
    return err


# ---------------------------------------------------------------------------- stale temporaries


def _stale_names(name: str) -> re.Pattern:
    """What write_text and atomic_dir leave behind for `name` when killed: tempfile's names are
    prefix + 8 characters of [a-z0-9_] + suffix."""
    return re.compile(re.escape(f".{name}.") + r"(?:[a-z0-9_]{8}\.tmp|old)")


def start_outputs(*outputs: str | Path) -> list[Path]:
    """The start of a stage, for its own outputs: check_writable, then clean_stale."""
    check_writable(*outputs)
    return clean_stale(*outputs)


def check_writable(*outputs: str | Path) -> None:
    """Stop now (WriteError naming the folder) if a folder that will receive an output does not
    take a new file: found before the work, not after hours of training. Tried for real (a
    temporary file made and removed, named as clean_stale expects), so a read-only mount, an ACL
    or a quota shows, whoever runs it. A folder not there yet is tried at its nearest parent."""
    for out in map(Path, outputs):
        folder = out.parent
        while not folder.is_dir() and folder != folder.parent:
            folder = folder.parent
        try:
            fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".tmp")
            os.close(fd)
            os.unlink(probe)
        except OSError as err:
            raise WriteError(folder, err, output=out) from err


def clean_stale(*outputs: str | Path) -> list[Path]:
    """Remove the temporaries that a killed write left beside each output; return what went.
    Call at the start of a stage, for its own outputs only (never while another writer of the
    same output may run)."""
    removed = []
    for out in map(Path, outputs):
        if not out.parent.is_dir():
            continue
        pattern = _stale_names(out.name)
        for p in out.parent.iterdir():
            if pattern.fullmatch(p.name):
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
                removed.append(p)
    return removed


# ---------------------------------------------------------------------------- checksums


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_checksums(folder: str | Path) -> None:
    """Write folder/checksums.json: sha256 and size of every top-level file (dotfiles aside)."""
    folder = Path(folder)
    files = {
        p.name: {"sha256": sha256(p), "bytes": p.stat().st_size}
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != CHECKSUMS and not p.name.startswith(".")
    }
    write_json(folder / CHECKSUMS, {"algorithm": "sha256", "files": files})


def _bad(path: Path, rebuild: str | None, why: str, cls: type = FileError):
    raise cls(f"{path}: {why}" + (f"; rebuild it with `{rebuild}`" if rebuild else ""))


def _check(path: Path, rebuild: str | None, checksums: Callable[[], Any], size: int, digest: Callable[[], str]) -> None:
    """Compare one file (its size, and digest() of its bytes) with its entry in checksums()."""
    try:
        entry = checksums()["files"].get(path.name)
    except FileNotFoundError:
        _bad(
            path, rebuild, f"no {CHECKSUMS} beside it, so it cannot be checked (written by an older ganlab, or by hand)"
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        _bad(path, rebuild, f"the {CHECKSUMS} beside it is unreadable")
    if not isinstance(entry, dict):
        _bad(path, rebuild, f"not listed in the {CHECKSUMS} beside it")
    if size != entry.get("bytes"):
        _bad(path, rebuild, f"{size} bytes, but {entry.get('bytes')} were written (truncated or overwritten)")
    if digest() != entry.get("sha256"):
        _bad(path, rebuild, "sha256 differs from the one recorded when it was written (the file is corrupt)")


def verify(path: str | Path, rebuild: str | None) -> Path:
    """Check `path` against the checksums.json beside it; raise FileError naming the file and
    `rebuild` (a shell command; None: no command to name) on any mismatch."""
    path = Path(path)
    if not path.is_file():
        _bad(path, rebuild, "missing", MissingFileError)
    _check(path, rebuild, lambda: read_json(path.parent / CHECKSUMS), path.stat().st_size, lambda: sha256(path))
    return path


def read_verified(path: str | Path, rebuild: str | None, read: Callable[[Path], T]) -> T:
    """verify(path, rebuild), then read(path); a read that still fails is a FileError too."""
    path = verify(path, rebuild)
    try:
        return read(path)
    except FileError:
        raise
    except Exception as err:  # e.g. a file written by another version that no longer parses
        raise _unreadable(path, err, rebuild) from err


def _read_at(folder_fd: int, name: str) -> bytes | None:
    """The bytes of `name` in an opened folder, or None if it is not there."""
    try:
        fd = os.open(name, os.O_RDONLY, dir_fd=folder_fd)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as f:
        return f.read()


def _still(folder_fd: int, folder: Path) -> bool:
    """Whether `folder` still names the directory opened as folder_fd (no writer replaced it)."""
    try:
        now, then = os.stat(folder), os.fstat(folder_fd)
    except FileNotFoundError:
        return False
    return (now.st_dev, now.st_ino) == (then.st_dev, then.st_ino)


def read_folder_verified(
    folder: str | Path,
    readers: dict[str, Callable[[IO[bytes]], Any]],
    rebuild: str | None,
    attempts: int = 20,
    wait: float = 0.01,
) -> tuple[dict[str, Any], int] | None:
    """Read files of a folder that a writer may replace whole (atomic_dir) while we read, each
    verified against the checksums.json of the same version of the folder: ({name: readers[name](its
    bytes as a file)}, the folder's mtime in ns), or None if there is no such folder. read_verified opens the folder's
    path once per file,
    so a replacement between its reads pairs one version's checksums.json with the next one's file
    ("truncated or overwritten"); here every file is read through one opened directory, and when one
    is gone and the path no longer names that directory (the writer replaced it and removed the old
    one), the read starts again, up to `attempts` times `wait` seconds apart. A file missing from, or
    not matching, a folder nobody replaced is a FileError, as with read_verified; a folder still
    being swapped in after every attempt is a MissingFileError."""
    folder = Path(folder)
    for attempt in range(attempts):
        if attempt:
            time.sleep(wait)
        try:
            folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            # Not there, unless a writer is between atomic_dir's two renames (it keeps .<name>.old
            # meanwhile) or has just finished them (the folder is back, .old already removed): the
            # old name first, then the folder, so a swap that ends between the two looks is seen.
            if not folder.with_name(f".{folder.name}.old").exists() and not folder.exists():
                return None
            continue
        try:
            mtime = os.fstat(folder_fd).st_mtime_ns
            sums, data = _read_at(folder_fd, CHECKSUMS), {name: _read_at(folder_fd, name) for name in readers}
            if (sums is None or None in data.values()) and not _still(folder_fd, folder):
                continue
        finally:
            os.close(folder_fd)
        return {
            name: _parse(folder / name, rebuild, sums, raw, read)
            for (name, raw), read in zip(data.items(), readers.values())
        }, mtime
    _bad(folder, rebuild, f"missing (or replaced under each of {attempts} reads)", MissingFileError)


def _parse(path: Path, rebuild: str | None, sums: bytes | None, raw: bytes | None, read: Callable[[IO[bytes]], T]) -> T:
    """read_folder_verified's check and read of one file's bytes against its folder's checksums.json bytes."""
    if raw is None:
        _bad(path, rebuild, "missing", MissingFileError)

    def checksums():
        if sums is None:
            raise FileNotFoundError(CHECKSUMS)
        return json.loads(sums)

    _check(path, rebuild, checksums, len(raw), lambda: hashlib.sha256(raw).hexdigest())
    try:
        return read(pyio.BytesIO(raw))
    except Exception as err:
        raise _unreadable(path, err, rebuild) from err


def _unreadable(path: Path, err: Exception, rebuild: str | None) -> FileError:
    return FileError(
        f"{path}: unreadable ({type(err).__name__}: {err})".replace("\n", " ")
        + (f"; rebuild it with `{rebuild}`" if rebuild else "")
    )


def read_npz(path: str | Path) -> dict:
    """All arrays of an .npz, read into memory; plain arrays only (no pickle)."""
    import numpy as np

    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
