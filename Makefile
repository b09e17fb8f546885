# Olla: build, run, test. `make run` and `make test` are the README's two commands.
#
# Each step installs the Debian packages it needs (scripts/need-debian-packages.sh: as root
# directly, else with sudo, else it names them and stops). Python test packages live in a
# virtual environment, $(VENV), made from $(PYTHON); the system interpreter is never changed.
SHELL := /bin/bash
SWIFT ?= swift
## The interpreter the test venv is made from: `make test PYTHON=/usr/bin/python3`.
PYTHON ?= python3
VENV ?= .venv
## A configuration file for `make run`; empty means the daemon's built-in defaults
## (listen on localhost:40114, forward to the Ollama at http://localhost:11434).
CONFIG ?=
RELEASE_BIN := .build/release/olla
NEED := scripts/need-debian-packages.sh

# Debian packages, by the step that needs them. Add yours to the step that needs it.
# libmicrohttpd and libcurl are built from Debian's source with Olla's patches
# (scripts/libmicrohttpd/, scripts/libcurl/): the build needs a C compiler, make, patch, xz and
# curl for those, dpkg-dev and Debian's archive keyring to fetch and unpack curl's source
# package through apt, and OpenSSL's headers (libcurl links Debian's libssl3 dynamically).
BUILD_DEBS := libssl-dev pkg-config gcc make patch xz-utils curl ca-certificates dpkg-dev debian-archive-keyring
DEMO_DEBS := python3
TEST_DEBS := python3 curl iproute2
PACKAGE_TEST_DEBS := dpkg-dev binutils gzip lintian debootstrap curl python3
# `make bench-instructions` (valgrind callgrind/massif, strace, nginx beside Olla, the C helpers).
BENCH_INSTR_DEBS := valgrind strace nginx gcc libc6-dev
# Headless Chromium for the fleet page's browser test (test_50); the test is skipped without it.
BROWSER_TEST_DEBS := chromium chromium-driver
# Python packages of the tests (installed into $(VENV)).
REQUIREMENTS := Tests/Integration/requirements.txt
VENV_PYTHON := $(VENV)/bin/python

.PHONY: deps build-deps test-deps browser-test-deps ui build release run demo test unit integration package-test \
        clean deb test-deb bench doc-check

## Everything every step needs: Debian packages and the test venv.
deps: build-deps test-deps

build-deps:
	@command -v $(SWIFT) >/dev/null || { echo "swift not found: install Swift 6 (https://www.swift.org/install/linux/) and put it on PATH" >&2; exit 1; }
	@$(NEED) --for "building Olla" $(BUILD_DEBS)
	@scripts/libmicrohttpd/build.sh
	@scripts/libcurl/build.sh

test-deps: $(VENV)/.installed browser-test-deps

# Best effort: where Chromium cannot be installed the browser test says SKIP and why.
browser-test-deps:
	@$(NEED) --for "the fleet page's browser test" $(BROWSER_TEST_DEBS) || \
	  echo "the fleet page's browser test (test_50) will be skipped"

# The venv is remade when $(PYTHON) names another interpreter than the one it was made from,
# and its packages are reinstalled when the requirements change. A Debian python3 without
# ensurepip cannot make one: python3-venv is installed then, and the venv made again.
PYTHON_ID = $(PYTHON) -c 'import sys; print(sys.base_prefix, sys.version_info[:2])'
$(VENV)/.installed: $(REQUIREMENTS) FORCE
	@$(NEED) --for "the tests" $(TEST_DEBS)
	@base=$$($(PYTHON_ID) 2>/dev/null); \
	if [ ! -x $(VENV_PYTHON) ] || [ "$$(cat $(VENV)/.base 2>/dev/null)" != "$$base" ]; then \
	  rm -rf $(VENV); \
	  echo "making the test venv $(VENV) from $(PYTHON)"; \
	  $(PYTHON) -m venv $(VENV) >/dev/null 2>&1 || { rm -rf $(VENV) && \
	    $(NEED) --for "a Python venv" python3-venv && $(PYTHON) -m venv $(VENV); } || exit 1; \
	  $(PYTHON_ID) > $(VENV)/.base; \
	fi
	@if [ ! -f $@ ] || [ $(REQUIREMENTS) -nt $@ ]; then \
	  echo "installing $(REQUIREMENTS) into $(VENV)"; \
	  $(VENV_PYTHON) -m pip install -q --disable-pip-version-check -r $(REQUIREMENTS) && touch $@; \
	fi
FORCE:

build: build-deps
	$(SWIFT) build

release: build-deps
	$(SWIFT) build -c release

## Builds the release binary and runs it in the foreground: `CONFIG=file make run` for a file.
run: release
	$(RELEASE_BIN) $(if $(CONFIG),--config $(CONFIG))

## Olla in front of two simulated Ollama instances (no Ollama needed); Ctrl-C stops all.
demo: release
	@$(NEED) --for "make demo" $(DEMO_DEBS)
	@python3 scripts/demo.py --olla $(RELEASE_BIN)

unit: build-deps
	$(SWIFT) test
	@scripts/doc-check.sh --strict

## Integration and end-to-end tests start the release binary against mock Ollama backends.
integration: release test-deps
	OLLA_BIN=$(CURDIR)/$(RELEASE_BIN) $(VENV_PYTHON) -m pytest Tests/Integration -q -p no:cacheprovider

## The package test needs root (debootstrap, chroot, mount); elsewhere it says SKIP and why.
package-test:
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "SKIP package test: needs root (debootstrap, chroot, mount); run it with: sudo make package-test"; \
	else \
	  $(NEED) --for "the package test" $(PACKAGE_TEST_DEBS) && Tests/Packaging/test_deb.sh; \
	fi

test: deps unit fuzz-smoke integration package-test

## Public declarations without a `///` doc comment, per module, from `swift format lint`'s
## AllPublicDeclarationsHaveDocumentation rule (scripts/doc-check.sh). `make unit` runs it with
## --strict, so a public declaration without one fails the unit step (about 2 s).
doc-check:
	@scripts/doc-check.sh

## Regenerates the fleet page's embedded copy after editing ui/*.html, *.css or *.js.
ui:
	$(PYTHON) ui/embed.py

clean:
	rm -rf .build $(VENV) .build-fuzz .build-tsan .build-asan .build-soak

## Builds out/olla_<version>_<arch>.deb (static Swift stdlib, stripped, lintian-checked).
deb: build-deps
	packaging/build-deb.sh

## Installs the package in a debootstrapped Debian 12 root and runs it (root, about 1 min).
test-deb:
	Tests/Packaging/test_deb.sh

## The benchmark of issue 4: direct vs nginx vs Olla, a few minutes (docs/benchmarks.md).
bench:
	bench/run.sh

## The instruction benchmark of issue 14: instructions (callgrind), syscalls (strace) and heap
## bytes (massif) per small request, per forwarded chunk, per stream end and per open stream,
## Olla and nginx side by side, with PASS/FAIL against the issue's targets; ~5 min
## (docs/benchmarks.md). OLLA_BIN=path benches an existing binary.
.PHONY: bench-instructions
bench-instructions:
	@$(NEED) --for "make bench-instructions" $(BENCH_INSTR_DEBS)
	bench/instructions.sh

## The routing benchmark of issue 9: least-connections, model-aware, residency-aware and a static
## model->instance map side by side on a simulated Ollama fleet, seeds 1-3 pooled, ~18 min
## (docs/benchmarks.md). BENCH_SECONDS per scenario and seed (default 60), BENCH_SEED=N for one
## seed (~6 min), BENCH_QUICK=1 for a 2-minute smoke run.
.PHONY: bench-routing
bench-routing: release
	OLLA_BIN=$(CURDIR)/$(RELEASE_BIN) timeout -s INT $${BENCH_TIMEOUT:-3600} $(PYTHON) -u bench/routing/fleet_bench.py

## libFuzzer targets over the parsers of outside input (Tests/Fuzz, docs/security.md):
## FUZZ_SECONDS each (all targets, or the names in FUZZ_TARGETS), built under .build-fuzz.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
.PHONY: fuzz fuzz-smoke tsan asan soak
fuzz: build-deps
	Tests/Fuzz/fuzz.sh run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

## The same targets for a few seconds each (about 2 min with the build): part of `make test`.
fuzz-smoke: build-deps
	Tests/Fuzz/fuzz.sh run 3

## The unit tests under ThreadSanitizer (scratch path .build-tsan).
tsan: build-deps
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan

## The integration suite against the daemon built with AddressSanitizer (.build-asan). Every
## daemon the tests start writes its sanitizer reports to .build-asan/reports/; any report
## fails the target, even when the tests themselves passed. The quarantine of freed memory is
## kept small (ASan's default holds 256 MB), so the tests' RSS bounds measure Olla, not ASan.
asan: build-deps test-deps
	$(SWIFT) build -c release --sanitize=address --scratch-path .build-asan
	@rm -rf .build-asan/reports && mkdir -p .build-asan/reports
	ASAN_OPTIONS=log_path=$(CURDIR)/.build-asan/reports/asan:detect_leaks=1:quarantine_size_mb=16:thread_local_quarantine_size_kb=256 \
	  OLLA_BIN=$(CURDIR)/.build-asan/release/olla $(VENV_PYTHON) -m pytest Tests/Integration -q -p no:cacheprovider; \
	status=$$?; if ls .build-asan/reports/asan.* >/dev/null 2>&1; then \
	  echo "AddressSanitizer reports:"; head -n 40 .build-asan/reports/asan.*; exit 1; fi; exit $$status

## Long runs on loopback, about 4 min (docs/operations.md "Soak test"): streams in rounds
## (RSS per round), idle connections (fds), backend restarts under load.
SOAK_DEBS := gcc libc6-dev python3
soak: release
	@$(NEED) --for "make soak" $(SOAK_DEBS)
	OLLA_BIN=$(CURDIR)/$(RELEASE_BIN) Tests/Soak/run.sh
