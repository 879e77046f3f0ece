# Quick start: `make demo` runs the example tree under tend, `make check` builds
# and runs every test (unit, integration, fuzz, then the e2e suite in real containers).
# They install what is missing with apt-get when run as root.
# `make release` builds the binary users copy (build-release/tend).
BUILD ?= build
RELEASE_BUILD ?= build-release
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
DEB_PACKAGES = cmake g++ make pkg-config libcap-ng-dev libspdlog-dev libfmt-dev \
               libgtest-dev util-linux libcap2-bin procps groff-base
E2E_PACKAGES = podman runc debootstrap podman-compose catatonit busybox-static curl \
               util-linux file
DEB_HEADERS = /usr/include/cap-ng.h /usr/include/spdlog/spdlog.h \
              /usr/include/gtest/gtest.h /usr/include/fmt/format.h

.PHONY: all deps e2e-deps configure tend build check unit integration e2e release install demo clean

all: build

deps:
	@missing=0; for f in $(DEB_HEADERS); do [ -e $$f ] || missing=1; done; \
	command -v cmake >/dev/null && command -v g++ >/dev/null && command -v capsh >/dev/null && command -v groff >/dev/null || missing=1; \
	if [ $$missing = 1 ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y $(DEB_PACKAGES); \
	  else echo "missing build dependencies; as root run: apt-get install -y $(DEB_PACKAGES)" >&2; exit 1; fi; \
	fi

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: configure
	cmake --build $(BUILD) -j $(JOBS)

tend: configure
	cmake --build $(BUILD) -j $(JOBS) --target tend

unit: build
	$(BUILD)/tend_unit_tests

integration: build
	$(BUILD)/tend_integration_tests

check: build
	ctest --test-dir $(BUILD) --output-on-failure -j 2
	$(MAKE) fuzz
	$(MAKE) e2e

# libFuzzer targets of fuzz/ (clang-16 with libc++, see fuzz/run.sh), each for
# FUZZ_SECONDS (default 2); a crash fails the target.
FUZZ_PACKAGES = clang-16 libc++-16-dev libc++abi-16-dev libclang-rt-16-dev
FUZZ_FILES = /usr/bin/clang++-16 /usr/lib/llvm-16/include/c++/v1/expected \
             /usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.fuzzer-x86_64.a
.PHONY: fuzz-deps fuzz
fuzz-deps:
	@missing=0; for f in $(FUZZ_FILES); do [ -e $$f ] || missing=1; done; \
	if [ $$missing = 1 ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y $(FUZZ_PACKAGES); \
	  else echo "missing fuzzing dependencies; as root run: apt-get install -y $(FUZZ_PACKAGES)" >&2; exit 1; fi; \
	fi

fuzz: fuzz-deps
	FUZZ_BUILD=$(BUILD)/fuzz fuzz/run.sh

e2e-deps:
	@missing=0; for t in podman runc debootstrap podman-compose catatonit curl nsenter file; do \
	  command -v $$t >/dev/null || missing=1; done; \
	if [ $$missing = 1 ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y $(E2E_PACKAGES); \
	  else echo "missing e2e tools; as root run: apt-get install -y $(E2E_PACKAGES)" >&2; exit 1; fi; \
	fi

# The images of docker/ built and run with podman (needs root); see tests/e2e/run.sh.
e2e: e2e-deps
	tests/e2e/run.sh

# Static, MinSizeRel, LTO, section GC, stripped (CMakePresets.json "release").
release: deps
	cmake --preset release -B $(RELEASE_BUILD)
	cmake --build $(RELEASE_BUILD) -j $(JOBS) --target tend
	@ls -l $(RELEASE_BUILD)/tend

# Installs the release binary as $(PREFIX)/sbin/tend and its manual page as
# $(PREFIX)/share/man/man8/tend.8 (written from tend --help and docs/).
install: release
	cmake --build $(RELEASE_BUILD) -j $(JOBS) --target tend_man
	cmake --install $(RELEASE_BUILD) --prefix $(PREFIX)

# Runs the example tree. As root it uses the users the examples name; as a
# normal user it runs everything as you (--as-me).
demo: tend
	@if [ "$$(id -u)" = 0 ]; then as_me=; else as_me=--as-me; fi; \
	$(BUILD)/tend $$as_me --services-dir services.d.example \
	  --cont-init-dir cont-init.d.example --cont-finish-dir /nonexistent

clean:
	rm -rf $(BUILD)
