# libFuzzer targets (clang). make fuzz FUZZ_SECONDS=N runs each for N seconds
# from the committed seeds; make fuzz-regress replays seeds and the inputs
# that once crashed (tests/fuzz/regress/), as make check does.
FUZZ_TARGETS := base32 uri records config import time textsafe
FUZZ_SECONDS ?= 30
FUZZ_DIR     := build-fuzz
FUZZ_CC      := clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   = -std=gnu11 -g -O1 -D_GNU_SOURCE -Icommon $(PKG_CFLAGS) $(FUZZ_SAN)
FUZZ_OBJ     := $(COMMON_SRC:%.c=$(FUZZ_DIR)/%.o)
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

$(FUZZ_DIR)/%.o: %.c $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	@echo "  FUZZ    $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

.SECONDARY: $(FUZZ_OBJ)
.PHONY: fuzz fuzz-regress
fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$t tests/fuzz/regress/$$t; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
			-artifact_prefix=tests/fuzz/regress/$$t/ \
			$(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t 2>&1 | tail -n 2 || exit 1; \
	done

fuzz-regress: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
		files=$$(find tests/fuzz/corpus/$$t tests/fuzz/regress/$$t -type f 2>/dev/null); \
		$(FUZZ_DIR)/fuzz_$$t $$files >/dev/null 2>&1 || { echo "fuzz_$$t: a kept input fails"; exit 1; }; \
		echo "ok - fuzz_$$t replays $$(echo $$files | wc -w) kept inputs"; \
	done
