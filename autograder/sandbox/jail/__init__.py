"""The jail's side of the sandbox: code that runs inside the sandboxed process, next to student code.

Nothing here imports the grader's side (autograder.sandbox.host) or the grader's modules: the
sandbox holds only the jail, the shared modules of autograder.sandbox (wire, values, outcomes,
keeper_protocol) and the plain values of autograder.limits (tests/test_isolation_checked.py).
"""
