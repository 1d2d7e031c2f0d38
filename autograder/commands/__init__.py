"""The command line: ``initgrade`` and its subcommands (the entry point is ``autograder.launch``)."""
