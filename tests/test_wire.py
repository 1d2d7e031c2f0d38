"""The frame format between the grader and the sandbox (autograder.sandbox.wire), fuzzed.

The grader reads frames a compromised sandbox may have written byte by byte, so the reader's
promise is checked on random and mutated frames: each read ends in a correct decode or a
WireError, never another exception, never a wait past its deadline, and never an allocation
sized by what the frame claims rather than by the caps.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.sandbox import wire

# Derandomized: the same examples on every run (a reproducible fuzz), and no example database written.
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20) | st.floats(
    allow_nan=False, allow_infinity=False)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
headers = st.dictionaries(st.text(max_size=10).filter(lambda k: k != "arrays"), json_values, max_size=5)
# At least one dimension: write_frame sends a 0-d array as shape [1] (np.ascontiguousarray).
shapes = st.lists(st.integers(0, 4), min_size=1, max_size=3)
array_lists = st.lists(shapes.map(lambda s: np.random.default_rng(len(s)).standard_normal(s)), max_size=3)


def frame_bytes(header: dict, arrays=()) -> bytes:
    """What write_frame puts on the wire, captured through a real file descriptor."""
    with tempfile.TemporaryFile() as f:
        wire.write_frame(f.fileno(), header, arrays)
        f.seek(0)
        return f.read()


def raw_frame(header_text: bytes, body: bytes = b"", length: int | None = None) -> bytes:
    return b"IGW1" + struct.pack("<I", len(header_text) if length is None else length) + header_text + body


def read_bytes(data: bytes, **caps):
    """read_frame on ``data`` (then end of file); returns (header, arrays, bytes consumed)."""
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.seek(0)
        header, arrays = wire.read_frame(f.fileno(), **caps)
        return header, arrays, f.tell()


def decode_or_wire_error(data: bytes, **caps):
    """The reader's whole promise for one input: a WireError, or a decode that is well formed."""
    try:
        header, arrays, used = read_bytes(data, **caps)
    except wire.WireError:
        return None
    assert isinstance(header, dict) and "arrays" not in header
    for a in arrays:
        assert type(a) is np.ndarray and a.dtype == np.float64 and a.flags.writeable
    # The relay's view of the same bytes agrees on where the frame ends.
    assert wire.frame_length(data) == used
    return header, arrays, used


@SETTINGS
@given(headers, array_lists)
def test_a_frame_decodes_to_what_was_written(header, arrays):
    data = frame_bytes(header, arrays)
    got, got_arrays, used = read_bytes(data + b"trailing bytes belong to the next frame")
    assert used == len(data)
    assert got == header
    assert len(got_arrays) == len(arrays)
    for a, b in zip(got_arrays, arrays):
        assert a.shape == b.shape and np.array_equal(a, b)
    header_end = 8 + struct.unpack_from("<I", data, 4)[0]
    for cut in range(len(data) + 1):
        # Before the header is whole, more bytes are needed; after it, the length is known.
        assert wire.frame_length(data[:cut]) == (None if cut < header_end else len(data))


@SETTINGS
@given(headers, array_lists, st.data())
def test_a_truncated_frame_is_a_wire_error(header, arrays, data):
    whole = frame_bytes(header, arrays)
    cut = data.draw(st.integers(0, len(whole) - 1))
    with pytest.raises(wire.WireError):
        read_bytes(whole[:cut])


@SETTINGS
@given(headers, array_lists, st.data())
def test_mutated_frames_decode_or_fail_cleanly(header, arrays, data):
    whole = bytearray(frame_bytes(header, arrays))
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "insert", "delete", "length", "magic"]))
        at = data.draw(st.integers(0, max(len(whole) - 1, 0)))
        if kind == "flip" and whole:
            whole[at] ^= data.draw(st.integers(1, 255))
        elif kind == "insert":
            whole[at:at] = data.draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete" and whole:
            del whole[at:at + data.draw(st.integers(1, 8))]
        elif kind == "length" and len(whole) >= 8:
            whole[4:8] = struct.pack("<I", data.draw(st.integers(0, 2**32 - 1)))
        elif kind == "magic" and len(whole) >= 4:
            whole[0:4] = data.draw(st.binary(min_size=4, max_size=4))
    decode_or_wire_error(bytes(whole))
    try:
        wire.frame_length(bytes(whole))
    except wire.WireError:
        pass


@SETTINGS
@given(st.binary(max_size=200))
def test_garbage_bytes_decode_or_fail_cleanly(garbage):
    decode_or_wire_error(garbage)
    decode_or_wire_error(b"IGW1" + garbage)


def shape_specs():
    dims = st.integers(-3, 3) | st.integers(2**20, 2**33) | st.just(2**31 - 1) | st.just(2**31) | st.booleans() \
        | st.floats(allow_nan=False) | st.text(max_size=3) | st.none()
    shape = st.lists(dims, max_size=10) | dims | st.dictionaries(st.text(max_size=3), dims, max_size=2)
    return st.one_of(st.fixed_dictionaries({"shape": shape}), st.fixed_dictionaries({}), json_scalars)


@SETTINGS
@given(st.lists(shape_specs(), max_size=4) | json_values, st.binary(max_size=256))
def test_hostile_array_specs_decode_or_fail_cleanly(specs, body):
    """Shapes of every kind (negative, huge, wrapping around int64, not numbers) with any body."""
    data = raw_frame(json.dumps({"status": "ok", "arrays": specs}).encode(), body)
    decode_or_wire_error(data, max_array_bytes=1 << 20)
    try:
        wire.frame_length(data)
    except wire.WireError:
        pass


@pytest.mark.parametrize("shape", [
    [2**30] * 4,        # 2**120 values: the int64 product is 0
    [2**21] * 3,        # 2**63: the int64 product is negative
    [2**31 - 1] * 8,
    [2**31 - 1, 2**31 - 1, 2**31 - 1],
])
def test_shapes_whose_size_overflows_int64_are_refused(shape):
    data = raw_frame(json.dumps({"arrays": [{"shape": shape}]}).encode(), b"\0" * 64)
    with pytest.raises(wire.WireError, match="cap"):
        read_bytes(data)
    assert wire.frame_length(data) > len(data)  # the relay waits for (and caps) bytes that never come


def test_frames_that_claim_enormous_sizes_allocate_nothing_of_that_size():
    claims = [
        raw_frame(b"{}", length=2**32 - 1),                                            # a 4 GiB header
        raw_frame(json.dumps({"arrays": [{"shape": [2**31 - 1] * 2}]}).encode()),     # 32 EiB of arrays
        raw_frame(json.dumps({"arrays": [{"shape": [2**22]}] * 64}).encode()),        # many arrays under the cap each
        raw_frame(b"[" * 100_000 + b"]" * 100_000),                                   # nesting past the recursion limit
    ]
    for data in claims:
        tracemalloc.start()
        try:
            with pytest.raises(wire.WireError):
                read_bytes(data)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 8 * len(data) + (4 << 20), (data[:40], peak)


def test_the_header_cap_and_the_array_cap_apply():
    header = {"text": "x" * 2000}
    with pytest.raises(wire.WireError, match="header"):
        read_bytes(frame_bytes(header), max_header=1000)
    arrays = [np.zeros((100, 100))]  # 80,000 bytes
    with pytest.raises(wire.WireError, match="cap"):
        read_bytes(frame_bytes({}, arrays), max_array_bytes=50_000)
    assert read_bytes(frame_bytes({}, arrays), max_array_bytes=80_000)[1][0].shape == (100, 100)


def test_a_silent_or_stalled_writer_times_out_at_the_deadline():
    """A sandbox that writes half a frame and keeps its end open ends in WireTimeout, not a hang."""
    data = frame_bytes({"status": "ok"}, [np.ones(10)])
    for sent in (b"", data[:3], data[:12], data[:-5]):
        r, w = os.pipe()
        try:
            os.write(w, sent)
            with pytest.raises(wire.WireTimeout):
                wire.read_frame(r, deadline=time.monotonic() + 0.05)
        finally:
            os.close(r)
            os.close(w)


def test_a_writer_that_closes_mid_frame_is_a_wire_error():
    data = frame_bytes({"status": "ok"}, [np.ones(10)])
    r, w = os.pipe()
    os.write(w, data[:-1])
    os.close(w)
    try:
        with pytest.raises(wire.WireError, match="closed"):
            wire.read_frame(r, deadline=time.monotonic() + 5)
    finally:
        os.close(r)


def test_non_finite_values_and_json_constants_survive():
    arrays = [np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324])]
    header, got, _ = read_bytes(frame_bytes({"loss": float("nan"), "big": float("inf")}, arrays))
    assert np.isnan(header["loss"]) and header["big"] == float("inf")
    np.testing.assert_array_equal(got[0], arrays[0])
    assert np.signbit(got[0][3])
