"""The sandbox's printed output: drained beside it with a cap, and made safe to show."""

from __future__ import annotations

import threading


class OutputDrain(threading.Thread):
    """Reads the child's stdout+stderr, keeping the first ``cap`` bytes and discarding the rest."""

    def __init__(self, stream, cap: int):
        super().__init__(daemon=True)
        self.stream, self.cap = stream, cap
        self.kept = bytearray()
        self.dropped = 0

    def run(self):
        try:
            while chunk := self.stream.read1(65536):
                room = self.cap - len(self.kept)
                self.kept += chunk[:max(room, 0)]
                self.dropped += max(len(chunk) - max(room, 0), 0)
        except (OSError, ValueError):
            pass

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
