# Steuerung: two commands for users (make run, make test), plus bench, lint and format.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run serve test bench load lint format install install-test system-deps security clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian packages: Chromium for the browser tests, Pango for the PDF report.
# Installed with apt only when running as root (as CI does); otherwise a hint is printed.
system-deps:
	@if [ -x /usr/bin/chromium ] && ldconfig -p 2>/dev/null | grep -q libpangoft2; then \
		echo "Systempakete vorhanden (chromium, pango)."; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installiere Systempakete (chromium, libpango) mit apt ..."; \
		(apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; \
	else \
		echo "HINWEIS: chromium und/oder libpango fehlen und können ohne root nicht installiert werden:"; \
		echo "  sudo apt-get install chromium libpango-1.0-0 libpangoft2-1.0-0"; \
		echo "  Browser-Tests werden übersprungen, PDF-Tests schlagen fehl."; \
	fi

run: install
	@mkdir -p instance
	STEUERUNG_CONFIG=development $(BIN)/flask db upgrade
	STEUERUNG_CONFIG=development $(BIN)/flask seed demo --if-empty
	@STEUERUNG_CONFIG=development $(BIN)/flask demo-logins
	@echo "Steuerung läuft auf http://127.0.0.1:5000 mit Hintergrunddienst (Beenden mit Strg+C)"
	STEUERUNG_CONFIG=development $(BIN)/python -m steuerung.services.ops.supervise \
		"$(BIN)/flask run --host 127.0.0.1 --port 5000" "$(BIN)/flask jobs worker"

# Production-like: gunicorn (gunicorn.conf.py) and the job worker. STEUERUNG_CONFIG=production
# needs SECRET_KEY and HTTPS in front (secure cookies); the default here is development.
serve: install
	@mkdir -p instance
	STEUERUNG_CONFIG=$${STEUERUNG_CONFIG:-development} $(BIN)/flask db upgrade
	@echo "Steuerung (gunicorn) auf http://$${BIND:-127.0.0.1:8000} mit Hintergrunddienst (Strg+C beendet)"
	STEUERUNG_CONFIG=$${STEUERUNG_CONFIG:-development} $(BIN)/python -m steuerung.services.ops.supervise \
		"$(BIN)/gunicorn -c gunicorn.conf.py" "$(BIN)/flask jobs worker"

test: install-test system-deps
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python -m bench.run --measures $${MEASURES:-10000}

# Load test (locust, loopback only): 50 users for 2 minutes on SQLite and on PostgreSQL.
load: install-test
	$(BIN)/python -m pip install --quiet -e '.[load]'
	$(BIN)/python -m bench.load.run --measures $${MEASURES:-10000} $${LOAD_ARGS:-}

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Security checks: bandit (no medium/high finding), then sqlmap and wapiti against the app on
# loopback, logged in as each role (Debian packages sqlmap, wapiti; installed with apt as root).
# Slow (about 30 minutes); not part of CI. Options: SCAN_ARGS="--roles admin --wapiti-seconds 120".
security: install-test
	@command -v sqlmap >/dev/null && command -v wapiti >/dev/null || \
		if [ "$$(id -u)" = "0" ]; then (apt-get update -qq || true) && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlmap wapiti >/dev/null; \
		else echo "sqlmap/wapiti fehlen: sudo apt-get install sqlmap wapiti"; exit 2; fi
	$(BIN)/bandit -q -r steuerung seed scripts config.py wsgi.py --severity-level medium
	$(BIN)/python scripts/security_scan.py $(SCAN_ARGS)

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache bench/results
