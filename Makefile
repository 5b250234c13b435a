# Two commands on a fresh machine: `make run` and `make test`.
# Both create .venv from requirements-dev.txt first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check
#: requirements-dev.txt is resolved for this Python (and Linux x86_64).
LOCK_PYTHON := 3.11
LOCK_FLAGS := --generate-hashes --no-strip-markers --python-version $(LOCK_PYTHON) \
	--python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock"

.PHONY: run test suite lint generate synth audit lock soak bench smoke clean

# Every file installed is checked against a hash in the locks: pip, setuptools and
# wheel first (a new venv has the ones its Python shipped), then every package.
# airspeed-ext has no wheel: it is built with the venv's own, hash-checked setuptools
# (--no-build-isolation), not with one pip would fetch unchecked for the build.
$(STAMP): requirements-bootstrap.txt requirements-dev.txt requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; v = "%d.%d" % sys.version_info[:2]; sys.exit(None if v == "$(LOCK_PYTHON)" else "$(VENV) has Python " + v + "; requirements-dev.txt is locked for Python $(LOCK_PYTHON): make clean, then make PYTHON=python$(LOCK_PYTHON) ...")'
	$(PIP) install --quiet --require-hashes -r requirements-bootstrap.txt
	$(PIP) install --quiet --require-hashes --no-build-isolation -r requirements-dev.txt
	$(PIP) check
	touch $(STAMP)

## run: chalice local on http://$(HOST):$(PORT), reloading on every save; another port or
## address on the command line only (make run PORT=8001 HOST=127.0.0.2), never from the
## environment. Exits non-zero, with one log line, when the server cannot start.
HOST := 127.0.0.1
PORT := 8000
run: $(STAMP)
	@$(BIN)/python -m local_async.dev_server --host $(HOST) --port $(PORT)

## lint: ruff and mypy
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## generate: the files derived from app.py's declarations (.chalice/config.json and
## the IAM policies of plain `chalice deploy`, docs/openapi.yaml); make test fails,
## naming the file, when one is stale
generate: $(STAMP)
	$(BIN)/python -m infrastructure.generate

## synth: the CDK stack's CloudFormation template, offline (no AWS credentials,
## no network, no CDK CLI): infrastructure/cdk.out/$(STACK_NAME).template.json
STACK_NAME := serverless-async-lambda-api
CDK_OUT := infrastructure/cdk.out
SYNTH_REGION ?= us-east-1
synth: $(STAMP)
	rm -rf $(CDK_OUT)
	cd infrastructure && AWS_DEFAULT_REGION=$(SYNTH_REGION) AWS_EC2_METADATA_DISABLED=true \
		CDK_OUTDIR=$(CURDIR)/$(CDK_OUT) JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 \
		$(CURDIR)/$(BIN)/python app.py
	@echo "wrote $(CDK_OUT)/$(STACK_NAME).template.json"

## audit: pip-audit of every package in the lock (requirements-dev.txt, hashes required);
## fails on a known vulnerability with a fix, warns (and passes) when the vulnerability
## service cannot be reached: then nothing was audited, and it says so
audit: $(STAMP)
	$(BIN)/python -m tests.support.pip_audit_gate requirements-dev.txt

## lock: regenerate requirements-dev.txt and requirements-bootstrap.txt from the .in
## files (needs PyPI); pins already locked are kept: UPGRADE=--upgrade moves them all,
## UPGRADE="--upgrade-package NAME" one
lock: $(STAMP)
	$(BIN)/uv pip compile --quiet $(UPGRADE) requirements-dev.in $(LOCK_FLAGS) -o requirements-dev.txt
	$(BIN)/uv pip compile --quiet requirements-bootstrap.in $(LOCK_FLAGS) -o requirements-bootstrap.txt

## test: lint, audit and the whole suite (reliability tests at their short sizes) side by
## side: mypy's first run on a fresh clone takes about a minute of one CPU, which the suite's
## waits leave free. The suite runs on one pytest-xdist worker per CPU; the tests that share
## a costly fixture run on one worker (tests/conftest.py).
test: $(STAMP)
	@$(MAKE) --no-print-directory --jobs=3 --output-sync=line lint audit suite

suite: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadgroup

## soak: the reliability tests at full size (docs/reliability.md); SOAK_REQUESTS etc. override
soak: $(STAMP)
	SOAK_SIZE=full $(BIN)/python -m pytest tests/reliability

## bench: chalice local, the engine, cold start, zip and synth, each against a
## hello-world baseline measured in the same run; prints a Markdown table (docs/benchmarks.md)
bench: $(STAMP)
	$(BIN)/python -m bench

## smoke: the contract catalogue (tests/support/catalogue.py) against a running API, such
## as a deployed stack: make smoke URL=https://<id>.execute-api.<region>.amazonaws.com/api/
## Prints a table (case, expected, got) and fails on any difference.
smoke: $(STAMP)
	@test -n "$(URL)" || { echo "usage: make smoke URL=https://<id>.execute-api.<region>.amazonaws.com/api/"; exit 2; }
	$(BIN)/python -m tests.support.smoke "$(URL)"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
