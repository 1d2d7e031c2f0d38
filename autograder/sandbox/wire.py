"""The plain-data protocol between the grader and its sandboxed child.

A frame is ``b"IGW1"`` + 4-byte little-endian header length + a UTF-8 JSON header,
followed by the raw bytes of every array the header announces, in order, each as
little-endian float64. Nothing is ever pickled: the reader decodes JSON and raw
buffers only, and refuses frames over its size caps before allocating for them.

The header of a frame carrying arrays has ``"arrays": [{"shape": [...]}, ...]``;
``read_frame`` returns the header and the list of decoded arrays (fresh, writable,
exact ``numpy.ndarray`` of dtype float64: views of one copy of the frame's arrays, none overlapping).
"""

from __future__ import annotations

import json
import os
import select
import struct
import time

import numpy as np

from autograder.limits import WIRE_ARRAY_BYTES, WIRE_HEADER_BYTES

# An announced array's shape: weights and biases have two dimensions, 8 leaves room and refuses
# nonsense; each below 2**31, so the product of a shape cannot wrap in any integer type.
MAX_ARRAY_DIMS = 8
MAX_ARRAY_DIM = 1 << 31

MAGIC = b"IGW1"
#: A frame whose arrays take at most this many bytes is written in one piece (a pipe holds 64 KiB):
#: the process that reads it wakes once, not once per array. A larger one is written array by
#: array, so the writer never holds a second copy of a large reply.
ONE_WRITE_BYTES = 1 << 16
_PREFIX = struct.Struct("<4sI")


class WireError(Exception):
    """The other side sent something that is not a valid frame (or nothing at all)."""


class WireTimeout(WireError):
    """No complete frame arrived before the deadline."""


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Every byte of ``data`` to ``fd``: a pipe takes a large frame in several writes."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


#: Before a frame whose length is announced (``write_frame``'s ``sized``): this, then the length.
SIZED = b"IGWL"
SIZED_PREFIX = struct.Struct("<4sQ")


def write_frame(fd: int, header: dict, arrays: list[np.ndarray] | tuple = (), tail: bytes = b"",
                sized: bool = False) -> None:
    """Write one frame to a raw file descriptor (blocking until all is written).

    ``tail``: bytes written right after the frame, in the same write when the frame is small
    (the call-reuse worker's verdict: its relay then wakes once per reply, not twice).
    ``sized``: the frame is preceded by ``SIZED`` and its whole length (8 bytes, little-endian),
    so that the relay finds where it ends without decoding its header (jail.reuse); the frame
    itself is the same bytes."""
    buffers = []
    specs = []
    for a in arrays:
        a = np.ascontiguousarray(a, dtype="<f8")
        specs.append({"shape": list(a.shape)})
        buffers.append(a.tobytes())
    header = dict(header)
    if specs:
        header["arrays"] = specs
    body = json.dumps(header, allow_nan=True).encode("utf-8")
    head = _PREFIX.pack(MAGIC, len(body)) + body
    if sized:
        head = SIZED_PREFIX.pack(SIZED, len(head) + sum(len(b) for b in buffers)) + head
    if sum(len(b) for b in buffers) <= ONE_WRITE_BYTES:
        write_all(fd, b"".join([head, *buffers, tail]))  # one write: the reader wakes once per frame
        return
    write_all(fd, head)
    for b in buffers:
        write_all(fd, b)
    if tail:
        write_all(fd, tail)


def _element_count(spec) -> int:
    """How many float64 values an array spec announces, checked before anything is allocated.

    The product is taken over Python ints: numpy's int64 product wraps around, and a wrapped
    count (negative, or zero for a huge shape) would get past the size caps.
    """
    # Exact types: JSON decodes to exact dicts, lists and ints (a bool is not an int here); one
    # loop, no generator (some 200 shapes a submission).
    shape = spec.get("shape") if type(spec) is dict else None
    if type(shape) is not list or len(shape) > MAX_ARRAY_DIMS:
        raise WireError(f"invalid array shape in reply: {spec!r}"[:200])
    count = 1
    for d in shape:
        if type(d) is not int or not 0 <= d < MAX_ARRAY_DIM:
            raise WireError(f"invalid array shape in reply: {spec!r}"[:200])
        count *= d
    return count


def frame_length(buf: bytes | bytearray) -> int | None:
    """The whole length of the frame at the start of ``buf``; None while more bytes are needed.

    For the sandbox's relay, which forwards exactly one reply of a process that stays
    alive. Raises WireError when the bytes cannot start a frame.
    """
    if len(buf) < _PREFIX.size:
        return None
    magic, length = _PREFIX.unpack_from(buf)
    if magic != MAGIC:
        raise WireError("bad frame magic")
    end = _PREFIX.size + length
    if len(buf) < end:
        return None
    try:
        header = json.loads(bytes(buf[_PREFIX.size:end]).decode("utf-8"))
        specs = header.get("arrays", []) if isinstance(header, dict) else None
        if not isinstance(specs, list):
            raise TypeError("arrays")
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:
        raise WireError(f"unreadable frame header ({type(exc).__name__})") from None
    return end + sum(8 * _element_count(spec) for spec in specs)


class HeaderBudget:
    """JSON header bytes still to be read from one sandbox, all its frames together: a reply may
    reach the per-frame cap, but a submission whose every call forges one near it would make the
    grader decode megabytes per call (22x a normal submission's CPU); past the budget a header is
    refused unread, like one over the cap."""

    def __init__(self, total: int):
        self.left = total


def _read_exact(fd: int, n: int, deadline: float | None = None) -> bytes:
    chunks = []
    remaining = n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise WireTimeout(f"no reply within the time limit ({n - remaining} of {n} bytes read)")
        # At most a pipe's capacity (64 KiB) a read: os.read allocates the size it is asked for
        # before the read, and a pipe never gives more than it holds.
        chunk = os.read(fd, min(remaining, 1 << 16))
        if not chunk:
            raise WireError(f"connection closed after {n - remaining} of {n} bytes")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(
    fd: int,
    *,
    max_header: int = WIRE_HEADER_BYTES,
    max_array_bytes: int = WIRE_ARRAY_BYTES,
    deadline: float | None = None,
    budget: HeaderBudget | None = None,
):
    """Read one frame; returns ``(header, arrays)``.

    Raises WireError on anything malformed and WireTimeout when ``deadline``
    (a ``time.monotonic()`` value) passes first. ``budget``: the header bytes this peer may
    still send, over all its frames (spent by this one).
    """
    magic, length = _PREFIX.unpack(_read_exact(fd, _PREFIX.size, deadline))
    if magic != MAGIC:
        raise WireError("bad frame magic (the child wrote something that is not a reply)")
    if length > max_header:
        raise WireError(f"reply header of {length} bytes exceeds the {max_header}-byte cap")
    if budget is not None:
        if length > budget.left:
            raise WireError(f"reply header of {length} bytes exceeds what is left ({budget.left} bytes) of the "
                            "header bytes one submission's replies may take")
        budget.left -= length
    try:
        header = json.loads(_read_exact(fd, length, deadline).decode("utf-8"))
    except (ValueError, RecursionError, MemoryError) as exc:  # UnicodeDecodeError, JSONDecodeError: ValueErrors
        raise WireError(f"reply header is not valid JSON: {type(exc).__name__}: {str(exc)[:200]}") from None
    if not isinstance(header, dict):
        raise WireError("reply header is not a JSON object")
    specs = header.pop("arrays", [])
    if not isinstance(specs, list):
        raise WireError("reply 'arrays' is not a list")
    shapes = []
    total = 0
    for spec in specs:
        count = _element_count(spec)
        total += 8 * count
        if total > max_array_bytes:
            raise WireError(
                f"reply arrays exceed the {max_array_bytes // (1 << 20)} MiB cap "
                "(the function returned enormous arrays)"
            )
        shapes.append((spec["shape"], count))
    raw = _read_exact(fd, total, deadline) if total else b""  # every array in one read (capped above)
    # One float64 copy of every array together (fresh, writable), then each array a view of its
    # own slice of it, the slices apart: 1.9 us for a reply of five arrays, 7.3 us copied one by one.
    values = np.frombuffer(raw, dtype="<f8").astype(np.float64)
    arrays, offset = [], 0
    for shape, count in shapes:
        arrays.append(values[offset:offset + count].reshape(shape))
        offset += count
    return header, arrays
