"""The jail's side of the sandbox: code that runs inside the sandboxed process, next to student code.

Nothing here imports the grader's side (autograder.sandbox.host) or the grader's modules: the
sandbox starts with only the jail, the frame format (autograder.sandbox.wire) and the value
description (autograder.sandbox.values) loaded.
"""
