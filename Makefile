# faxflow — two commands do everything on a fresh Debian machine:
#   make demo   install what is missing, run the Airflow DAG on the committed samples
#   make test   install what is missing, then lint, type-check and run the whole suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Debian packages the code needs at run time, and the extra ones tests and benchmarks need.
# tesseract-ocr-jpn reads the Japanese packs' zones (forms/jp_*); fonts-ipafont draws their
# blank forms and the dashboard's Japanese text.
APT_RUNTIME := python3-venv tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-jpn poppler-utils fonts-dejavu-core fonts-liberation fonts-ipafont
# Faces the sample generator's tune/locked splits write with (samples/splits.yaml); the CJK
# ones fill the Japanese packs (fonts-seto is their hand-printed style).
APT_SAMPLE_FONTS := fonts-freefont-ttf fonts-bwht fonts-breip fonts-humor-sans fonts-noto-cjk fonts-seto
# make up EXECUTOR=celery: Redis is the Celery broker, PostgreSQL holds Airflow's metadata
# and faxflow's records (a private cluster under var/celery/).
APT_CELERY := redis-server postgresql
# fonts-dejavu-extra: DejaVu Sans ExtraLight, the thin face a test faxes pale into specks
# (tests/extract/test_extractor.py, writing a fax broke into dust).
APT_TEST := $(APT_CELERY) chromium fonts-noto-mono fonts-urw-base35 fonts-dejavu-extra $(APT_SAMPLE_FONTS)
APT_BENCH := $(APT_CELERY) ocrmypdf unpaper $(APT_SAMPLE_FONTS)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# make up's executor. local (default): LocalExecutor on SQLite; celery: faxflow/celery_stack.py
EXECUTOR ?= local

export OMP_THREAD_LIMIT ?= 1
export FAXFLOW_VAR_DIR ?= $(CURDIR)/var

.PHONY: help demo test lint typecheck pytest bench up sysdeps sysdeps-test sysdeps-bench sysdeps-up venv constraints clean

help:
	@echo "make demo   - install, then run the real pipeline through the fax_intake DAG on samples/"
	@echo "make test   - install, then ruff, mypy and the whole pytest suite"
	@echo "make bench  - accuracy, speed and memory report in docs/benchmarks.md"
	@echo "make up     - Airflow (scheduler, API server, DAG processor, triggerer) + dashboard"
	@echo "make up EXECUTOR=celery - the same on CeleryExecutor: Redis, PostgreSQL, 2 workers"

# Install only the Debian packages that are missing; a second run costs one dpkg query.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

sysdeps:
	$(call apt_install,$(APT_RUNTIME))

sysdeps-test: sysdeps
	$(call apt_install,$(APT_TEST))

sysdeps-bench: sysdeps
	$(call apt_install,$(APT_BENCH))

sysdeps-up: sysdeps
ifeq ($(EXECUTOR),celery)
	$(call apt_install,$(APT_CELERY))
endif

$(STAMP): pyproject.toml constraints.txt
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev,train]'
	@touch $(STAMP)

venv: $(STAMP)

# Re-pin after changing dependencies: the versions this project was tested with.
constraints: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

demo: sysdeps venv
	$(BIN)/python -m faxflow.demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

pytest: sysdeps-test venv
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test: sysdeps-test venv lint typecheck pytest

bench: sysdeps-bench venv
	$(BIN)/python -m faxflow.bench

up: sysdeps-up venv
	$(BIN)/python -m faxflow.up --executor $(EXECUTOR)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
