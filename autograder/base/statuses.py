"""A submission's status: what results.json, the gradebook, summary.json and JUnit say of it.

One set of names, so no module compares a status with a string of its own.
"""

GRADED = "graded"  # every check ran (any of them may have failed)
ERROR = "error"  # the submission could not be read or loaded: no check ran, no points
NOT_GRADED = "not graded"  # a stopped batch never reached it: no score, a gradebook row only
