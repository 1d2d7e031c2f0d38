"""Requests sent ahead of their replies, without ever blocking the grader on a full pipe.

``Sandbox.call_planned`` sends a submission's planned calls in one go: the sandbox reads one
request, answers it, reads the next. The grader must never block writing a request (a
sandbox stuck in a call reads nothing, and the grader's deadlines only run while it waits for
a reply), so at most ``IN_FLIGHT_BYTES`` of requests are in the pipe at a time: a pipe holds at
least one page even when the user's pipe quota is used up, and a write that fits in the free
space of a pipe does not block. Each reply the grader reads means its request was read, so its
bytes are free again.
"""

from __future__ import annotations

import json
import struct

from autograder.sandbox import wire

#: Bytes of requests in the pipe at once: one page, the least a Linux pipe holds.
IN_FLIGHT_BYTES = 4096


def _frame(header: dict) -> bytes:
    body = json.dumps(header, allow_nan=True).encode("utf-8")
    return struct.pack("<4sI", wire.MAGIC, len(body)) + body


class PipelinedRequests:
    """The encoded requests of one exchange and how many of them are in the pipe."""

    def __init__(self, fd: int, requests: list[tuple[int, dict]]):
        self.fd = fd
        self.seqs = [seq for seq, _ in requests]
        self.frames = [_frame(header) for _, header in requests]
        self.sent = 0  # frames written
        self.in_pipe = 0  # bytes written and not known to be read

    def seq(self, i: int) -> int:
        return self.seqs[i]

    def send_up_to(self, i: int) -> None:
        """Write frames in order while they fit, at least up to frame ``i`` (the one whose reply
        comes next: the pipe is then empty of everything before it)."""
        ready = []
        while self.sent < len(self.frames):
            frame = self.frames[self.sent]
            # Frame i itself always goes (everything before it was read: the pipe is empty),
            # even when larger than a page: then it is one request written as ``Sandbox.call`` does.
            if self.sent > i and self.in_pipe + len(frame) > IN_FLIGHT_BYTES:
                break
            ready.append(frame)
            self.in_pipe += len(frame)
            self.sent += 1
        # The same frames in one write, not one each: the sandbox, woken by the first, finds them
        # all and hands its call worker the whole batch (jail.inbox); the bytes in the pipe and the
        # room they take are the same as frame by frame.
        if ready:
            wire.write_all(self.fd, b"".join(ready))

    def consumed(self, i: int) -> None:
        """Reply ``i`` arrived: the sandbox has read request ``i``."""
        self.in_pipe -= len(self.frames[i])
