"""initlab: the student package for the weight-initialization assignment.

``init_functions`` holds the four functions students write; ``model``, ``data``
and ``plots`` are provided, complete, and are also what the grader trusts.
"""

__version__ = "0.1.0"
