"""What the grader's zygote handle and the jail's keeper say to each other besides the sandbox's
own frames: the fds a spawn request carries, and the one status record a keeper writes.

The status pipe carries one record, written by the keeper (or by the sandbox before any
submission code runs): what happened and, for an exit, the sandbox's status. "Could not
isolate" is a kind of its own, never an exit status a submission could also produce.
"""

from __future__ import annotations

import struct

STATUS = struct.Struct("<ii")
EXITED, NOT_ISOLATED = 0, 1
# The fds a request carries, in order.
FDS = ("req", "rep", "life", "out", "status")
