"""Repository-wide pytest set-up.

``pytest`` (``make test``) collects ``tests/`` and the kit's rubric. The public
tests are not collected here: ``pytest public_tests`` tests the student's own
notebook (here, the generated stub), and the repository's tests run them in a
subprocess on the reference solutions and on the stubs (tests/test_authoring.py).
"""
