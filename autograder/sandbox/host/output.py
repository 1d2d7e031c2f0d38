"""The sandbox's printed output: drained beside it with a cap, and made safe to show."""

from __future__ import annotations

import fcntl
import select
import struct
import termios
import threading


class OutputDrain(threading.Thread):
    """Reads the child's stdout+stderr, keeping the first ``cap`` bytes and discarding the rest."""

    def __init__(self, stream, cap: int):
        super().__init__(daemon=True)
        self.stream, self.cap = stream, cap
        self.kept = bytearray()
        self.dropped = 0
        # Held while bytes are taken out of the pipe and counted, never while waiting for them:
        # ``printed_nothing`` then sees every byte either still in the pipe or already counted.
        self._reading = threading.Lock()

    def run(self):
        try:
            ready = select.poll()  # poll, not select: any descriptor number
            ready.register(self.stream.fileno(), select.POLLIN)
            while True:
                ready.poll()  # readable: bytes, or the end of the file (POLLHUP)
                with self._reading:
                    chunk = self.stream.read1(65536)  # one read of the pipe: it does not block now
                    if not chunk:
                        return
                    room = self.cap - len(self.kept)
                    self.kept += chunk[:max(room, 0)]
                    self.dropped += max(len(chunk) - max(room, 0), 0)
        except (OSError, ValueError):
            pass

    def printed_nothing(self) -> bool:
        """Whether the child has printed nothing up to now: no byte read, and none waiting in the
        pipe (the child's writes that returned are in one or the other). A closed stream counts
        what was read."""
        with self._reading:
            if self.kept or self.dropped:
                return False
            try:
                waiting = fcntl.ioctl(self.stream.fileno(), termios.FIONREAD, struct.pack("i", 0))
            except (OSError, ValueError):
                return True  # closed: every byte the child wrote before its end was read
            return struct.unpack("i", waiting)[0] == 0

    def text(self) -> str:
        out = self.kept.decode("utf-8", errors="replace")
        if self.dropped:
            out += f"\n[... {self.dropped} more bytes of output were discarded]"
        return out



_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))
_CONTROL[127] = None


def clean_output(text: str) -> str:
    """Student output made safe to show: no terminal escapes, no Markdown fence breaking out."""
    text = text.replace("\r\n", "\n").translate(_CONTROL)
    return text.replace("```", "`\u200b``").replace("~~~", "~\u200b~~")
