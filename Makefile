# The two commands of the README, and the pieces they are made of.
SHELL := /bin/bash
CARGO ?= cargo
# Every build and test uses the committed Cargo.lock: a dependency never moves by accident.
LOCKED := --locked

.PHONY: setup build demo test lint fmt bench audit clean-data

## Install the Debian packages the fleet needs (idempotent; run as root).
setup:
	./scripts/setup.sh

build: setup
	$(CARGO) build $(LOCKED) --workspace

## Set up, then run the embedded default with a sample job, and leave it running.
## One cargo invocation builds everything the demo runs, so the dependency tree is compiled once
## with one set of features (the specimen renderer needs `ocr/corpus`).
demo: setup
	$(CARGO) build $(LOCKED) -p worker -p sandboxes -p ocr --features ocr/corpus \
		--bin monopco --bin portal-sandbox --example specimen
	./scripts/demo.sh

## Set up, then run every check CI runs: formatting, lints, tests on SQLite, Redis and PostgreSQL.
test: setup lint
	TEST_POSTGRES_URL="$$(./scripts/services.sh)" OMP_THREAD_LIMIT=1 $(CARGO) test $(LOCKED) --workspace

## Formatting and lints, as CI checks them.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(LOCKED) --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## The speed and memory benchmarks (release builds; each prints its own table).
bench: setup
	OMP_THREAD_LIMIT=1 $(CARGO) bench $(LOCKED) -p ocr --bench corpus
	$(CARGO) bench $(LOCKED) -p documents --bench render
	$(CARGO) bench $(LOCKED) -p portals --bench prefill

## Dependencies checked against the RustSec advisories, offline (snapshot in ../shared/rustsec).
audit:
	./scripts/audit.sh

clean-data:
	rm -rf ./data
