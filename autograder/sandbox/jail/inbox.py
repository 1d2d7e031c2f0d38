"""pid 1's reader of the grader's requests: every complete frame its pipe holds, each as the
decoded header and the frame's own bytes.

Why: the grader sends a submission's planned calls ahead (autograder.sandbox.host.pipeline), so
when pid 1 comes to read, the pipe usually holds many requests. Reading them with one read(2)
instead of two per request, and keeping each frame's bytes, lets pid 1 hand the call worker
several requests in one write, exactly as the grader wrote them (no decoding and encoding again
in between: jail.reuse.CallWorker.serve_batch). The checks are ``wire.read_frame``'s: the same
header and array caps, and a frame that breaks them ends pid 1 as it did (``WireError``).

Memory stays bounded: the pipe is read only while no complete frame is buffered, so the buffer
holds at most one incomplete frame (itself capped) and one read's worth of bytes.
"""

from __future__ import annotations

import json
import os
import select
from dataclasses import dataclass

from autograder.limits import WIRE_ARRAY_BYTES, WIRE_HEADER_BYTES
from autograder.sandbox import wire

_READ_BYTES = 1 << 16  # what a pipe holds by default: one read takes every request sent ahead


@dataclass
class Request:
    """One request frame: its header (``arrays`` taken out, as ``wire.read_frame`` does) and its bytes."""

    header: dict
    raw: bytes


class Inbox:
    """The frames read from ``fd`` (made non-blocking here: pid 1's own end of the request pipe)."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buf = bytearray()
        os.set_blocking(fd, False)

    def take(self) -> list[Request]:
        """Every complete request now buffered or in the pipe; waits for one if there is none.
        Raises ``wire.WireError`` when the grader closed the pipe or sent something invalid."""
        while True:
            frames = self._split()
            if frames:
                return frames
            self._read(wait=True)

    def more(self) -> list[Request]:
        """The complete requests the pipe holds now (none if it holds none), without waiting.
        Called when every complete frame was taken already: the buffer holds a part of one at most."""
        self._read(wait=False)
        return self._split()

    def _read(self, wait: bool) -> None:
        while True:
            try:
                data = os.read(self.fd, _READ_BYTES)
            except (BlockingIOError, InterruptedError):
                if not wait:
                    return
                try:
                    select.select([self.fd], [], [])
                except InterruptedError:
                    pass
                continue
            if not data:
                raise wire.WireError("the grader closed the request pipe")
            self.buf += data
            return

    def _split(self) -> list[Request]:
        frames: list[Request] = []
        while True:
            try:
                end = _frame_end(self.buf)
            except wire.WireError:
                if frames:  # the requests before it are answered first, as when read one by one
                    return frames  # the bad bytes stay: the next take raises
                raise
            if end is None:
                return frames
            size, header = end
            frames.append(Request(header, bytes(self.buf[:size])))
            del self.buf[:size]


def _frame_end(buf: bytearray) -> tuple[int, dict] | None:
    """The length and header of the complete frame at the start of ``buf``, or None while it is
    incomplete; ``wire.read_frame``'s checks, in its order (WireError)."""
    prefix = wire._PREFIX.size
    if len(buf) < prefix:
        return None
    magic, length = wire._PREFIX.unpack_from(buf)
    if magic != wire.MAGIC:
        raise wire.WireError("bad request frame magic")
    if length > WIRE_HEADER_BYTES:
        raise wire.WireError(f"request header of {length} bytes exceeds the {WIRE_HEADER_BYTES}-byte cap")
    if len(buf) < prefix + length:
        return None
    try:
        header = json.loads(bytes(buf[prefix:prefix + length]).decode("utf-8"))
    except (ValueError, RecursionError, MemoryError) as exc:
        raise wire.WireError(f"request header is not valid JSON: {type(exc).__name__}") from None
    if not isinstance(header, dict):
        raise wire.WireError("request header is not a JSON object")
    specs = header.pop("arrays", [])
    if not isinstance(specs, list):
        raise wire.WireError("request 'arrays' is not a list")
    total = 0
    for spec in specs:
        total += 8 * wire._element_count(spec)
        if total > WIRE_ARRAY_BYTES:
            raise wire.WireError("request arrays exceed the cap")
    if len(buf) < prefix + length + total:
        return None
    return prefix + length + total, header
