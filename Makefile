# Olla: build, run, test. `make run` and `make test` are the README's two commands.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= config.example.json
DEB_PACKAGES := libmicrohttpd-dev libcurl4-openssl-dev pkg-config python3 python3-pip
RELEASE_BIN := .build/release/olla

.PHONY: deps build release run test unit integration package-test clean deb test-deb

## Installs the Debian packages and Python test clients that are missing.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y $$missing; \
	fi
	@python3 -c 'import ollama, openai, pytest' 2>/dev/null || python3 -m pip install -q -r Tests/Integration/requirements.txt

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

## Builds the release binary and runs it in the foreground with $(CONFIG).
run: deps release
	$(RELEASE_BIN) --config $(CONFIG)

unit:
	$(SWIFT) test

## Integration and end-to-end tests start the release binary against mock Ollama backends.
integration: release
	OLLA_BIN=$(CURDIR)/$(RELEASE_BIN) python3 -m pytest Tests/Integration -q -p no:cacheprovider

## The package test needs root (debootstrap, chroot); elsewhere it is skipped with a note.
package-test:
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) test-deb; else echo "package test skipped: needs root"; fi

test: deps unit integration package-test

clean:
	rm -rf .build

## Builds out/olla_<version>_<arch>.deb (static Swift stdlib, stripped, lintian-checked).
deb:
	packaging/build-deb.sh

## Installs the package in a debootstrapped Debian 12 root and runs it (root, about 1 min).
test-deb:
	Tests/Packaging/test_deb.sh

## The benchmark of issue 4: direct vs nginx vs Olla, a few minutes (docs/benchmarks.md).
.PHONY: bench
bench:
	bench/run.sh
