# One entry point per chore; .ci/run calls `make test`. Only python3 is needed: the first target that
# needs tools creates .venv and installs the project with its pinned dev tools from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
GENERATED := generated_client/binance_papi_generated
HANDWRITTEN := src generator tests scripts bench

.PHONY: setup demo generate upstream-templates check-generated lint typecheck test bench bench-quick dist mutation clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## Start the local simulator, fetch all balances and then USDT through the CLI, stop. Nothing leaves 127.0.0.1.
demo: $(STAMP)
	$(BIN)/python scripts/demo.py

## Regenerate the client from openapi/papi.yaml (deterministic; run after any spec or generator change).
generate: $(STAMP)
	$(BIN)/python generator/generate.py

## After upgrading openapi-python-client: refresh generator/upstream/ (pristine copies of the templates that
## generator/templates/ overrides), then read `git diff generator/upstream/`. See README, "Upgrading the generator".
upstream-templates: $(STAMP)
	$(BIN)/python generator/generate.py --update-upstream

## Check generator/upstream/ against the installed generator, regenerate into a temporary folder and fail with
## a diff if the committed package differs.
check-generated: $(STAMP)
	$(BIN)/python generator/generate.py --check

lint: $(STAMP)
	$(BIN)/ruff check $(HANDWRITTEN)
	$(BIN)/ruff format --check $(HANDWRITTEN)
	# The generated package is held to the generator's own rule set (the same ruff flags generate.py uses).
	$(BIN)/ruff check --isolated --no-cache --select F,I,UP --line-length 120 \
		--config 'lint.isort.known-first-party=["binance_papi"]' $(GENERATED)

typecheck: $(STAMP)
	$(BIN)/mypy src/binance_papi generator tests scripts bench
	$(BIN)/mypy --strict $(GENERATED)

test: lint typecheck check-generated bench-quick
	$(BIN)/pytest

## Client vs hand-written floors, side by side (a few minutes); exits 1 if a target is missed.
## Results: bench/results/latest.json. The table in README.md comes from a full run.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## A few seconds: proves the benchmark runs (targets shown, not enforced). Part of `make test`.
bench-quick: $(STAMP)
	$(BIN)/python -m bench.run --quick

## Build the sdist and the wheel (from that sdist) into dist/, with the `build` pinned in the dev extra.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

## Mutation testing (mutmut; a few minutes; not part of `make test`): mutates signing, retries, error mapping,
## the HTTP/ban logic and the parsers ([tool.mutmut] in pyproject.toml says which files and which tests), and
## fails when a mutant survives that tests/mutation/EQUIVALENT.md does not list. It runs in a copy, .mutation/,
## where the generated package sits beside binance_papi under src/ (mutmut imports mutants from src/).
mutation: $(STAMP)
	rm -rf .mutation
	mkdir -p .mutation/src
	cp -r src/binance_papi $(GENERATED) .mutation/src/
	cp -r tests openapi pyproject.toml README.md .mutation/
	cd .mutation && ../$(BIN)/mutmut run --max-children 2
	cd .mutation && ../$(BIN)/python ../tests/mutation/check_survivors.py ../tests/mutation/EQUIVALENT.md

clean:
	rm -rf .mutation $(VENV) .venv-bench-runtime .bench-cache .mypy_cache .pytest_cache .ruff_cache dist
