"""A Python value described as plain data (JSON plus float64 buffers), without running its code.

Used on both sides: the jail describes what a student's function returned, and the grader
describes its reference functions' results the same way, so both go through one validation.
Only exact types are trusted; the one method of a student's class that may run is ``__repr__``
of a value that is not an array (capped).
"""

from __future__ import annotations

import types

import numpy as np

from autograder.limits import KEYS_DESCRIBED, PARAMETERS_REPORTED, REPR_CHARS


def safe_repr(value) -> str:
    try:
        text = repr(value)
        if type(text) is not str:
            text = "<unrepresentable>"
    except BaseException as exc:  # noqa: BLE001 - a hostile __repr__
        text = f"<unrepresentable {type_name(value)}: {type(exc).__name__}>"
    return text if len(text) <= REPR_CHARS else text[: REPR_CHARS - 3] + "..."


def type_name(value, module: bool = False) -> str:
    """The name of a value's type, without running any code the value's class defines."""
    t = type(value)
    try:
        name = type.__dict__["__qualname__"].__get__(t)
        mod = type.__dict__["__module__"].__get__(t) if module else None
    except Exception:  # noqa: BLE001 - a type whose name cannot be read is just unknown
        return "<unknown type>"
    if type(name) is not str:  # isinstance would consult a hostile __class__
        name = "<unknown type>"
    return f"{mod}.{name}" if type(mod) is str else name


def describe_signature(fn) -> list[dict] | None:
    """A plain function's parameters as data: [{"name", "kind", "default"}], read from its code
    object (no ``inspect``: nothing the student defined runs); None for anything else."""
    if type(fn) is not types.FunctionType:  # exact type: no hostile subclass or __signature__
        return None
    try:
        code = fn.__code__
        n_pos, n_kw = code.co_argcount, code.co_kwonlyargcount
        names = list(code.co_varnames[: n_pos + n_kw])
        defaults = fn.__defaults__
        n_def = len(defaults) if type(defaults) is tuple else 0
        kw_defaults = fn.__kwdefaults__
        kw_def = set(dict.keys(kw_defaults)) if type(kw_defaults) is dict else set()
        params = [{"name": n, "kind": "positional", "default": i >= n_pos - n_def}
                  for i, n in enumerate(names[:n_pos])]
        extra = n_pos + n_kw
        if code.co_flags & 0x04:  # CO_VARARGS
            params.append({"name": code.co_varnames[extra], "kind": "varargs", "default": False})
            extra += 1
        params += [{"name": n, "kind": "keyword", "default": n in kw_def} for n in names[n_pos:]]
        if code.co_flags & 0x08:  # CO_VARKEYWORDS
            params.append({"name": code.co_varnames[extra], "kind": "varkw", "default": False})
        return [p for p in params if type(p["name"]) is str][:PARAMETERS_REPORTED]
    except Exception:  # noqa: BLE001 - an odd code object has no signature to report
        return None


class ReplyTooLarge(Exception):
    """The arrays a function returned would, as float64 copies, go over the reply cap: refused
    before they are copied or sent, so the answer does not depend on how fast a pipe drains."""


# str() of numpy's own dtype objects, found by identity: str(dtype) runs numpy's Python code
# (2.4 us), about half of describing an array, five or six times per reply. Only the very
# objects numpy hands out for its built-in types are found here (held, so their ids stay
# theirs); their names cannot change. Any other dtype (a view's byte order, a structure,
# metadata) is named by str() as before.
_DTYPE_NAMES = {id(d): (d, str(d)) for d in map(np.dtype, (
    np.float64, np.float32, np.float16, np.longdouble, np.int64, np.int32, np.int16, np.int8,
    np.uint64, np.uint32, np.uint16, np.uint8, np.bool_, np.complex128, np.complex64))}


def _dtype_name(dtype) -> str:
    known = _DTYPE_NAMES.get(id(dtype))
    return known[1] if known is not None and known[0] is dtype else str(dtype)


def _describe_entry(key, value, arrays: list, room: list[int] | None = None) -> dict:
    entry: dict[str, object] = {"key": key if type(key) is str else None, "key_repr": safe_repr(key),
             "type": type_name(value, module=True)}
    if issubclass(type(value), np.ndarray):  # by type: a faked __class__ does not count
        exact = type(value) is np.ndarray
        base = value if exact else np.ndarray.view(value, np.ndarray)
        entry["exact_ndarray"] = exact
        entry["dtype"] = _dtype_name(base.dtype)
        entry["shape"] = [int(d) for d in base.shape]
        if base.dtype.kind in "biuf":
            if room is not None:
                room[0] -= int(base.size) * 8  # its float64 copy
                if room[0] < 0:
                    raise ReplyTooLarge
            entry["data"] = len(arrays)
            arrays.append(np.array(base, dtype=np.float64, copy=True))
    else:
        entry["repr"] = safe_repr(value)
    return entry


def describe_result(result, max_array_bytes: int | None = None) -> tuple[dict, list[np.ndarray]]:
    """Describe a return value as JSON plus float64 buffers; the parent judges it.

    ``max_array_bytes`` (the jail's reply cap): ``ReplyTooLarge`` as soon as the float64 copies
    would go over it, before the array that does is copied.

    Only the exact types are trusted (``type(x) is dict``, subclasses of ndarray
    read through a plain ndarray view), so no method the student defined runs
    here except ``__repr__`` of values that are not arrays.
    """
    if type(result) is not dict:  # exact type on purpose
        return {"kind": "other", "type": type_name(result), "repr": safe_repr(result)}, []
    entries: list[dict] = []
    arrays: list[np.ndarray] = []
    items = list(dict.items(result))  # one C-level copy: a thread cannot change it under us
    room = None if max_array_bytes is None else [max_array_bytes]
    for i, (key, value) in enumerate(items):
        if i >= KEYS_DESCRIBED:
            entries.append({"key": None, "key_repr": f"... more than {KEYS_DESCRIBED} keys", "type": "?"})
            break
        try:
            entries.append(_describe_entry(key, value, arrays, room))
        except ReplyTooLarge:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. MemoryError copying a huge array
            entries.append({"key": key if type(key) is str else None, "key_repr": safe_repr(key),
                            "type": f"unreadable value ({type(exc).__name__})"})
    return {"kind": "dict", "entries": entries}, arrays
