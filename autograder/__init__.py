"""initgrade: the sandboxed grading engine for the weight-initialization assignment."""

__version__ = "0.1.0"
