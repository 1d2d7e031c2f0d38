"""Fixtures for running the rubric with pytest against the reference solutions.

The engine supplies the same fixtures itself, with ``student`` proxying calls
into the sandbox instead.
"""

import pytest

from autograder.config import load_config
from autograder.rubric.reference import reference_functions
from autograder.sandbox.probes import LocalStudent
from autograder.training.trainer import Trainer


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture(scope="session")
def reference(config):
    return reference_functions(config.functions)


@pytest.fixture(scope="session")
def trainer(config, tmp_path_factory):
    return Trainer(config, cache_dir=tmp_path_factory.mktemp("training-cache"))


@pytest.fixture
def student(reference):
    return LocalStudent(reference)
