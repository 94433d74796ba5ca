# Tests: unit (cmocka), PAM stacks (pam_wrapper + libpamtest), CLI, QR.
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRC:tests/unit/test_%.c=$(BUILD)/tests/run_%)
TEST_LIBS  = $(PKG_LIBS) $(shell pkg-config --libs cmocka libpamtest 2>/dev/null)
TEST_CFLAGS = $(filter-out -Werror -Wmissing-prototypes -Wconversion,$(ALL_CFLAGS)) -Wno-unused-result

$(BUILD)/tests/run_%: tests/unit/test_%.c tests/unit/store_fixture.h $(LIBOTP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBOTP) $(TEST_LIBS)

$(BUILD)/tests/pam_flow: tests/pam/test_pam.c $(LIBOTP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBOTP) $(TEST_LIBS)

# pam_wrapper must come first in the preload list, after the sanitizer's
# runtime when there is one; deep binding does not mix with sanitizers.
# ASan intercepts crypt_r and looks up the real one when the process starts,
# before libpam loads the module that brings libcrypt in: preload libcrypt too.
ifeq ($(SANITIZE),1)
ASAN_RT := $(shell $(CC) -print-file-name=libasan.so)
PRELOAD := $(ASAN_RT):libpam_wrapper.so:libcrypt.so.1
SAN_ENV := PAM_WRAPPER_DISABLE_DEEPBIND=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# sshd and sudo cannot load a module built with ASan: e2e runs unsanitized
RUN_ENV := OTP_SKIP_E2E=1
else ifeq ($(SANITIZE),thread)
# make check SANITIZE=thread: every suite with ThreadSanitizer (build-tsan/),
# the threaded and forking PAM hosts of tests/concurrency/test_threads.sh
# above all. Any report ends the process with status 66, which fails its
# suite; tests/tsan.supp names what is not ours (glibc's loader). libtsan
# must come first in a preload list (before pam_wrapper); uninstrumented
# hosts (pamtester) get it preloaded the same way. pam_wrapper 1.1.4 turns
# its RTLD_DEEPBIND off (which no sanitizer allows) only for libasan in
# LD_PRELOAD or UID_WRAPPER_DISABLE_DEEPBIND (sic). TSan intercepts crypt_r
# as ASan does: libcrypt is preloaded for the same reason (above).
TSAN_RT := $(shell $(CC) -print-file-name=libtsan.so)
PRELOAD := $(TSAN_RT):libpam_wrapper.so:libcrypt.so.1
SAN_ENV := PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
           TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp
RUN_ENV := OTP_SKIP_E2E=1
else
PRELOAD := libpam_wrapper.so
SAN_ENV :=
RUN_ENV :=
endif
export TEST_PRELOAD := $(PRELOAD)

check: deps-test
	@if [ "$$(id -u)" -eq 0 ]; then scripts/deps.sh e2e; fi
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(BUILD)/tests/pam_flow $(BUILD)/tests/race $(BUILD)/tests/hammer $(BUILD)/tests/exports $(BUILD)/tests/raw_audit $(BUILD)/tests/qrtext $(BUILD)/tests/threads $(BUILD)/tests/forks
	@$(RUN_ENV) tests/run_all.sh "$(BUILD)" "$(SAN_ENV)"

check-unit: all $(UNIT_BINS)
	@for t in $(UNIT_BINS); do $$t || exit 1; done

$(BUILD)/tests/race: tests/concurrency/race.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lpam

# threads, forks: multi-threaded and forking PAM hosts (test_threads.sh)
$(BUILD)/tests/threads $(BUILD)/tests/forks: $(BUILD)/tests/%: tests/concurrency/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -pthread -o $@ $< -lpam $(shell pkg-config --libs libcrypto)

$(BUILD)/tests/hammer: tests/concurrency/hammer.c $(LIBOTP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBOTP) $(TEST_LIBS)

# raw_audit: writes an audit record with raw fields, as an old store may hold
$(BUILD)/tests/raw_audit: tests/cli/raw_audit.c $(LIBOTP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBOTP) $(TEST_LIBS)

# qrtext: prints otp_qr_text of an argument (tests/cli/test_qrtext.sh)
$(BUILD)/tests/qrtext: tests/cli/qrtext.c $(LIBOTP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBOTP) $(TEST_LIBS)

$(BUILD)/tests/exports: tests/pam/test_exports.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(TEST_LIBS) -ldl

# valgrind memcheck over the PAM flows and the store tests: no errors, no
# definite leaks (every pam_start/pam_end cycle cleans up after itself).
VALGRIND := valgrind --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite --track-fds=no
.PHONY: valgrind
valgrind: all $(BUILD)/tests/pam_flow $(BUILD)/tests/run_store
	@echo "== valgrind: store transactions"
	@$(VALGRIND) $(BUILD)/tests/run_store >/tmp/otp-vg.log 2>&1 || { cat /tmp/otp-vg.log; exit 1; }
	@tail -n 1 /tmp/otp-vg.log
	@echo "== valgrind: PAM login flows"
	@env LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_DISABLE_DEEPBIND=1 \
		PAM_WRAPPER_MODULES=$$(pkg-config --variable=modules pam_wrapper) \
		PAM_OTP_MODULE=$(CURDIR)/$(MODULE) \
		$(VALGRIND) $(BUILD)/tests/pam_flow >/tmp/otp-vg.log 2>&1 || \
		{ grep -v PWRAP_ERROR /tmp/otp-vg.log; exit 1; }
	@grep -E '^\[  (PASSED|FAILED)' /tmp/otp-vg.log
