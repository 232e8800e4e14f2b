# PatentAtlas — `make demo` runs the platform on the real sample exports, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= ../shared/data
DEMO_DB ?= demo/patentatlas.duckdb
PORT   ?= 8000
ECHARTS := patentatlas/web/static/echarts.min.js

.PHONY: install demo demo-data serve test check lint bench clean

install: $(VENV)/.installed $(ECHARTS)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# ECharts comes from the npm registry at install time and is served by us (no CDN at run time).
$(ECHARTS): package.json
	npm install --no-audit --no-fund --loglevel=error
	cp node_modules/echarts/dist/echarts.min.js $@

demo-data: install
	@test -d $(DATA)/cn_patents || { echo "sample data not found in $(DATA) (set DATA=...)"; exit 1; }
	rm -f $(DEMO_DB) $(DEMO_DB).wal
	mkdir -p $(dir $(DEMO_DB))
	$(BIN)/patentatlas --db $(DEMO_DB) import $(DATA)/cn_patents/*.csv

demo: demo-data
	@echo "PatentAtlas on http://127.0.0.1:$(PORT)  (Ctrl-C to stop)"
	PORT=$(PORT) $(BIN)/patentatlas --db $(DEMO_DB) serve --port $(PORT)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check patentatlas tests benchmarks scripts
	$(BIN)/mypy patentatlas

check: lint test

bench: install
	$(BIN)/python benchmarks/import_bench.py

clean:
	rm -rf $(VENV) node_modules demo .pytest_cache .mypy_cache .ruff_cache
