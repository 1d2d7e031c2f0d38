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
#: Entries of the input that are not submissions, listed on the console (the summaries list every one).
SKIPPED_SHOWN = 20
#: Characters of a parser's first error line quoted when a shard manifest is unreadable.
MANIFEST_ERROR_CHARS = 200

# ----------------------------------------------------------------------------- loading messages

#: Modules named in "Not used for grading: the imports of ..." (the rest is counted).
UNAVAILABLE_IMPORTS_SHOWN = 12
#: Characters of an unavailable module's name quoted there: a module path is short, a longer one
#: is the student's text, not a module.
MODULE_NAME_CHARS = 80

# ----------------------------------------------------------------------------- a call's failure
# (autograder/sandbox/probes.py, diagnose/explain.py: what a failed check quotes of a call's reply, all hostile text)

#: Characters of the name of the exception a call raised: a qualified class name fits; more is
#: not a name.
EXCEPTION_NAME_CHARS = 100
#: Characters of a raised exception's message and traceback (the jail's short traceback): the
#: student's line and error, without flooding a check's message.
EXCEPTION_MESSAGE_CHARS = 600
#: Characters of the type name of a value returned instead of a dict.
RETURNED_TYPE_CHARS = 80
#: Characters of that value's repr (the jail sends at most REPR_CHARS): enough to recognise it.
RETURNED_REPR_CHARS = 200

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
#: New pools a parallel batch starts after workers died (the OOM killer, a signal): each round grades
#: the submissions a dead worker was on alone, so a batch makes progress; past this many, what is left
#: gets error rows instead of another pool (autograder/batch/worker_loss.py).
POOL_REBUILDS = 5

# ----------------------------------------------------------------------------- reading a submission
# (autograder/intake/: archives, files, notebook_cells; the sizes and the time of reading
# are grading.yaml's submission_mb, code_kb and intake_seconds, the number of files archive_members
# and folder_entries)

#: A .zip whose members unpack to more than this many times its own size (and to over 1 MiB) is
#: treated as a zip bomb: a submission's code and notebooks compress a few times over, not hundreds.
ZIP_RATIO = 200
#: Below this many unpacked bytes the ratio is not looked at: a tiny archive of repeated text can
#: compress well past ZIP_RATIO and still costs nothing to unpack.
ZIP_RATIO_FROM_BYTES = 1 << 20
#: Notebook lines that may need an IPython rewrite (magics, ``!cmd``) grouped into one tokenizer
#: call, and the most lines in such a group: IPython tokenizes a group once per rewrite in it and
#: once more, so groups of at most one candidate are tokenized at most twice.
IPYTHON_GROUP_CANDIDATES = 1
IPYTHON_GROUP_LINES = 256
#: IPython's rewriter tokenizes a block once per rewrite in it (and once more): the lines it may
#: tokenize for one whole submission, counted as (candidate lines + 1) x lines per block handed to it,
#: plus IPYTHON_CALL_WORK per call for its fixed cost. About 13 us a line (bench/intake.py): 3,000
#: is 40 ms, a normal submission's whole grader CPU; an honest notebook needs a few hundred (a
#: function of 50 lines with 20 magics IPython must read: 1,000). Blocks past it are passed on
#: unrewritten, and the sandbox tells their syntax error.
IPYTHON_SUBMISSION_WORK = 3000
#: A call of IPython's rewriter, in lines tokenized: its clean-up and set-up cost as much (0.1 ms).
IPYTHON_CALL_WORK = 8
#: Pieces code with syntax errors is cut into, in one whole submission (autograder/intake/code.py): each
#: costs a parse, a chunk and a load in the sandbox, and alternating lines that parse and lines that do
#: not made one per line (12,000 for 62 KB, in one cell or spread over 500: 9x a normal submission's
#: grader CPU). Past it, the rest of each cell or file is one piece the sandbox reports the first
#: syntax error of. A typo or two make a handful.
CODE_PIECES = 100
#: Bytes of a folder's or zip's other Python modules (beside the file graded) handed to the sandbox as
#: files its code may import: a classroom clone's kit modules are some tens of KB; 20 MB of them cost
#: the grader 11 times a normal submission's CPU (encoded and sent on every sandbox start).
OTHER_MODULES_BYTES = 1 << 20
#: A notebook that is not as Jupyter writes it goes to nbformat, whose conversion and validation cost
#: Python work per JSON list and object: past this many ``[`` and ``{`` in its text (an over-count:
#: those in strings are counted too) it is refused with a message to clear its outputs. A notebook
#: of 20 MB of outputs has some thousands; 200,000 take nbformat about a second.
NBFORMAT_CONTAINERS = 200_000
#: Bytes of such a notebook: nbformat validates every output (20 MB: 8x a normal submission's grader
#: CPU). Jupyter's own files take the path without nbformat whatever their size.
NBFORMAT_BYTES = 4 << 20
#: ``[`` and ``{`` in any notebook's text (the same over-count): the JSON parser makes an object for each,
#: 2.4 MB of nested empty lists took 7x a normal submission's grader CPU. A notebook's outputs hold
#: some thousands; past this it is refused with the same message.
NOTEBOOK_CONTAINERS = 500_000
#: The reading runs in a child of the grader (autograder/intake/bounded.py); the grader waits this
#: much beyond intake_seconds (the child's own deadline) before it kills the child.
INTAKE_CHILD_SLACK_SECONDS = 5
#: Bytes of the child's JSON hand-over read per byte of the submission and of its code: the
#: submission's text once (a control character is escaped in 6 bytes), plus 4 MiB of records.
INTAKE_REPLY_FACTOR = 6
#: Grader memory a reading may take per byte of the file read, at most (measured with bench/intake.py:
#: syntax trees of dense code, about 280 bytes per byte): a file whose reading cannot reach half of
#: grader_memory_mb this way is read in the grader's process, without the child's fork.
READING_BYTES_PER_BYTE = 400
#: Statements left out of grading handed over for the feedback, in the whole submission: the
#: feedback names eight; a file of a million one-word statements would otherwise hand over a
#: record for each.
DROPPED_STATEMENTS_KEPT = 1000

# ----------------------------------------------------------------------------- the jail's side
# (autograder/sandbox/values.py, jail/: what the sandboxed process sends back about a value or its loading)

#: Characters of a value's repr sent back to describe a wrong return value: enough to recognise it.
REPR_CHARS = 300
#: Locals (and arrays in dict locals) described when the student's own ``assert`` fails: the
#: parameter dict of a network of a few layers, the layer index and the sizes.
FRAME_LOCALS = 24
#: Characters of one such local's name (``parameters['W1']``).
FRAME_NAME_CHARS = 60
#: Keys of a returned dict described one by one; past this the description says "more than N keys".
KEYS_DESCRIBED = 200
#: Parameters of one function reported (its signature is checked against the assignment's, which
#: has at most three).
PARAMETERS_REPORTED = 20
#: Messages about loading (statements that failed, imports not available) sent back.
LOAD_MESSAGES = 50
#: What the jail reads of a worker's reply beyond its arrays (limits.reply_mb): room for the JSON
#: header (shapes, dtypes and the short texts above fit in far less) and for the frame's prefix.
REPLY_HEADER_BYTES = 1 << 20
REPLY_PREFIX_BYTES = 64

# ----------------------------------------------------------------------------- the grader's side of the sandbox
# (autograder/sandbox/host/, wire.py: what the grader accepts from the jail's replies)

#: Characters kept of each loading message and each isolation note, and how many notes.
LOAD_MESSAGE_CHARS = 500
NOTE_CHARS = 300
NOTES = 20
#: Items read from any list in a reply before it is filtered (a list of function names, messages).
REPLY_LIST_ITEMS = 1000
#: Characters of a parameter name kept from a reported signature.
PARAMETER_NAME_CHARS = 60
#: Characters of the sandbox's last output quoted when it ended unexpectedly: its last lines.
LAST_OUTPUT_CHARS = 800
#: Characters of the isolation problems quoted when the sandbox could not confine itself (its
#: notes, each already cut to NOTE_CHARS): enough for the first one or two.
ISOLATION_PROBLEM_CHARS = 300
#: Characters of why a reply was not a valid frame (wire.WireError, which may quote the reply's own
#: bytes) quoted to the student: the kind of fault, not its contents.
WIRE_PROBLEM_CHARS = 120
#: Characters of why a returned value could not be described (the student's exception, from the
#: jail's ``unreadable`` reply): its type and first line.
UNREADABLE_MESSAGE_CHARS = 200
#: Characters of a line of the student's own code quoted in a message (a `print` where the `return`
#: should be): enough to recognise the line.
QUOTED_LINE_CHARS = 200
#: The cgroup's memory cap beyond limits.memory_mb: the four private scratch folders (/tmp,
#: /var/tmp, /run, /dev/shm, each a tmpfs of limits.tmp_mb whose pages count as the group's
#: memory) and this many MiB for the kernel's own pages of the group.
CGROUP_SCRATCH_FOLDERS = 4
CGROUP_SLACK_MB = 256
#: A frame header larger than this is refused before it is parsed (wire.read_frame's default).
WIRE_HEADER_BYTES = 1 << 20
#: JSON header bytes the grader reads from one submission's sandbox, all replies together (the load
#: reports and every call's reply): a correct submission's take about 40 KB; a submission that forged
#: a 1 MB header on every call made the grader decode 22 times a normal submission's CPU.
SUBMISSION_HEADER_BYTES = 2 << 20
#: Arrays a frame may carry when its reader sets no cap of its own (the grader's requests, the load
#: reply, which carries none); replies to calls are capped by limits.reply_mb instead.
WIRE_ARRAY_BYTES = 64 << 20
#: Depth of the search for world-writable folders where a uid-fallback sandbox could leave files.
SCRATCH_SCAN_DEPTH = 4
#: Seconds the isolation probe (unshare, setpriv) may take once per process before the level below
#: is chosen.
ISOLATION_PROBE_SECONDS = 30
#: Times each isolation probe is tried before its level is given up (a busy machine can refuse a fork once).
PROBE_ATTEMPTS = 3
#: Seconds a command that ends before it needed the isolation level waits for its early probe
#: (autograder.batch.early_isolation), so the probe does not outlive it; one takes 0.05-0.2 s.
EARLY_PROBE_EXIT_SECONDS = 2.0
#: Entries under the secrets that the uid fallback without Landlock checks one by one (as the sandbox
#: uid) at the start of a batch; a batch whose secrets hold more is refused as unproven.
SECRET_PROOF_ENTRIES = 50_000
#: Secrets with another name (hard link, bind mount) named in a batch's refusal; the rest are counted.
LINKED_SECRETS_SHOWN = 20
#: Seconds the uid fallback's kill-everything helper may run.
KILL_UID_SECONDS = 10
#: Seconds waited for an ending sandbox: after SIGKILL, for its output readers, and for a polite exit.
KILLED_WAIT_SECONDS = 5
DRAIN_JOIN_SECONDS = 2
EXIT_WAIT_SECONDS = 1
#: Seconds waited for a sandbox's exit status when a message must say how it ended.
EXIT_STATUS_WAIT_SECONDS = 2

# ----------------------------------------------------------------------------- call reuse
# (autograder/sandbox/jail/reuse.py: whether a call's arguments and globals are still as they were)

#: Items of a container and bytes of an array compared to decide that a call can reuse the last
#: one's process state; larger ones are not compared and the call runs in a fresh process.
REUSE_ITEMS = 10_000
REUSE_ARRAY_BYTES = 1 << 20
#: Nesting depth of tuples and frozensets looked into for the same decision.
REUSE_DEPTH = 4

# ----------------------------------------------------------------------------- platform packages
# (autograder/packaging/)

#: Characters of one GitHub Classroom message (a check name, a failure), one line each.
CLASSROOM_MESSAGE_CHARS = 1000
#: Characters of a check name in GitHub Classroom's output.
CLASSROOM_NAME_CHARS = 200
#: Characters of the engine's output an nbgrader log gets when the engine gave no grade (a refusal's
#: reason and fix are its last lines, some hundred characters with the paths to close).
ENGINE_LOG_TAIL_CHARS = 3000
#: In the student's kernel (``otter run``), after the first alarm the next comes this often, so a
#: loop that swallows one interruption is interrupted again.
INKERNEL_REFIRE_SECONDS = 0.5

# The semester step (autograder/semester): files a student controls are read with a cap.
# Gradescope's submission_metadata.json and nbgrader's timestamp.txt are a few KB at most.
PLATFORM_METADATA_BYTES = 1 << 20
# A Classroom clone's `git log` of one commit: a few hundred bytes; git gets this long to answer.
GIT_LOG_BYTES = 4096
GIT_LOG_SECONDS = 20.0
# Entries of a folder submission looked at for its newest file time (the last-resort submission time).
MTIME_ENTRIES = 10_000
# The instructor's roster and overrides files (a course of 10,000 students is 1-2 MB).
ROSTER_BYTES = 32 << 20

# What a batch's grader keeps once per process (the memory it may hold for them, whatever is graded).
#: Charts of each kind kept by autograder.feedback.chart_memo (the oldest dropped first).
CHART_MEMO_ENTRIES = 128
#: Largest key of a chart kept (bytes of its arguments, roughly; the examples' charts take at most 7 KB):
#: a chart of more data is drawn every time, never kept.
CHART_MEMO_KEY_BYTES = 16 << 10
#: Diagnoses kept by autograder.diagnose.analysis (argument lists, the oldest dropped first), and the largest
#: key kept (bytes of the returned, expected and evidence arrays: a mistake of the checks' small calls takes
#: at most 17 KB; the images network's weights take 400 KB and are diagnosed every time).
DIAGNOSIS_MEMO_ENTRIES = 256
DIAGNOSIS_MEMO_KEY_BYTES = 32 << 10
#: Plain Python notebook cells kept by autograder.intake.notebooks (their chunks), and the longest kept.
NOTEBOOK_CELLS_KEPT = 512
NOTEBOOK_CELL_CHARS = 8192
