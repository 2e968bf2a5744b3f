# The two commands of the README. Each installs the Debian packages it needs, then builds.
.PHONY: demo test deps build

deps:
	@bash scripts/install-deps.sh

build: deps
	swift build -c release --product sketch

# The main job: train the handwriting model on the built-in dataset and write samples.
demo: build
	.build/release/sketch train

# Every test (XCTest and Swift Testing), debug build.
test: deps
	swift build --build-tests
	swift test --skip-build
