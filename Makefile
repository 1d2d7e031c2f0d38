# Two commands do all the set-up on a fresh machine with python3 and make:
#   make demo   create the environment, grade the bundled example submissions
#   make test   create the environment, run the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/initgrade demo

test: $(STAMP)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) out build
