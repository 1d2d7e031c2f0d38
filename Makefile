# Two commands do all the set-up on a fresh machine with python3 and make:
#   make demo   create the environment, grade the bundled example submissions
#   make test   create the environment, run the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-pythons bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,integration]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	# The kit's modules compiled once, as pip compiles an installed package's: an editable install is
	# not, and where PYTHONDONTWRITEBYTECODE is set every command would compile about 80 modules (0.2 s).
	$(PY) -m compileall -q autograder assignment >/dev/null
	touch $(STAMP)

# The feedback pages are checked in a real headless browser: Debian's chromium.
CHROMIUM_STAMP := $(VENV)/.chromium
$(CHROMIUM_STAMP): | $(STAMP)
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null)
	touch $(CHROMIUM_STAMP)

# The uid fallback (a root grader without namespaces: Docker, Gradescope) runs each sandbox as an
# unprivileged uid, which cannot execute a Python kept under /root (pyenv). The tests give it
# Debian's python3 in a venv of its own, with the same numpy and the kit on its path
# (INITGRADE_SANDBOX_PYTHON); the kernel headers let the seccomp table be checked.
SANDBOX_VENV := .venv-sandbox
SANDBOX_STAMP := $(SANDBOX_VENV)/.installed
$(SANDBOX_STAMP): pyproject.toml | $(STAMP)
	(/usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null && test -f /usr/include/asm-generic/unistd.h) || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	   python3 python3-venv linux-libc-dev >/dev/null)
	rm -rf $(SANDBOX_VENV)
	/usr/bin/python3 -m venv $(SANDBOX_VENV)
	$(SANDBOX_VENV)/bin/python -m pip install --quiet "numpy==$$($(PY) -c 'import numpy; print(numpy.__version__)')"
	$(SANDBOX_VENV)/bin/python -c 'import site, sys; open(site.getsitepackages()[0] + "/initgrade-kit.pth", "w").write("\n".join(sys.argv[1:]) + "\n")' "$(CURDIR)" "$(CURDIR)/assignment"
	chmod -R go+rX $(SANDBOX_VENV)
	touch $(SANDBOX_STAMP)

# Shards are tested on a real scheduler started by the suite: Debian's Slurm as a one-node cluster.
SLURM_STAMP := $(VENV)/.slurm
$(SLURM_STAMP): | $(STAMP)
	command -v sbatch >/dev/null && test -x /usr/sbin/slurmctld && test -x /usr/sbin/slurmd && test -x /usr/sbin/munged || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	   slurmctld slurmd slurm-client munge >/dev/null)
	touch $(SLURM_STAMP)

demo: $(STAMP)
	$(VENV)/bin/initgrade demo

# One BLAS thread per process: the suite runs several processes on 2 cores. The venv's bin/ on
# PATH because nbgrader runs its own tools (alembic) by name; integration tools are required, not skipped.
# Two pytest workers (pytest-xdist), each running whole test files: much of the suite waits on
# subprocesses (kernels, sandboxes that sleep to their limits), so two files at once fill the 2 cores.
TEST_WORKERS ?= 2
test: $(STAMP) $(CHROMIUM_STAMP) $(SANDBOX_STAMP) $(SLURM_STAMP) test-pythons
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" INITGRADE_REQUIRE_INTEGRATION=1 \
	INITGRADE_SANDBOX_PYTHON="$(CURDIR)/$(SANDBOX_VENV)/bin/python" \
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# The other supported Pythons (3.10 is Ubuntu 22.04's, Gradescope's default image; 3.12 and 3.13 read
# dicts differently, which the call-reuse fast path depends on) run the fast tests in their own venvs: pyenv's newest 3.X, else a python3.X on PATH that runs.
OTHER_PYTHONS ?= 3.10 3.12 3.13
PYENV_ROOT ?= $(HOME)/.pyenv
# About a minute per Python: intake (notebook parsing, IPython's transforms), the sandbox's call reuse, one
# graded submission end to end, the public tests on the solutions and on a notebook.
# test_call_reuse.py fails on a Python where the call-reuse fast path should be on and is not.
FAST_TESTS ?= tests/test_intake.py tests/test_call_reuse.py \
	tests/test_engine.py::test_stubs_score_zero_saying_not_implemented \
	tests/test_authoring.py::test_public_tests_pass_on_the_solutions \
	tests/test_authoring.py::test_public_tests_take_the_file_to_test_as_an_option
$(VENV)-py%/.installed: pyproject.toml
	@interp=""; for c in $$(ls -d $(PYENV_ROOT)/versions/$*.*/bin/python$* 2>/dev/null | sort -V | tail -n 1) python$*; do \
	  if $$c -c 'import sys' >/dev/null 2>&1; then interp=$$c; break; fi; done; \
	test -n "$$interp" || { echo "Python $* not found: install it (pyenv install $*) or set OTHER_PYTHONS" >&2; exit 1; }; \
	echo "$$interp -m venv $(VENV)-py$*"; $$interp -m venv $(VENV)-py$*
	$(VENV)-py$*/bin/python -m pip install --quiet -e '.[test]'
	touch $@

test-pythons: $(foreach v,$(OTHER_PYTHONS),$(VENV)-py$(v)/.installed)
	for v in $(OTHER_PYTHONS); do \
	  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(VENV)-py$$v/bin/python -m pytest -q -p no:cacheprovider $(FAST_TESTS) || exit 1; \
	done

# Benchmarks print figures; they are not part of make test.
bench: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" OPENBLAS_NUM_THREADS=1 $(PY) bench/compare.py -n 24
	OPENBLAS_NUM_THREADS=1 $(PY) bench/scale.py --sizes 100 1000 --jobs 2 4
	OPENBLAS_NUM_THREADS=1 $(PY) bench/breakdown.py
	OPENBLAS_NUM_THREADS=1 $(PY) bench/shards.py -n 90 --repeat 2

clean:
	rm -rf $(VENV) $(SANDBOX_VENV) $(VENV)-py* out build
