# The two commands of the README. Each installs the Debian packages it needs, then builds.
.PHONY: demo test deps build format docs

deps:
	@bash scripts/install-deps.sh

build: deps
	swift build -c release --product sketch

# The main job: write text with the synthesis model that ships in models/writer (seconds: demo/written.png
# and .svg, each line in each of the model's four styles), then train a quick configuration of the
# handwriting model on the built-in dataset (made on first use) for a few minutes and write samples:
# demo/<experiment>/sketch.png, pen.png, sketch.svg.
DEMO_FLAGS ?= --depth 2 --dim 128 --mix-dim 10 --bs 32 --lr 1e-3 --max-length 300 --epochs 3 \
	--max-batches 500 --test-every 100 --test-batches 10 --sample-every 250 --save-every 100 --grid 4
demo: build
	mkdir -p demo
	.build/release/sketch write --lines models/demo.txt --model models/writer --style all --bias 0.75 -o demo/written
	.build/release/sketch train $(DEMO_FLAGS) --output demo

# Every test (XCTest and Swift Testing), debug build, after the Debian packages only the tests need
# (headless Chromium and its WebDriver, for the page of `sketch serve`: install-deps.sh --test) and the
# Python tools the tests check output with (pygcode and selenium, in .build/test-tools/venv:
# scripts/install-test-tools.sh): once on the default native
# backend, then once in debug mode, where every compiled function runs on both backends and their
# outputs are compared (SKETCH_BACKEND=native: a function the native backend cannot build fails the
# run instead of being compared with the interpreter itself). Then the reference documentation, which
# fails when a public symbol has no one-line summary. The tests of data-parallel training
# (DistributedProcessTests) run `mpirun -np 2 --oversubscribe` on this machine (deps installs Open MPI).
test: deps
	@bash scripts/install-deps.sh --test
	bash scripts/install-test-tools.sh
	swift build --build-tests
	swift test --skip-build
	SKETCH_MODE=debug SKETCH_BACKEND=native swift test --skip-build
	$(MAKE) docs

# Formats every Swift file with the toolchain's swift-format and the checked-in .swift-format.
format:
	swift format -i -r -p Sources Tests Package.swift

# The library's reference (DocC, with the articles of Sources/Codegen/Codegen.docc): one combined
# archive for static hosting in .build/docs/sketch, then a check that every public symbol has a
# one-line summary (scripts/doc-coverage.py lists the ones that do not, and fails).
DOC_TARGETS = SketchRuntime Graph Training Optimizer Codegen
DOCC = swift package --allow-writing-to-directory .build/docs generate-documentation
docs:
	mkdir -p .build/docs
	$(DOCC) $(DOC_TARGETS:%=--target %) --enable-experimental-combined-documentation \
		--transform-for-static-hosting --output-path .build/docs/sketch
	for t in $(DOC_TARGETS); do \
		$(DOCC) --target $$t --experimental-documentation-coverage --output-path .build/docs/coverage-$$t \
			> .build/docs/coverage-$$t.log 2>&1 || { cat .build/docs/coverage-$$t.log; exit 1; }; done
	python3 scripts/doc-coverage.py $(DOC_TARGETS:%=.build/docs/coverage-%)
	@echo "open .build/docs/sketch/documentation/codegen/index.html (or serve .build/docs/sketch)"
