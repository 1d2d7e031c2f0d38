"""Public tests and checks for the initialization assignment (see ``checks.py``)."""
