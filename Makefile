# concord — top-level entry points. `make demo` and `make test` work on a fresh Debian 12 machine:
# each installs what is missing (scripts/deps.sh), builds, then runs.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all deps build test demo quickstart bench clean format

all: build

deps:
	@bash scripts/deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 1800 --repeat until-pass:2

# The demo: a generated CRM and ERP, 30 s of live business, the report (src/demo).
demo: build
	$(BUILD_DIR)/concord demo --dir demo-out

# The small scripted example (examples/quickstart): the commands one by one.
quickstart: build
	bash examples/quickstart/run.sh $(BUILD_DIR)/concord quickstart-out

bench: build
	bash bench/run.sh $(BUILD_DIR)

format:
	find src tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
