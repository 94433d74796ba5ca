# pam_otp - plain GNU make + pkg-config.
#   make            build pam_module/pam_otp.so and cli/otpctl
#   make check      unit, CLI and PAM-stack tests (SANITIZE=1: ASan+UBSan;
#                   SANITIZE=thread: ThreadSanitizer, in build-tsan/)
#   make demo       enroll a user in a private store and log in through PAM
#   make install    DESTDIR/PREFIX aware

PREFIX   ?= /usr
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
PAMDIR   ?= /lib/$(MULTIARCH)/security

CC       ?= cc
# otpctl --version: the version of the newest debian/changelog entry
VERSION  := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog 2>/dev/null)
PKGS     := pam libcrypto lmdb libpq libconfuse libqrencode libcrypt libpng jansson
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libpq is not linked but loaded by the first use of a PostgreSQL store
# (common/pqload.h): a login on an LMDB store never maps it.
PKG_LIBS   = $(shell pkg-config --libs $(filter-out libpq,$(PKGS)) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wconversion -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-sign-conversion
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -fPIC -fvisibility=hidden -D_GNU_SOURCE -fstack-protector-strong \
            -D_FORTIFY_SOURCE=2 $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Icommon
LDFLAGS  ?=
# --as-needed: the module loads only what it calls (libpam dlopens it, and
# its libraries, on every login in many PAM applications)
ALL_LDFLAGS = -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS)

ifeq ($(SANITIZE),1)
ALL_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=address,undefined
BUILD := build-san
else ifeq ($(SANITIZE),thread)
# ThreadSanitizer: the module, otpctl, libotp and every test program are
# instrumented; a data race in any of them fails the run (tests/tests.mk).
ALL_CFLAGS  += -fsanitize=thread -fno-omit-frame-pointer
ALL_LDFLAGS += -fsanitize=thread
BUILD := build-tsan
else
BUILD := build
endif

COMMON_SRC := $(wildcard common/*.c)
MODULE_SRC := $(wildcard pam_module/*.c)
CLI_SRC    := $(wildcard cli/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
MODULE_OBJ := $(MODULE_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/%.o)
LIBOTP     := $(BUILD)/libotp.a

MODULE := pam_module/pam_otp.so
CLI    := cli/otpctl

# The module and otpctl sit at fixed paths whatever the flavour: relink them
# when SANITIZE changes, so a plain build never keeps sanitized binaries.
FLAVOR := build/.flavor
$(shell mkdir -p build; [ "$$(cat $(FLAVOR) 2>/dev/null)" = "$(BUILD)" ] || echo $(BUILD) > $(FLAVOR))

.PHONY: all deps deps-test check check-unit check-cli check-pam demo install clean
all: $(MODULE) $(CLI)

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh build test

$(BUILD)/%.o: %.c $(wildcard common/*.h) $(wildcard pam_module/*.h) $(wildcard cli/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/cli/otpctl.o: ALL_CFLAGS += -DOTP_VERSION='"$(or $(VERSION),unknown)"'
$(BUILD)/cli/otpctl.o: debian/changelog

$(LIBOTP): $(COMMON_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(MODULE): $(MODULE_OBJ) $(LIBOTP) pam_module/pam_otp.map $(FLAVOR)
	@echo "  LD      $@"
	@$(CC) -shared $(ALL_CFLAGS) $(ALL_LDFLAGS) -Wl,--version-script=pam_module/pam_otp.map \
		-Wl,-z,nodelete \
		-o $@ $(MODULE_OBJ) $(LIBOTP) $(PKG_LIBS)

$(CLI): $(CLI_OBJ) $(LIBOTP) $(FLAVOR)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIBOTP) $(PKG_LIBS)

include tests/tests.mk
include tests/fuzz.mk

demo: deps-test
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)
	install -m 0644 $(MODULE) $(DESTDIR)$(PAMDIR)/pam_otp.so
	install -m 0755 $(CLI) $(DESTDIR)$(SBINDIR)/otpctl
	test -e $(DESTDIR)$(SYSCONFDIR)/pam_otp.conf || \
		install -m 0644 etc/pam_otp.conf $(DESTDIR)$(SYSCONFDIR)/pam_otp.conf
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/pam_otp.8 man/otpctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/pam_otp.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 etc/bash_completion.d/otpctl \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/otpctl

clean:
	rm -rf build build-san build-tsan $(MODULE) $(CLI) tests/unit/run_* tests/pam/pamtest_driver

# Debian packages, built in a scratch copy; the results land in dist/.
.PHONY: deb
deb:
	@scripts/deps.sh deb
	@scripts/build-deb.sh

# Benchmarks (not part of check): QUICK=1 for a run of a few minutes.
.PHONY: bench
bench: all
	@scripts/deps.sh build test bench
	@QUICK=$(QUICK) bench/run.sh

# The PostgreSQL engine's benchmarks alone (make bench runs them too):
# a private cluster, 10 to 1M users; QUICK=1 for a short run.
.PHONY: bench-pg
bench-pg: all
	@scripts/deps.sh build test bench
	@QUICK=$(QUICK) bench/pg.sh
