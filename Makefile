# Thin wrapper over CMake: the two commands of the README.
#   make demo   install dependencies, build, index corpus/, run example searches
#   make test   install dependencies, build, run every test in a normal build
#               and again under AddressSanitizer + UndefinedBehaviorSanitizer
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
ASAN_BUILD ?= build-asan

.PHONY: all deps build demo test test-normal test-asan bench clean

all: build

deps:
	@scripts/deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo $(BUILD)/bin

test: deps test-normal test-asan

test-normal:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLEDE_SANITIZE=ON -DLEDE_BENCH=OFF >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	# The unit tests run twice at most: Criterion forks each test while
	# its message thread may hold the sanitizer allocator's lock, which
	# GCC 12's libsanitizer does not take around fork, and such a child
	# hangs in its first malloc (seen twice in ~40 runs on a loaded
	# machine); their sanitizer timeout (tests/CMakeLists.txt) ends it.
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -R '^test_' --repeat until-pass:2
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -E '^test_'

bench: build
	@bench/run $(BUILD)/bin

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
