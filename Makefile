# The contract with a new user: `make run` and `make test`.
# Both install missing Debian packages (as root; otherwise they print the
# exact apt-get command and stop) and configure. `make run` builds only the
# cmkctl binary and runs the demo on the local sandbox; `make test` builds
# everything (tests and benchmarks too), installs the test-only packages
# (scripts/install-deps.sh --test: Chromium for the HTML report) and runs every test.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMKCTL := $(BUILD)/reconciler/cli/cmkctl

.PHONY: all deps configure build cmkctl run test bench bench-full clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

configure: deps $(BUILD)/CMakeCache.txt

cmkctl: configure
	cmake --build $(BUILD) -j $(JOBS) --target cmkctl

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: cmkctl
	@scripts/demo.sh $(CMKCTL)

test: build
	@scripts/install-deps.sh --test
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Figures, not pass/fail: the crypto core, reads over the wire, and the
# fleet benchmark at its small sizes (bench-full: 20 to 200 vaults).
bench: build
	$(BUILD)/bench/crypto_bench
	bench/wire_read_bench.sh $(CMKCTL)
	bench/fleet/fleet_bench.sh $(CMKCTL) $(BUILD)/bench/measure "5 10 20"
	bench/fleet/fleet_wire_bench.sh $(CMKCTL) $(BUILD)/bench/measure "5"
	bench/load_bench.sh $(CMKCTL) $(BUILD)/bench/measure "5000 20000 100000"

bench-full: build
	bench/fleet/fleet_bench.sh $(CMKCTL) $(BUILD)/bench/measure "20 50 100 200"
	bench/fleet/fleet_wire_bench.sh $(CMKCTL) $(BUILD)/bench/measure "20 50"

clean:
	rm -rf $(BUILD)
