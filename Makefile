# pne-bot: the two commands are `make run` and `make test`; everything else is set up by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint check bench fuzz sandbox migrate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the bot (offline sandbox when PNE_TELEGRAM_TOKEN is not set).
run: $(STAMP)
	$(BIN)/pne-bot run

## Lint, type-check, then the whole suite on SQLite and on a throwaway PostgreSQL.
test: $(STAMP) lint
	./.ci/with-postgres.sh $(BIN)/python -m pytest -n auto --maxprocesses=4 --durations=15

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

migrate: $(STAMP)
	$(BIN)/pne-bot migrate

## The dialogue fuzzes, twenty times longer than in `make test`, from new seeds.
fuzz: $(STAMP)
	PNE_FUZZ_SCALE=$${PNE_FUZZ_SCALE:-20} PNE_FUZZ_RANDOM=1 ./.ci/with-postgres.sh \
		$(BIN)/python -m pytest -n auto --maxprocesses=4 -p no:randomly tests/conversations -k fuzz

bench: $(STAMP)
	./.ci/with-postgres.sh $(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
