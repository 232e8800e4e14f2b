# PatentAtlas — `make demo` runs the platform on the real sample exports, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= ../shared/data
DEMO_DB ?= demo/patentatlas.duckdb
PORT   ?= 8000
STATIC := patentatlas/web/static
ECHARTS := $(STATIC)/echarts.min.js

.PHONY: install browser demo demo-data serve test check lint bench clean

install: $(VENV)/.installed $(ECHARTS) browser

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $@

# ECharts and Swagger UI come from the npm registry at install time and are served by us
# (government intranets have no internet: nothing loads from a CDN at run time).
$(ECHARTS): package.json
	npm install --no-audit --no-fund --loglevel=error
	cp node_modules/echarts/dist/echarts.min.js $@
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(STATIC)/

# The browser tests drive Debian's chromium through Playwright's Python client (never
# `playwright install`); fonts-noto-cjk makes Chinese render. WeasyPrint (valuation PDFs) needs Pango;
# the PDF test turns a page into an image with poppler-utils' pdftoppm; PySpark (patentatlas spark and
# its tests) needs Java 17. Needs root (CI and dev machines are).
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 \
	    || ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk \
	      libpango-1.0-0 libpangoft2-1.0-0 poppler-utils openjdk-17-jre-headless >/dev/null; \
	  else echo "chromium, pdftoppm or java is not installed and we are not root: the browser and PDF tests will be skipped, the Spark tests fail"; fi; \
	fi

demo-data: install
	@test -d $(DATA)/cn_patents || { echo "sample data not found in $(DATA) (set DATA=...)"; exit 1; }
	rm -f $(DEMO_DB) $(DEMO_DB).wal
	mkdir -p $(dir $(DEMO_DB))
	$(BIN)/patentatlas --db $(DEMO_DB) import $(DATA)/cn_patents/*.csv
	# the office's enterprise directory: the SZSE list places 大华 and others in their county
	$(BIN)/patentatlas --db $(DEMO_DB) directory import $(DATA)/enterprise_directory/szse_a_share_list_2025-10-22.csv
	$(BIN)/patentatlas --db $(DEMO_DB) optimize
	$(BIN)/patentatlas --db $(DEMO_DB) demo-accounts

demo: demo-data
	@echo "PatentAtlas on http://127.0.0.1:$(PORT)  (Ctrl-C to stop)"
	PORT=$(PORT) $(BIN)/patentatlas --db $(DEMO_DB) serve --port $(PORT)

# one worker per core (pytest-xdist), a test file's tests in one worker (its module fixtures built once)
test: install
	$(BIN)/python -m pytest -n auto --dist loadfile

lint: install
	$(BIN)/ruff check patentatlas tests benchmarks scripts
	$(BIN)/mypy patentatlas

check: lint test

bench: install
	$(BIN)/python benchmarks/import_bench.py

clean:
	rm -rf $(VENV) node_modules demo .pytest_cache .mypy_cache .ruff_cache
