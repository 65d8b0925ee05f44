# The two set-up commands of the README:
#   make run    creates the environment if needed and runs `msrsim run` on the baseline
#   make test   creates the environment if needed and runs the whole test suite
# Only Python >= 3.11 and make are needed; dependencies are pinned in requirements/.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The suite on one pytest-xdist worker per CPU, each test module on one worker (its module
# fixtures computed once) in the order tests/conftest.py gives; the workers share one legs
# cache, so a leg one flies the others read. `make test PYTEST_ARGS=` runs it in one process.
PYTEST_ARGS ?= -n logical --dist loadscope --no-loadscope-reorder

.PHONY: run test lint bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The last steps compile msrsim's sources to bytecode (so that `msrsim --help` does not
# compile the CLI's module each time where Python is told not to write bytecode) and fill
# numba's on-disk cache with a small run of the baseline (its legs in a throwaway cache),
# so that a user's first `msrsim run` loads its kernels instead of compiling them, and
# still flies its own legs.
$(VENV)/.run-deps: requirements/run.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements/run.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m compileall -q src
	scratch=$$(mktemp -d) && MSRSIM_CACHE_DIR=$$scratch $(BIN)/msrsim run --trials 10 > /dev/null; \
		status=$$?; rm -rf $$scratch; exit $$status
	touch $@

$(VENV)/.test-deps: requirements/test.txt $(VENV)/.run-deps
	$(BIN)/python -m pip install --quiet -r requirements/test.txt
	touch $@

run: $(VENV)/.run-deps
	$(BIN)/msrsim run

test: $(VENV)/.test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.test-deps
	$(BIN)/ruff check src tests benchmarks

# every benchmark merges its figures into benchmarks/record.json; the README's performance
# table is then rendered from it (scripts/performance.py)
BENCHES := lambert entry edl ascent rendezvous campaign sweep execution leg_cache first_run
bench: $(VENV)/.test-deps
	for b in $(BENCHES); do \
		MSRSIM_BENCH_RECORD=benchmarks/record.json $(BIN)/python benchmarks/bench_$$b.py || exit 1; \
	done
	$(BIN)/python scripts/performance.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache
