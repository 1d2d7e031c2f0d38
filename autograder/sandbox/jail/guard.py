"""The tamper guard: the sandbox's own code sees the original modules whatever a submission patched.

Also the reader of CPython's dict version tags, which both the guard and the call-reuse
worker (autograder.sandbox.jail.reuse) use to see whether a dict changed.
"""

from __future__ import annotations

import ctypes
import struct
import sys
from collections.abc import Callable

# Reads a dict's version tag (made by _dict_version_reader, proven by version_layout_holds).
VersionReader = Callable[[dict], int]


class TagReader:
    """Reads a dict's version tag at ``offset`` in its header (proven by version_layout_holds).

    ``many(dicts)`` reads the tags of a fixed list at once: the places are found once, so a
    read is one attribute per dict (7 us for 220 dicts, against 28 us finding each anew), which
    the guard and the call-reuse worker do several times per call. The caller keeps the dicts
    alive (the places are their addresses)."""

    def __init__(self, offset: int):
        self.offset = offset
        self._at, self._id = ctypes.c_uint64.from_address, id  # bound before any submission runs

    def __call__(self, d: dict) -> int:
        return self._at(self._id(d) + self.offset).value

    def many(self, dicts: list[dict]) -> Callable[[], list[int]]:
        cells = [self._at(self._id(d) + self.offset) for d in dicts]
        return lambda: [c.value for c in cells]


def tags_of(version: VersionReader, dicts: list[dict]) -> Callable[[], list[int]]:
    """A reader of the version tags of ``dicts`` (kept alive by the caller), all at once."""
    if isinstance(version, TagReader):
        return version.many(dicts)
    return lambda: [version(d) for d in dicts]


def _dict_version_reader() -> tuple[VersionReader | None, str | None]:
    """A reader of CPython's per-dict version tag (``ma_version_tag``), and why there is none.

    Returns ``(version, None)`` or ``(None, problem)``, ``problem`` one of the codes the
    grader words (``autograder.sandbox.host.sandbox.CALL_REUSE_OFF``).

    Every change of a dict gives it a tag never used before (CPython 3.10 to 3.13; 3.14
    removed the field), so comparing tags tells whether a dict changed since a moment,
    without touching its entries. Touching them is what made switching to the submission's
    state costly: updating ~2,000 entries wrote the reference count of every module-level
    object, copying ~1,000 shared pages (2 to 4 ms of a 6 ms probe). The reader and ``id``
    are bound here, before any student code runs.

    The field is read at a fixed offset, so the layout is proven on scratch dicts first: the
    header must hold the dict type and the length where CPython's ``PyDictObject`` has them
    (a debug or free-threaded build does not), and the tag must take a new value at every kind
    of change and keep it at every read. Where any of that fails, the reader is None: the
    guard switches whole dicts and calls are not reused (slower, never wrong).
    """
    if sys.implementation.name != "cpython":
        return None, "not-cpython"
    if not (3, 10) <= sys.version_info[:2] <= (3, 13):
        return None, "python-version"
    if struct.calcsize("P") != 8:
        return None, "layout"
    type_at, used_at = ctypes.c_void_p.from_address, ctypes.c_ssize_t.from_address
    version = TagReader(24)  # ob_refcnt, ob_type, ma_used, then ma_version_tag
    try:
        if not version_layout_holds(version, type_at, used_at):
            return None, "layout"
    except Exception:  # noqa: BLE001 - whatever the check could not do, the layout is not proven
        return None, "layout"
    return version, None


def version_layout_holds(version, type_at, used_at) -> bool:
    """Whether ``version`` reads a tag that every change of a dict renews and no read does.

    ``type_at`` and ``used_at`` read a dict's header (its type, its length) at an address. This is
    the whole safety of the fixed-offset reader: a reader at any other place must fail it.
    """
    a: dict[str, int] = {}
    b = {"x": 0}
    changes = [(a, lambda: a.__setitem__("k", 1)), (a, lambda: a.__setitem__("k", 2)),
               (b, lambda: b.__setitem__("y", 1)), (a, lambda: a.update(m=3, n=4)),
               (a, lambda: a.setdefault("d", 5)), (a, lambda: a.pop("m")), (b, lambda: b.clear()),
               (a, lambda: a.__delitem__("k")), (a, lambda: a.popitem()), (a, lambda: a.clear()),
               (a, lambda: a.__setitem__("k", 1))]
    reads = [lambda: a.get("k"), lambda: len(a), lambda: "k" in a, lambda: list(a.items()),
             lambda: dict(a), lambda: b.get("x")]
    for d in (a, b):
        if type_at(id(d) + 8).value != id(dict) or used_at(id(d) + 16).value != len(d):
            return False
    seen = {version(a), version(b)}
    for d, change in changes:
        untouched = b if d is a else a
        kept = version(untouched)
        change()
        tag = version(d)
        if tag in seen or version(untouched) != kept or used_at(id(d) + 16).value != len(d):
            return False
        seen.add(tag)
        after = (version(a), version(b))
        for read in reads:
            read()
        if (version(a), version(b)) != after:
            return False
    return True


class TamperGuard:
    """Keeps the grader's side of this process working whatever the submission patches.

    The submission may replace builtins (``isinstance``, ``print``), patch modules
    the child relies on (``json``, ``os``, ``numpy``, this module) or entries of
    ``sys.modules``. Its own code should see its own changes, and the child's code
    the originals: ``capture`` records the originals before loading; after loading,
    ``seal`` stores the submission's versions and restores the originals; a probe
    switches to the submission's versions (``enter``) for the call only.
    Module dicts are updated key by key, never emptied, so a thread the submission
    started does not see a half-restored module.

    Switching costs only the entries the submission changed (``seal`` records them):
    a dict whose version tag shows any other change since the last switch (a thread of
    the submission, or the call itself patching something) is switched whole, so the
    result is always exactly the recorded state.
    """

    # The interpreter's modules the sandbox's own code uses after loading. The kit's own modules are
    # not listed: every one loaded when ``capture`` runs is guarded (``KIT``), so a module the jail
    # comes to import (call reuse, the stubs) is covered without a list to keep in step.
    NAMES = ("builtins", "sys", "os", "posix", "json", "json.encoder", "json.decoder", "select", "signal",
             "struct", "traceback", "linecache", "numpy", "__main__")
    KIT = "autograder"

    def __init__(self, version_tags: bool = True):
        """``version_tags=False``: switch whole dicts always, as where the interpreter has no tags."""
        self.dicts: list[dict] = []
        self.original: list[dict] = []
        self.student: list[dict] = []
        self.version: VersionReader | None
        self.version_problem: str | None
        self.version, self.version_problem = _dict_version_reader() if version_tags else (None, "layout")
        self.diffs: list[tuple[list, dict]] = []  # per dict: keys the submission removed, entries it set
        self.tags: list[int] | None = None  # version tags when the dicts were last switched exactly
        self.entered = False  # switched to the submission's state by the fast path
        self.full_switches = 0  # dicts switched whole (for tests: the fast path really is taken)
        self._tags_for: list[dict] | None = None  # the list ``_read_tags`` reads
        self._read_tags: Callable[[], list[int]] = list
        # Copies made ahead by the zygote (``precapture``): id -> (the dict, its tag then, the copy).
        self._ready: dict[int, tuple[dict, int, dict]] = {}
        self._ready_tags: Callable[[], list[int]] = lambda: [-1]  # reads the tags of the dicts in ``_ready``
        self._ready_seen: list[int] = []  # what it read when they were copied
        self._captured: list[int] | None = None  # the tags of ``dicts`` when ``capture`` copied them
        self._diffed: list[int] = []  # the indexes of the dicts whose ``diffs`` are not empty

    def _default_dicts(self) -> list[dict]:
        """The modules of ``NAMES``, the kit's loaded modules and ``sys.modules``."""
        kit = sorted(n for n in sys.modules if n == self.KIT or n.startswith(self.KIT + "."))
        return [vars(sys.modules[n]) for n in (*self.NAMES, *kit) if n in sys.modules] + [sys.modules]

    def precapture(self) -> None:
        """In the zygote, before each fork: copy now the dicts ``capture`` copies, so that a sandbox
        copies only those that changed since (its ``sys`` module, for one).

        Copying a dict writes the reference count of every key and value: in a fresh fork of the
        zygote that copies each page they lie on (about 500 copy-on-write faults per sandbox for
        the guarded modules). A copy made here is shared by every sandbox, read only. A dict is
        copied again only when its version tag moved (the zygote changes none between two forks).
        Nothing here runs in a sandbox, nor depends on a submission.
        """
        if self.version is None:
            return
        # Nothing moved since the last time (the usual case): done, having read the tags through
        # the reader's own cells. Listing the modules again would write the reference count of
        # every module name, and after each fork that copies their pages in the zygote itself.
        # The list depends on sys.modules alone (one of the dicts read), so the same tags mean
        # the same list and the same contents.
        if self._ready_tags() == self._ready_seen:
            return
        ready = {}
        for d in self._default_dicts():
            made = self._ready.get(id(d))
            tag = self.version(d)
            ready[id(d)] = made if made is not None and made[0] is d and made[1] == tag else (d, tag, dict(d))
        self._ready = ready
        self._ready_tags = tags_of(self.version, [made[0] for made in ready.values()])
        self._ready_seen = self._ready_tags()

    def _copy(self, d: dict, tag: int | None) -> dict:
        """``dict(d)``, or the zygote's copy of ``d`` when ``d`` has not changed since it was made:
        the same tag proves it (every change of a dict gives it a tag never used before,
        ``version_layout_holds``; the copy holds ``d``, so no other dict can take its address)."""
        made = self._ready.get(id(d))
        if made is not None and tag is not None and made[0] is d and made[1] == tag:
            return made[2]
        return dict(d)

    def capture(self, dicts: list[dict] | None = None) -> None:
        """Record the originals of ``dicts``: by default the modules of ``NAMES``, the kit's loaded modules
        and ``sys.modules``."""
        if dicts is None:
            dicts = self._default_dicts()
        self.dicts = dicts
        tags = self._tag_all() if self.version is not None else None
        self._captured = tags
        self.original = [self._copy(d, tags[i] if tags else None) for i, d in enumerate(self.dicts)]

    @staticmethod
    def _set(target: dict, values: dict) -> None:
        for key in [k for k in target if k not in values]:
            target.pop(key, None)
        target.update(values)

    def _tag_all(self) -> list[int] | None:
        if self.version is None:
            return None
        if self._tags_for is not self.dicts:  # the reader of these very dicts (capture may change the list)
            self._tags_for, self._read_tags = self.dicts, tags_of(self.version, self.dicts)
        return self._read_tags()

    def seal(self) -> None:
        # A dict whose tag has not moved since ``capture`` holds exactly its original: its
        # submission state is the original itself (no copy, no diff, nothing to put back), so the
        # guard touches only what loading changed. Without tags, every dict as before.
        captured = self._captured
        now = self._tag_all() if captured is not None and len(captured) == len(self.dicts) else None
        same = [now is not None and captured is not None and now[i] == captured[i] for i in range(len(self.dicts))]
        self.student = [orig if kept else dict(d) for d, orig, kept in zip(self.dicts, self.original, same)]
        missing = object()
        self.diffs = [([], {}) if stud is orig else
                      ([k for k in orig if k not in stud],
                       {k: v for k, v in stud.items() if orig.get(k, missing) is not v})
                      for orig, stud in zip(self.original, self.student)]
        self._diffed = [i for i, (removed, changed) in enumerate(self.diffs) if removed or changed]
        if now is None:
            self.restore()
            return
        # restore() outside a call, but only where loading changed something: the others are
        # their originals already.
        self.entered = False
        for d, values, kept in zip(self.dicts, self.original, same):
            if not kept:
                self._set(d, values)
        self.tags = self._tag_all()

    def restore(self) -> None:
        version = self.version  # tags are taken only with a reader: both or neither
        if self.entered and self.tags is not None and version is not None:
            self.entered = False
            now = self._tag_all() or []
            # No tag moved during the call (the usual case, one comparison in C): only the dicts
            # whose entries the submission changed have anything to put back, as in the loop below.
            for i in (self._diffed if now == self.tags else range(len(self.dicts))):
                d = self.dicts[i]
                if now[i] != self.tags[i]:  # changed during the call: back to the originals whole
                    self.full_switches += 1
                    self._set(d, self.original[i])
                    continue
                removed, changed = self.diffs[i]
                original = self.original[i]
                for key in changed:
                    if key in original:
                        d[key] = original[key]
                    else:
                        d.pop(key, None)
                for key in removed:
                    d[key] = original[key]
        else:
            self.entered = False
            for d, values in zip(self.dicts, self.original):
                self._set(d, values)
        self.tags = self._tag_all()

    def enter(self) -> None:
        version = self.version
        if self.tags is None or version is None or len(self.diffs) != len(self.dicts):
            for d, values in zip(self.dicts, self.student):
                self._set(d, values)
            return
        now = self._tag_all() or []
        for i in (self._diffed if now == self.tags else range(len(self.dicts))):  # as in ``restore``
            d = self.dicts[i]
            if now[i] != self.tags[i]:  # changed since (a thread): to the submission's state whole
                self.full_switches += 1
                self._set(d, self.student[i])
                continue
            removed, changed = self.diffs[i]
            for key in removed:
                d.pop(key, None)
            if changed:
                d.update(changed)
        self.tags = self._tag_all()
        self.entered = True

    def settle(self) -> None:
        """Outside a call: put back whole any dict that changed since the last switch, and take
        the tags afresh, so that the next ``enter`` switches only the submission's entries.

        The sandbox's own code changes guarded dicts between calls too: on 3.12+ a fork with
        the lifeline thread running warns, and the warning leaves ``__warningregistry__`` in
        this module's globals. Without this, the next switch would be a whole one, which the
        call-reuse worker counts as a change the call made.
        """
        if self.entered or self.tags is None or self.version is None:
            self.restore()
            return
        for i, d in enumerate(self.dicts):
            if self.version(d) != self.tags[i]:
                self._set(d, self.original[i])
        self.tags = self._tag_all()

    def suspend(self) -> list[dict]:
        """While loading: the originals back for a moment; returns the current state for ``resume``."""
        current = [dict(d) for d in self.dicts]
        self.restore()
        return current

    def resume(self, state: list[dict]) -> None:
        for d, values in zip(self.dicts, state):
            self._set(d, values)
        self.tags = None


GUARD = TamperGuard()
