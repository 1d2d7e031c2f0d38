"""The C library, loaded once inside the sandbox, and the ``mount`` call the jail's set-up makes."""

from __future__ import annotations

import ctypes
import ctypes.util


def _load_libc():
    # The usual name first: ctypes.util.find_library runs ``ldconfig -p`` in a subprocess,
    # a process start in every sandbox start.
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


LIBC = _load_libc()


def mount(source, target, fstype, flags, data=None) -> int:
    def enc(s):
        return s.encode() if isinstance(s, str) else s

    rc = LIBC.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))
    return 0 if rc == 0 else ctypes.get_errno()
