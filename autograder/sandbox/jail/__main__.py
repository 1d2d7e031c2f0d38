"""``python -I -m autograder.sandbox.jail REQ_FD REP_FD LIFE_FD``: one sandbox (jail.main);
``... --zygote FD``: the pre-forked starter (jail.zygote). Both run under this module name, so
every process of a sandbox is recognisable as one by its command line."""

import os
import sys

from autograder.sandbox.jail import main

if __name__ == "__main__":
    try:
        if sys.argv[1:2] == ["--zygote"]:
            from autograder.sandbox.jail import zygote

            zygote.serve(int(sys.argv[2]), main.main)
        main.main(sys.argv)
    except BaseException:  # noqa: BLE001 - a compromised child just ends
        os._exit(4)
    os._exit(0)
