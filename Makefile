# The README's commands. `make run` and `make check` do all set-up on a
# fresh Debian 12 machine (as root): see scripts/setup.sh.

DB      ?= data/wangge.db
LISTEN  ?= 127.0.0.1:8080
BUILD   := build
CHECK   := build-check

.PHONY: run build check unit api bench clean

run: build
	@mkdir -p $(dir $(DB))
	$(BUILD)/wangge init --db $(DB)
	$(BUILD)/wangge demo --db $(DB)
	exec $(BUILD)/wangge serve --db $(DB) --listen $(LISTEN)

build:
	@scripts/setup.sh run
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --buildtype=release
	ninja -C $(BUILD)

# The check build: debug, ASan + UBSan, fault injection compiled in.
$(CHECK)/build.ninja:
	meson setup $(CHECK) --buildtype=debug -Db_sanitize=address,undefined \
	    -Db_lundef=false -Dfault_injection=true

export ASAN_OPTIONS := abort_on_error=1:detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS := halt_on_error=1:print_stacktrace=1

check:
	@scripts/setup.sh check
	@$(MAKE) --no-print-directory $(CHECK)/build.ninja
	ninja -C $(CHECK)
	@# The release build too: -O3 finds warnings (errors here) that -O0 does not.
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --buildtype=release
	ninja -C $(BUILD)
	meson test -C $(CHECK) --print-errorlogs
	WANGGE_BIN=$(CURDIR)/$(CHECK)/wangge node --test --test-concurrency=1 tests/api/
	WANGGE_BIN=$(CURDIR)/$(CHECK)/wangge node --test --test-concurrency=1 tests/browser/

bench: build
	@scripts/setup.sh bench
	bench/http/run.sh $(BUILD)/wangge
	WG_PATH=/app/js/api.js bench/http/run.sh $(BUILD)/wangge
	bench/locate/run.sh $(BUILD)/bench_locate
	bench/intake/run.sh $(BUILD)/wangge
	bench/kpi/run.sh $(BUILD)/wangge

clean:
	rm -rf $(BUILD) $(CHECK)
