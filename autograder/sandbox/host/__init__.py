"""The grader's side of the sandbox: starting, calling and ending sandboxes, and cleaning up after them."""
