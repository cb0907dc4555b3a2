# Rare Earth Explorer: `make demo` (the main job, headless) and `make test`. Every target runs setup first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PLUGIN      := rare_earth_plugin
BUILD       := build
STAGE       := $(BUILD)/$(PLUGIN)
PY          := $(abspath .venv/bin/python)
# A profile of the project's own, never the user's default one (make install without it targets the default).
DEV_PROFILE := $(abspath $(BUILD)/qgis-profile)
VERSION     := $(shell sed -n 's/^version=//p' metadata.txt)
ZIP         := $(BUILD)/$(PLUGIN)-$(VERSION).zip
export QT_QPA_PLATFORM ?= offscreen
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup stage install package qgis test lint unit qgis-tests demo bench sample-data clean test-debian

help:
	@echo "make demo        headless: set up, stage, install, load the sample zones and print their figures"
	@echo "make test        ruff, unit tests (no QGIS), QGIS tests (offscreen), qgis_process smoke test"
	@echo "make test-debian SUITE=trixie|sid   make demo + make test in a Debian 13 / unstable chroot (root)"
	@echo "make qgis        desktop QGIS with the plugin enabled in a project-own profile, zones loaded"
	@echo "make stage | install | package | bench | sample-data | clean"

setup:
	@scripts/setup.sh

stage: setup
	@rm -rf $(STAGE) && mkdir -p $(STAGE)
	@cp -r $(PLUGIN)/. $(STAGE)/
	@cp -r metadata.txt LICENSE resources sample_data $(STAGE)/
	@find $(STAGE) \( -name __pycache__ -o -name '*.pyc' \) -prune -exec rm -rf {} +
	@echo "staged $(STAGE)"

# QGIS_CUSTOM_CONFIG_PATH selects the profile root (tests use a throw-away one); default: the user's profile.
install: stage
	@$(PY) scripts/install_plugin.py $(STAGE) $${QGIS_CUSTOM_CONFIG_PATH:+--config-path "$$QGIS_CUSTOM_CONFIG_PATH"}

package: stage
	@rm -f $(ZIP) && cd $(BUILD) && $(PY) -m zipfile -c $(notdir $(ZIP)) $(PLUGIN)
	@echo "packaged $(ZIP) ($$(du -h $(ZIP) | cut -f1))"

qgis: stage
	@$(PY) scripts/install_plugin.py $(STAGE) --config-path $(DEV_PROFILE)
	QT_QPA_PLATFORM= QGIS_CUSTOM_CONFIG_PATH=$(DEV_PROFILE) qgis --code scripts/open_sample_zones.py

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

unit: setup
	$(PY) -m pytest tests/unit -p no:pytest_qgis -p no:pytestqt

# pytest-qgis gives the tests a throw-away QGIS profile, so they never touch the user's settings.
qgis-tests: stage
	$(PY) -m pytest tests/qgis

test: lint unit qgis-tests

demo: stage
	@$(PY) scripts/install_plugin.py $(STAGE) --config-path $(DEV_PROFILE)
	$(PY) scripts/demo.py --profile $(DEV_PROFILE)

bench: stage
	$(PY) scripts/bench.py
	$(PY) scripts/bench_comb.py

sample-data: setup
	$(PY) scripts/make_sample_data.py --out sample_data

# The same demo and tests from a clean clone of HEAD inside a minimal Debian chroot (QGIS 3.40 or 3.44).
SUITE ?= trixie
test-debian:
	scripts/test_in_debian.sh $(SUITE)

clean:
	rm -rf $(BUILD) out .pytest_cache .ruff_cache
