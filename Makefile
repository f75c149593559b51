# Two entry points on a fresh machine (see README):
#   make plan   - set up, then run the main job: `infra plan us-east` (sandbox defaults)
#   make test   - set up, then run the whole test suite (every real part: Terraform, checkov, Chromium, moto)
#   make test-fast - the unit layer only (tests not marked slow), in well under a minute
PYTHON ?=
VENV ?= .venv
PYTEST_ARGS ?=

.PHONY: setup system-deps plan test test-fast lint bench clean
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@python="$(PYTHON)"; if [ -z "$$python" ]; then python=$$(scripts/find-python) || exit 1; fi; \
	  "$$python" -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test,dev]'
	touch $@

system-deps:
	bash scripts/system-deps.sh

plan: setup
	$(VENV)/bin/infra plan us-east

test: setup system-deps
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(VENV)/bin/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check toolkit infra_sandbox tests benchmarks
	$(VENV)/bin/mypy toolkit infra_sandbox
	$(VENV)/bin/lint-imports

bench: setup
	$(VENV)/bin/python benchmarks/run_all.py

clean:
	rm -rf .infra .pytest_cache
