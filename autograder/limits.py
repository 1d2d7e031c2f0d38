"""The kit's fixed bounds: every size, count, length and wait that grading.yaml does not set.

A bound an instructor may reasonably tune (time and memory of a submission, sizes of what it
sends back, the grader's work on it) is a field of ``limits`` in grading.yaml, described in
:class:`autograder.config.Limits`. The bounds here are the kit's own: they decide how much of a
student's text a message quotes, how long the grader waits for its own helpers, how much of a
helper's reply it reads. None changes what a submission can score; each line says what it bounds
and why the value.

Plain values only, no imports: the code on the jail's side reads this module too.
"""

from __future__ import annotations

# ----------------------------------------------------------------------------- reports

#: Characters of a submission's printed output quoted in feedback.md and feedback.html; the whole
#: (up to ``limits.output_kb``) is in output.txt. A page stays readable with this much.
FEEDBACK_OUTPUT_CHARS = 3000
#: Characters of a message in a JUnit ``message`` attribute; CI viewers show it on one line, and the
#: element's text holds the whole message.
JUNIT_MESSAGE_CHARS = 500
#: Submission ids listed under one common mistake in summary.html; the rest is counted ("and N more").
SUMMARY_IDS_SHOWN = 12
#: Longest submission id (the folder name of its reports): short enough for every file system and
#: for a gradebook column, long enough to tell students' file names apart.
ID_CHARS = 64

# ----------------------------------------------------------------------------- command line

#: Off a terminal (a CI log), a grades table longer than this is left to the gradebook.
TABLE_ROWS_OFF_TERMINAL = 50
#: Characters of a parser's first error line quoted when a shard manifest is unreadable.
MANIFEST_ERROR_CHARS = 200

# ----------------------------------------------------------------------------- loading messages

#: Modules named in "Not used for grading: the imports of ..." (the rest is counted).
UNAVAILABLE_IMPORTS_SHOWN = 12
#: Characters of an unavailable module's name quoted there: a module path is short, a longer one
#: is the student's text, not a module.
MODULE_NAME_CHARS = 80

# ----------------------------------------------------------------------------- training

#: Bytes the grader reads from a training process's result (a few KB of JSON); more means the
#: process misbehaved, and it is killed rather than read on.
TRAINING_RESULT_BYTES = 1 << 20
#: A training's wall-clock deadline is this many times its CPU allowance plus
#: TRAINING_WALL_SLACK_SECONDS: on a loaded machine (a batch on every core) a training gets a
#: fraction of a core, so only a process that stopped computing reaches it.
TRAINING_WALL_FACTOR = 10
TRAINING_WALL_SLACK_SECONDS = 30
#: Longest wait for another worker's training of the same key: one training takes 2-3 s on an idle
#: core and several times that on a loaded machine; a lock held longer is treated as stale and passed by.
TRAINING_LOCK_WAIT_SECONDS = 120.0

# ----------------------------------------------------------------------------- stopping a batch

#: Seconds workers get to close their sandboxes after a stop signal before they are killed outright;
#: a killed worker's sandboxes still end (their lifeline closes), this only lets them end tidily.
WORKER_GRACE_SECONDS = 1.0
