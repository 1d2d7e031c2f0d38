"""``python -m autograder`` is the ``initgrade`` command."""

from autograder.launch import main

main()
