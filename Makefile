# biomech: set-up, main job and tests. Every target creates .venv if needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.biomech-installed
export MPLBACKEND := Agg

.PHONY: venv run test test-all bench lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@$(PY) -c "import opensim" 2>/dev/null || { \
	  echo "opensim failed to import: installing the system BLAS it needs (libopenblas0, liblapack3)"; \
	  if command -v apt-get >/dev/null; then \
	    (apt-get update -qq && apt-get install -y -qq libopenblas0 liblapack3 libgfortran5) >/dev/null; \
	  fi; \
	  $(PY) -c "import opensim" || { echo "opensim still does not import; see README 'Troubleshooting'"; exit 1; }; }
	@touch $(STAMP)

run: venv
	$(VENV)/bin/biomech model build models/running2d.yaml
	@# a failed run is listed in the table and in summary.md; the figures are drawn from the others
	-$(VENV)/bin/biomech run experiments/retro_vs_forward.yaml -o results
	$(VENV)/bin/biomech figures results/retro_vs_forward

test: venv
	$(PY) -m pytest -m "not slow" -q

test-all: venv
	$(PY) -m pytest -q

bench: venv
	@ls benchmarks/*.py >/dev/null 2>&1 && for b in benchmarks/*.py; do $(PY) $$b; done || echo "no benchmarks yet"

lint: venv
	$(VENV)/bin/ruff check biomech tests

clean:
	rm -rf $(VENV) .pytest_cache
