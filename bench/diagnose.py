"""How long explaining a wrong answer takes: autograder.diagnose on every mistake of examples/mistakes.

    .venv/bin/python bench/diagnose.py

One child process calls each function of every file of examples/mistakes on four layer lists
(twice: the second call is the ``repeat`` evidence) and prints the returned arrays as JSON; this
process only handles that data. Then ``diagnose`` runs on every call against the reference,
with grading.yaml's tolerance and function names: one cold pass (the regenerated draws are
cached after it) and seven warm ones.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MISTAKES, machine

from autograder.config import load_config
from autograder.diagnose import diagnose
from autograder.rubric.reference import reference_functions

SIZES = [[5, 4, 3], [7, 6, 5, 3, 1], [12, 9, 1], [40, 25, 10]]
CHILD = r"""
import importlib.util, json, sys
import numpy as np
functions, sizes = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = []
for path in sys.argv[3:]:
    spec = importlib.util.spec_from_file_location("submission", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for q, name in functions.items():
        fn = getattr(mod, name, None)
        for dims in sizes if fn is not None else []:
            args = [list(dims), 10] if q == "random" else [list(dims)]
            with np.errstate(all="ignore"):
                calls = [{k: np.asarray(v, dtype=float).tolist() for k, v in fn(*args).items()} for _ in range(2)]
            out.append([q, args, calls[0], calls[1]])
print(json.dumps(out))
"""


def main() -> None:
    config = load_config()
    functions = config.question_functions
    files = [str(p) for p in sorted(MISTAKES.glob("*.py"))]
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(functions), json.dumps(SIZES), *files],
                          capture_output=True, text=True, check=True, timeout=300)
    reference = reference_functions(config.functions)
    cases = []
    for q, args, returned, repeat in json.loads(proc.stdout):
        arrays = {k: np.asarray(v) for k, v in returned.items()}
        cases.append((q, args, arrays, reference[functions[q]](*args), {"repeat": repeat}))

    def one_pass() -> tuple[float, int]:
        t0, found = time.perf_counter(), 0
        for q, args, arrays, expected, extra in cases:
            found += len(diagnose(q, args[0], arrays, expected, tolerance=config.tolerance, functions=functions,
                                  scale=args[1] if len(args) > 1 else None, extra=extra))
        return time.perf_counter() - t0, found

    cold, found = one_pass()
    warm = sorted(one_pass()[0] for _ in range(7))
    print(machine())
    print(f"{len(cases)} calls of {len(files)} mistaken submissions, {found} diagnoses")
    print(f"cold pass {cold * 1000:.1f} ms; warm: min {warm[0] * 1000:.1f} ms, median {warm[3] * 1000:.1f} ms "
          f"({warm[3] / len(cases) * 1e6:.0f} us a call)")


if __name__ == "__main__":
    main()
