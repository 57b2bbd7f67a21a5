# The contract with a new user: `make run` and `make test`.
# Both install missing Debian packages (as root; otherwise they print the
# exact apt-get command and stop), configure and build.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMKCTL := $(BUILD)/reconciler/cli/cmkctl

.PHONY: all deps build run test bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/demo.sh $(CMKCTL)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	$(BUILD)/bench/crypto_bench
	bench/wire_read_bench.sh $(CMKCTL)

clean:
	rm -rf $(BUILD)
