"""The sandbox's fixed bounds, each with what it bounds and why that value.

The limits an instructor may tune (time, memory, processes, open files, reply size, output)
are grading.yaml's ``limits`` (autograder.config.Limits). These are the rest: sizes of what the
sandbox describes or sends back, and bounds on the grader's own work. None of them changes a
grade; each keeps one submission from making the grader store, send or walk too much.
"""

from __future__ import annotations

MB = 1 << 20

# --- what a value is described as (autograder.sandbox.values; also the jail's error texts) ---
# Characters of a repr or exception message kept: a line of feedback, never a student's megabyte.
MAX_REPR = 300
# Keys of a returned dict described one by one: the specs have a few per layer; 200 is ~60 layers.
MAX_KEYS = 200
# Parameters of a graded function reported: initialization functions take one to three.
MAX_PARAMS = 20
# Characters of a parameter name the grader keeps (it must also be an identifier).
MAX_PARAM_NAME = 60

# --- the load reply, as the grader reads it (autograder.sandbox.host.sandbox) ---
# Load messages (one per failing top-level statement) and their length: a submission whose every
# line fails still gets a readable list.
MAX_LOAD_MESSAGES = 50
MAX_LOAD_MESSAGE = 500
# Notes on the isolation obtained, and their length: a handful per machine in practice.
MAX_NOTES = 20
MAX_NOTE = 300
# Items of any list in an untrusted reply looked at before the caps above apply.
MAX_REPLY_LIST = 1000
# The tail of the sandbox's output shown with a load failure (the traceback's last lines).
OUTPUT_HINT_CHARS = 800

# --- frames (autograder.sandbox.wire) ---
# A frame header: JSON describing at most MAX_KEYS entries of MAX_REPR characters, well under 1 MB.
MAX_FRAME_HEADER = MB
# Array bytes a reader accepts when its caller gives no cap (the grader passes grading.yaml's reply_mb).
DEFAULT_MAX_ARRAY_BYTES = 64 * MB
# Dimensions of an announced array: weights and biases have two; 8 leaves room and refuses nonsense.
MAX_ARRAY_DIMS = 8
# One dimension's length: below 2**31, so a shape's product cannot wrap in any integer type.
MAX_ARRAY_DIM = 1 << 31
# The slack a relayed reply may have over reply_mb: its JSON header (MAX_FRAME_HEADER) and the prefix.
REPLY_SLACK_BYTES = MB + 64

# --- inside the jail ---
# File descriptors held back at load time, so a submission that used up its open files still
# leaves room for the pipes of a probe (two) and of the call-reuse worker (two more).
RESERVED_FDS = 4
# What call reuse fingerprints (autograder.sandbox.jail.reuse): containers up to this many items
# and arrays up to this many bytes are hashed after every call; bigger ones mean a fork per call
# (hashing them would cost more than the fork it saves).
REUSE_MAX_ITEMS = 10_000
REUSE_MAX_ARRAY_BYTES = MB
# Nesting of tuples and frozensets still proven immutable (deeper: treated as changeable).
REUSE_MAX_DEPTH = 4

# --- the grader's cleanup in the uid fallback (autograder.sandbox.host.uid_cleanup) ---
# How deep world-writable folders are looked for under /tmp, /var, /home...: where a sandbox's
# uid could leave files. Bounded so that the walk (once per grader process) stays short on a large
# /home or /var.
SCRATCH_DEPTH = 4
