# Tests: unit (cmocka), PAM stacks (pam_wrapper + libpamtest), CLI, QR.
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRC:tests/unit/test_%.c=$(BUILD)/tests/run_%)
TEST_LIBS  = $(PKG_LIBS) $(shell pkg-config --libs cmocka libpamtest 2>/dev/null)
TEST_CFLAGS = $(filter-out -Werror -Wmissing-prototypes -Wconversion,$(ALL_CFLAGS)) -Wno-unused-result

$(BUILD)/tests/run_%: tests/unit/test_%.c $(LIBOTP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBOTP) $(TEST_LIBS)

$(BUILD)/tests/pam_flow: tests/pam/test_pam.c $(LIBOTP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBOTP) $(TEST_LIBS)

# pam_wrapper must come first in the preload list, after the sanitizer's
# runtime when there is one; deep binding does not mix with sanitizers.
ifeq ($(SANITIZE),1)
ASAN_RT := $(shell $(CC) -print-file-name=libasan.so)
PRELOAD := $(ASAN_RT):libpam_wrapper.so
SAN_ENV := PAM_WRAPPER_DISABLE_DEEPBIND=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
PRELOAD := libpam_wrapper.so
SAN_ENV :=
endif
export TEST_PRELOAD := $(PRELOAD)

check: deps-test
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(BUILD)/tests/pam_flow $(BUILD)/tests/race $(BUILD)/tests/hammer
	@tests/run_all.sh "$(BUILD)" "$(SAN_ENV)"

check-unit: all $(UNIT_BINS)
	@for t in $(UNIT_BINS); do $$t || exit 1; done

$(BUILD)/tests/race: tests/concurrency/race.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lpam

$(BUILD)/tests/hammer: tests/concurrency/hammer.c $(LIBOTP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBOTP) $(TEST_LIBS)
