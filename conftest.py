"""Repository-wide pytest set-up.

In the course repository ``pytest`` (``make test``) collects ``tests/`` and
``public_tests/``. The public tests check the module named by
``INITGRADE_PUBLIC_TARGET`` and default to the student's
``assignment/initlab/init_functions.py``, which here is the generated stub and
would fail by design. So, when the reference solutions are present and the
variable is not already set, point the public tests at
``solutions/init_functions.py``. A student release has no ``solutions/`` folder,
so there the public tests keep testing the student's own file.
"""

import os
from pathlib import Path

_SOLUTIONS = Path(__file__).resolve().parent / "solutions" / "init_functions.py"

if _SOLUTIONS.is_file():
    os.environ.setdefault("INITGRADE_PUBLIC_TARGET", str(_SOLUTIONS))
