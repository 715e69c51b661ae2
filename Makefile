# A thin wrapper over meson: `meson setup/compile/test` work directly too.
#   make run    install what is missing, build, start Vireo
#   make check  install what is missing (and the test tools), build with
#               clang + ASan/UBSan + libFuzzer, run every test tier
# The last line of `make check` is "N passed, N failed[, N skipped]".

RUN_DIR   ?= _build/run
CHECK_DIR ?= _build/check
MESON     ?= meson

.PHONY: all run check build clean deps-run deps-check

all: build

deps-run:
	@sh build-aux/install-deps.sh run

deps-check:
	@sh build-aux/install-deps.sh check

$(RUN_DIR)/build.ninja:
	$(MESON) setup $(RUN_DIR) --buildtype=debugoptimized

build: deps-run $(RUN_DIR)/build.ninja
	$(MESON) compile -C $(RUN_DIR)

run: build
	$(MESON) devenv -C $(RUN_DIR) ./vireo

$(CHECK_DIR)/build.ninja:
	CC=clang $(MESON) setup $(CHECK_DIR) -Db_sanitize=address,undefined -Dfuzzing=true

check: deps-check $(CHECK_DIR)/build.ninja
	@$(MESON) compile -C $(CHECK_DIR)
	@status=0; $(MESON) test -C $(CHECK_DIR) --print-errorlogs --num-processes 2 || status=$$?; \
	  python3 build-aux/test-summary.py $(CHECK_DIR)/meson-logs/testlog.json || status=1; \
	  exit $$status

clean:
	rm -rf _build
