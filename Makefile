# Quick start: `make demo` runs the example tree under tend, `make check` builds
# and runs every test (unit, integration, fuzz, then the e2e suite in real containers).
# They install what is missing with apt-get when run as root.
# `make release` builds the binary users copy (build-release/tend);
# `make release ARCH=arm64` the arm64 one (build-release-arm64/tend), and
# `make dist` both, named for a release, with SHA256SUMS (docs/install.md).
BUILD ?= build
# The machine's architecture by Debian's name (amd64, arm64).
NATIVE_ARCH := $(shell dpkg --print-architecture 2>/dev/null || uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
ARCH ?= $(NATIVE_ARCH)
ifeq ($(ARCH),$(NATIVE_ARCH))
RELEASE_PRESET = release
else
RELEASE_PRESET = release-$(ARCH)
endif
RELEASE_BUILD ?= build-$(RELEASE_PRESET)
VERSION := $(shell sed -n 's/^project.tend VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
# The release binary's size target, for every architecture: 2.0 MB once the
# command line is on CLI11 (which brings the C++ locale). The merged tree is
# at 2,171,272 bytes today: over it, and `make release` says so (a footprint
# target is reported, as bench/ does, not asserted).
RELEASE_MAX_BYTES = 2000000
# ccache, when installed, for every build (CI's container run shares the cache).
LAUNCHER := $(if $(shell command -v ccache),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
DEB_PACKAGES = cmake g++ make pkg-config libcap-ng-dev libspdlog-dev libfmt-dev \
               libgtest-dev libcli11-dev util-linux libcap2-bin procps tzdata groff-base
# Cross-building and testing for arm64 on amd64 (after dpkg --add-architecture arm64).
ARM64_PACKAGES = g++-aarch64-linux-gnu qemu-user-static libcap-ng-dev:arm64 libc6-dev:arm64
ARM64_FILES = /usr/bin/aarch64-linux-gnu-g++ /usr/bin/qemu-aarch64-static \
              /usr/lib/aarch64-linux-gnu/libcap-ng.a /usr/src/googletest/CMakeLists.txt
E2E_PACKAGES = podman runc debootstrap podman-compose catatonit busybox-static curl \
               util-linux file
DEB_HEADERS = /usr/include/cap-ng.h /usr/include/spdlog/spdlog.h \
              /usr/include/gtest/gtest.h /usr/include/fmt/format.h /usr/include/CLI/CLI.hpp

.PHONY: all deps e2e-deps configure tend build check unit integration e2e release install demo clean \
        arm64-deps check-arm64 check-fresh dist image

all: build

deps:
	@missing=0; for f in $(DEB_HEADERS); do [ -e $$f ] || missing=1; done; \
	command -v cmake >/dev/null && command -v g++ >/dev/null && command -v capsh >/dev/null && command -v groff >/dev/null || missing=1; \
	if [ $$missing = 1 ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y $(DEB_PACKAGES); \
	  else echo "missing build dependencies; as root run: apt-get install -y $(DEB_PACKAGES)" >&2; exit 1; fi; \
	fi

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(LAUNCHER)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

tend: configure
	cmake --build $(BUILD) -j $(JOBS) --target tend

unit: build
	$(BUILD)/tend_unit_tests

integration: build
	$(BUILD)/tend_integration_tests

# Everything CI runs: the tests here, fuzzing, the e2e suite, the same unit and
# integration tests again in a fresh container (check-fresh), the arm64 build's
# unit tests and smoke run under qemu-user (check-arm64), then the release
# artifacts (dist) and the two-architecture image (image), each checked.
check: build
	ctest --test-dir $(BUILD) --output-on-failure -j 2
	$(MAKE) fuzz
	$(MAKE) e2e
	$(MAKE) check-fresh
	$(MAKE) check-arm64
	$(MAKE) dist
	$(MAKE) image

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

# Static, MinSizeRel, LTO, section GC, stripped (CMakePresets.json "release",
# "release-arm64" for ARCH=arm64 on amd64), at most RELEASE_MAX_BYTES.
release: deps $(if $(filter arm64,$(ARCH)),$(if $(filter arm64,$(NATIVE_ARCH)),,arm64-deps))
	@[ "$(RELEASE_PRESET)" = release ] || [ -f cmake/aarch64-linux-gnu.cmake -a "$(ARCH)" = arm64 ] || \
	  { echo "make release: no cross build from $(NATIVE_ARCH) to $(ARCH) (ARCH=$(NATIVE_ARCH) or arm64)" >&2; exit 1; }
	cmake --preset $(RELEASE_PRESET) -B $(RELEASE_BUILD) $(LAUNCHER)
	cmake --build $(RELEASE_BUILD) -j $(JOBS) --target tend
	@tests/release/check-binary.sh $(RELEASE_BUILD)/tend $(ARCH) $(RELEASE_MAX_BYTES)

# The release artifacts, from one command: dist/tend-VERSION-linux-amd64,
# dist/tend-VERSION-linux-arm64 and dist/SHA256SUMS.
dist:
	$(MAKE) release ARCH=amd64
	$(MAKE) release ARCH=arm64
	rm -rf dist && mkdir -p dist
	cp build-$(if $(filter amd64,$(NATIVE_ARCH)),release,release-amd64)/tend dist/tend-$(VERSION)-linux-amd64
	cp build-$(if $(filter arm64,$(NATIVE_ARCH)),release,release-arm64)/tend dist/tend-$(VERSION)-linux-arm64
	cd dist && sha256sum tend-$(VERSION)-linux-amd64 tend-$(VERSION)-linux-arm64 > SHA256SUMS
	@cat dist/SHA256SUMS

# docker/Dockerfile's `tend` stage for linux/amd64 and linux/arm64, joined in
# the manifest list tend:VERSION (podman; needs root, no binfmt: the arm64
# stage is cross-compiled and only COPYed), then checked: each image's binary
# and `COPY --from=tend:VERSION` on each platform (tests/release/image.sh).
# TEND_IMAGE_LIST=NAME names the list otherwise. See docs/install.md.
image: e2e-deps
	tests/release/image.sh

arm64-deps:
	@missing=0; for f in $(ARM64_FILES); do [ -e $$f ] || missing=1; done; \
	if [ $$missing = 1 ]; then \
	  if [ "$$(id -u)" = 0 ]; then dpkg --add-architecture arm64 && apt-get update && apt-get install -y $(ARM64_PACKAGES); \
	  else echo "missing arm64 tools; as root run: dpkg --add-architecture arm64; apt-get update; apt-get install -y $(ARM64_PACKAGES)" >&2; exit 1; fi; \
	fi

# The unit tests built for arm64 and run under qemu-aarch64-static, then the
# arm64 release binary as PID 1 of a PID namespace under qemu (tests/arm64/smoke.sh).
# Unit tests whose test process forks (real spawns, children that drop
# privileges) or counts its own threads: under qemu-user the forked child of
# the multi-threaded emulator spins, and qemu adds threads. And the unit tests
# that build a Landlock ruleset on this machine's kernel: Debian 12's
# qemu-user (7.2) does not pass Landlock's system calls on (ENOSYS). Named,
# not hidden: check-arm64 prints them before the run.
QEMU_USER_CANNOT = ^(LandlockRuleset\.IsBuiltCloseOnExecWithTheKernelsAbi|LandlockRuleset\.APathThatVanishedSinceTheCheckIsNamedByItsLine|SupervisorConfinement\.EveryStartAndFinishGetsTheRulesetBuiltOnceAtLoad|SupervisorConfinement\.AnOlderKernelEnforcesWhatItKnowsAndTheStatusSaysWhatIsMissing|SupervisorConfinement\.PathsRequiredOrRequireLandlockRefusesWhatTheKernelCannotEnforce|ChildWatch\.|Spawn\.|CredentialsTest\.UnreadablePasswdIsAnError|ReadEnvdirTest\.UnreadableDirIsAnError|FileReaderTest\.UnreadableFileGivesPermissionDenied|LoggerWrite\.FullNonBlockingStderrDropsTheLineWithoutBlocking|OwnedPipe\.WithoutThePrivilegeItFailsAndChangesNothing|ProbeIdentity\.ConnectsAsTheServiceUserAndRestoresTendsFilesystemIds|ServiceDirTest\.UnreadableFileIsReported|LoggerDefaults\.TextAtVerbosityTwoBeforeSetupAndNoThreads)
ifeq ($(NATIVE_ARCH),arm64)
check-arm64:
	@echo "check-arm64: this machine is arm64; make check's ctest ran the unit and integration tests natively"
else
check-arm64: arm64-deps
	cmake --preset dev-arm64 $(LAUNCHER)
	cmake --build build-arm64 -j $(JOBS) --target tend_unit_tests tend_man
	@echo "check-arm64: not run under qemu-user (they fork a multi-threaded test process, or need Landlock, which qemu-user cannot; docs/install.md):"
	@ctest --test-dir build-arm64 -N -R '$(QEMU_USER_CANNOT)' | grep 'Test *#' || true
	ctest --test-dir build-arm64 --output-on-failure -j 2 --timeout 60 -E '$(QEMU_USER_CANNOT)'
	$(MAKE) release ARCH=arm64
	tests/arm64/smoke.sh build-release-arm64/tend
endif

# The unit and integration tests once more, in a fresh container made from the
# e2e suite's Debian base image with only CI's packages (tests/fresh/run.sh):
# a file left on this machine cannot make them pass.
check-fresh: e2e-deps
	tests/fresh/run.sh

# Installs the release binary as $(PREFIX)/sbin/tend and its manual page as
# $(PREFIX)/share/man/man8/tend.8 (written from tend --help and docs/).
install: release
	cmake --build $(RELEASE_BUILD) -j $(JOBS)
	cmake --install $(RELEASE_BUILD) --prefix $(PREFIX)

# Runs the example tree. As root it uses the users the examples name; as a
# normal user it runs everything as you (--as-me).
demo: tend
	@if [ "$$(id -u)" = 0 ]; then as_me=; else as_me=--as-me; fi; \
	$(BUILD)/tend $$as_me --services-dir services.d.example \
	  --cont-init-dir cont-init.d.example --cont-finish-dir /nonexistent

clean:
	rm -rf $(BUILD) build-release build-release-arm64 build-arm64 dist
