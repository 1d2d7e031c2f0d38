"""Reading a ``.zip`` submission into memory: member count, size and ratio capped, unsafe paths
refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from autograder.intake.submission import IntakeError
from autograder.intake.work import is_notebook
from autograder.limits import OTHER_MODULES_BYTES, ZIP_RATIO, ZIP_RATIO_FROM_BYTES


def read_zip(raw: bytes, name: str, max_bytes: int, max_members: int, max_code: int | None = None) -> dict[str, bytes]:
    """The archive's code files, modules and notebooks (path -> bytes): nothing else of a submission is
    read, so nothing else is unpacked. ``max_bytes``: grading.yaml's submission_mb, unpacked;
    ``max_members``: its archive_members; a ratio over ZIP_RATIO is a zip bomb; ``max_code``: its code_kb,
    which with OTHER_MODULES_BYTES bounds the modules' sizes in the archive's directory before any is
    unpacked (those sizes bound what is read: a member longer than its header says is refused)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise IntakeError(f"{name} is not a valid zip file") from None
    if len(infos) > max_members:
        raise IntakeError(f"{name} holds {len(infos)} files; at most {max_members} are accepted")
    total = sum(i.file_size for i in infos)
    if total > max_bytes or (raw and total / max(len(raw), 1) > ZIP_RATIO and total > ZIP_RATIO_FROM_BYTES):
        raise IntakeError(f"{name} unpacks to {total} bytes, over the limit (a zip bomb?)")
    code = sum(i.file_size for i in infos if i.filename.casefold().endswith(".py"))
    if max_code is not None and code > max_code + OTHER_MODULES_BYTES:
        raise IntakeError(f"{name} holds {code >> 10} KB of Python modules; the grader reads at most "
                          f"{max_code >> 10} KB of code in a submission (code_kb in grading.yaml) and hands at "
                          f"most {OTHER_MODULES_BYTES >> 10} KB of other modules to it. Submit the assignment's "
                          "files without generated or copied bulk.")
    files = {}
    for info in infos:
        p = PurePosixPath(info.filename.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or "\0" in info.filename:
            raise IntakeError(f"{name} contains an unsafe path {info.filename[:200]!r}; it was not unpacked")
        if not p.parts or p.parts[0] in ("__MACOSX",) or p.name.startswith("._"):
            continue
        if not (is_notebook(str(p)) or p.name.casefold().endswith(".py")):
            continue  # data, pictures, caches: never read, so never unpacked
        try:
            with zf.open(info) as f:
                data = f.read(info.file_size + 1)
        except Exception as exc:  # noqa: BLE001 - encrypted (RuntimeError), corrupt (zlib.error, EOFError), ...
            why = f"{type(exc).__module__}.{type(exc).__name__}".removeprefix("builtins.")
            raise IntakeError(f"{name}: {info.filename[:200]} could not be unpacked (damaged or encrypted: "
                              f"{why})") from None
        if len(data) > info.file_size:
            raise IntakeError(f"{name}: {info.filename} is larger than its header says; it was not unpacked")
        files[str(p)] = data
    return files
