"""A training cache that no sandbox can write: every entry signed with a key only the grader can read.

The cache folder may be shared (a network file system for shards, docs/scale.md) and, on a machine
without Landlock, reachable by a sandbox's uid. An entry that anyone else wrote must never decide a
grade: a planted outcome under the key of a wrong He initialization made it pass its accuracy check.
So:

* The folder is checked when the cache opens (:func:`open_signed_cache`): owned by this user or root,
  and not writable by others unless it has the sticky bit (then others cannot rename or delete this
  user's files in it). Otherwise the disk cache is not used (trainings are kept in memory) and the
  reason is said.
* The key: 32 random bytes in ``.initgrade-cache-key`` in the folder, created mode 0600 by the first
  grader (written to a temporary file, then linked into place, so a reader never sees half a key),
  opened without following links, and used only if it is a regular file of this user that nobody
  else can read or write. Graders of one user on machines sharing the folder share the key.
* Each entry holds its data and an HMAC-SHA256 over the entry's name (the training's cache key) and
  its data: an entry copied under another name, altered, or written without the key does not verify,
  is ignored (the training runs again and its signed entry replaces it) and is reported.
* Entries are read without following links or blocking (a FIFO planted as an entry is not waited
  on), and at most ENTRY_BYTES of them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.training.cache_lock import store_atomic

KEY_FILE = ".initgrade-cache-key"
KEY_BYTES = 32
#: An entry is a few KB (accuracies and a cost curve); a larger file is not one the grader wrote.
ENTRY_BYTES = 1 << 20


def folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot hold a cache only this user writes; None when it can."""
    try:
        st = os.stat(folder)
    except OSError as exc:
        return f"the cache folder {folder} cannot be used: {exc.strerror}"
    if not stat.S_ISDIR(st.st_mode):
        return f"the cache folder {folder} is not a folder"
    if st.st_uid not in (os.geteuid(), 0):
        return f"the cache folder {folder} belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        return (f"the cache folder {folder} can be written by other users and has no sticky bit: they could "
                f"replace the cache's key or entries (fix: chmod go-w {folder}, or chmod +t for a shared folder)")
    return None


def _read_key(path: Path) -> bytes | str:
    """The key, or why the file at ``path`` is not one this user alone made."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        return f"the cache key {path} cannot be opened: {exc.strerror}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
            return (f"the cache key {path} is not a file of this user that only it can read (mode "
                    f"{stat.S_IMODE(st.st_mode):o}, uid {st.st_uid}): remove it, and a new key is made")
        raw = os.read(fd, 2 * KEY_BYTES + 1)
    finally:
        os.close(fd)
    try:
        key = bytes.fromhex(raw.decode("ascii"))
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        return f"the cache key {path} is damaged: remove it, and a new key is made"
    return key


def _key(folder: Path) -> bytes | str:
    """The folder's key, made now if it has none."""
    path = folder / KEY_FILE
    if not os.path.lexists(path):
        tmp = folder / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, secrets.token_hex(KEY_BYTES).encode("ascii"))
            finally:
                os.close(fd)
            try:
                os.link(tmp, path)  # never replaces: a key another grader made first wins
            except FileExistsError:
                pass
        except OSError as exc:
            return f"no cache key could be made in {folder}: {exc.strerror}"
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return _read_key(path)


@dataclass
class SignedCache:
    """Signed entries in one folder; ``rejected`` lists the entries that did not verify."""

    folder: Path
    key: bytes
    rejected: list[str] = field(default_factory=list)

    def _mac(self, name: str, body: str) -> str:
        return hmac.new(self.key, name.encode() + b"\0" + body.encode(), hashlib.sha256).hexdigest()

    def write(self, name: str, data: dict) -> bool:
        """Store ``data`` as entry ``name`` (``<name>.json``), signed; False if the folder refused it."""
        body = json.dumps(data, sort_keys=True)
        return store_atomic(self.folder / f"{name}.json", json.dumps({"data": body, "mac": self._mac(name, body)}))

    def read(self, name: str) -> dict | None:
        """Entry ``name`` if it exists and verifies; None otherwise (a rejected one is reported)."""
        path = self.folder / f"{name}.json"
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return self._reject(name, f"cannot be opened ({exc.strerror}): a link or a special file")
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return self._reject(name, "is not a regular file")
            raw = os.read(fd, ENTRY_BYTES + 1)
        finally:
            os.close(fd)
        if len(raw) > ENTRY_BYTES:
            return self._reject(name, "is larger than any entry the grader writes")
        try:
            entry = json.loads(raw)
            body, mac = entry["data"], entry["mac"]
            if not (isinstance(body, str) and isinstance(mac, str)):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return self._reject(name, "is not signed")
        if not hmac.compare_digest(mac, self._mac(name, body)):
            return self._reject(name, "has a signature that does not verify (altered, copied from another "
                                      "entry, or written without the grader's key)")
        try:
            data = json.loads(body)
        except ValueError:
            return self._reject(name, "is damaged")
        return data if isinstance(data, dict) else self._reject(name, "is damaged")

    def _reject(self, name: str, why: str) -> dict | None:
        """Report entry ``name`` as not verified (once); None, the caller's answer."""
        message = f"training cache entry {name[:16]}... {why}; ignored, the training runs again"
        if message in self.rejected:
            return None  # read again under its lock: told once
        self.rejected.append(message)
        print(f"initgrade: warning: {message} ({self.folder})", file=sys.stderr)
        return None


def open_signed_cache(folder: Path) -> SignedCache | str:
    """The signed cache in ``folder`` (made if missing), or why the disk cache cannot be used."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        return f"the cache folder {folder} cannot be made: {exc.strerror}"
    problem = folder_problem(folder)
    if problem:
        return problem
    key = _key(folder)
    if isinstance(key, str):
        return key
    return SignedCache(folder, key)
