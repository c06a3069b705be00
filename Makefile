# Embedscape: two commands do all the set-up on a fresh machine.
#   make run    create .venv (torch first, then the pinned requirements), prepare the demo, start the app
#   make test   the same environment plus test tools and Debian's Chromium, then the whole test suite
# Both are idempotent: a second run only does what is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# The first `make run` embeds the bundled demo corpora with the bundled models (about a minute on 2 cores);
# later runs find everything in the workspace and start at once.
DEMO_CORPORA ?= lee-news,movie-polarity,words
DEMO_MODELS  ?= minilm-l6,minilm-l3,glove-50d,tfidf-svd
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: run test venv test-deps demo bench clean-venv

venv: $(VENV)/.installed

# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

demo: venv
	$(BIN)/python -m engine demo --corpora $(DEMO_CORPORA) --models $(DEMO_MODELS)
	# the map's default layout, stored so the first visit does not wait for UMAP (and numba's cache warmed)
	$(BIN)/python -m engine project demo:lee-news --models minilm-l6,minilm-l3 --method umap

# components.launch = `streamlit run` with the heavy imports paid before the server answers and torch/umap
# warmed in the background. No file watcher: it overflowed inotify and kept a core busy while idle.
run: demo
	$(BIN)/python -m components.launch run app.py --server.port $(PORT) --server.fileWatcherType none

# The optional Ray extra (the app never needs it): installed for the tests so the Ray route really runs.
$(VENV)/.installed-ray: $(VENV)/.installed requirements-ray.txt
	$(BIN)/python -m pip install --quiet -r requirements-ray.txt
	touch $@

test-deps: $(VENV)/.installed-dev $(VENV)/.installed-ray
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver fonts-noto-color-emoji >/dev/null; \
	fi

# Two pytest-xdist workers by default: one file per unit, long files first, browser and CPU-bound files
# alternating (tests/conftest.py); `make test TEST_WORKERS=0` runs one process. On an idle 2-core machine
# two workers take ~9.5 min, one process ~12 min (docs/benchmarks.md, Test suite time).
TEST_WORKERS ?= 2
test: test-deps
	$(BIN)/python -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)

# Every bench script (helpers such as bench/timing.py have no __main__ and are skipped), each printing
# its table against its baseline; `make bench BENCH="bench/project.py bench/embed.py"` runs a few.
BENCH ?= $(wildcard bench/*.py)
bench: venv
	@for script in $(BENCH); do \
		grep -q '__main__' $$script || continue; \
		echo "== $$script"; \
		$(BIN)/python $$script || exit 1; \
	done

clean-venv:
	rm -rf $(VENV)
