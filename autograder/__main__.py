"""``python -m autograder`` is the ``initgrade`` command."""

from autograder.cli import main

main()
