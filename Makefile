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

# One BLAS thread per process: the suite runs several processes on 2 cores.
test: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest

# Benchmarks print figures; they are not part of make test.
bench: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(PY) bench/bench_batch.py -n 200 --jobs 2

clean:
	rm -rf $(VENV) out build
