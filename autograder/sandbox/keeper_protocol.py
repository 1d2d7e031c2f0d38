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
# A message that hands the zygote one more control connection (its one fd: a socket's end) instead of
# asking for a keeper: a parallel batch's workers each get their own connection to one zygote, so
# every reply goes back on the connection its request came on (autograder.sandbox.host.zygote's
# ``another_connection``). Never answered.
ATTACH = b'{"attach": true}'

