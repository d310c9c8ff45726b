# The two commands of the README, and the pieces they are made of.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: setup build demo test lint fmt bench clean-data

## Install the Debian packages the fleet needs (idempotent; run as root).
setup:
	./scripts/setup.sh

build: setup
	$(CARGO) build --workspace

## Set up, then run the embedded default with a sample job, and leave it running.
demo: setup
	$(CARGO) build -p worker -p sandboxes
	$(CARGO) build -p ocr --features corpus --example specimen
	./scripts/demo.sh

## Set up, then run every check CI runs: formatting, lints, tests on SQLite, Redis and PostgreSQL.
test: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	TEST_POSTGRES_URL="$$(./scripts/services.sh)" OMP_THREAD_LIMIT=1 $(CARGO) test --workspace

fmt:
	$(CARGO) fmt --all

clean-data:
	rm -rf ./data
