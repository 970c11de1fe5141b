# Test programs and the helper integration test suite (helpertest).
# Included by native/Makefile (`-include itest.mk`); also usable alone with
# `make -f itest.mk ...` from native/.
#
#   make -C native testprogs [OUT=dir]      -> dir/testprogs/<name>    (host gcc)
#   make -C native itest     [OUT=dir]      -> dir/itest/helpertest + testprogs
#   make -C native itest-run ARCH=x86_64|aarch64|armhf [OUT=dir]
#        builds the helper for ARCH (via `$(MAKE) helper`) into
#        dir/itest-helper-ARCH/ and runs helpertest against it, under
#        qemu-aarch64-static (aarch64) or qemu-arm-static -cpu arm1176 (armhf).
#
# Everything here is built natively for the host (x86_64): only the helper is
# cross-built. Variables are prefixed ITEST_ so they do not clash with the
# helper's CC/CFLAGS, which depend on ARCH.

ARCH ?= x86_64

ITEST_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
ITEST_CC ?= gcc
ITEST_CFLAGS ?= -O2 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation
# OUT as given by the user (command line or environment); when it is only the
# helper Makefile's own default (build/$(ARCH)) or unset, use build.
ifneq ($(filter command line environment environment override,$(origin OUT)),)
ITEST_OUT := $(abspath $(OUT))
else
ITEST_OUT := $(abspath build)
endif

ITEST_PROG_SRCS := $(wildcard $(ITEST_DIR)testprogs/*.c)
ITEST_PROGS := $(patsubst $(ITEST_DIR)testprogs/%.c,$(ITEST_OUT)/testprogs/%,$(ITEST_PROG_SRCS))
ITEST_SUITE_SRCS := $(wildcard $(ITEST_DIR)itest/*.c)
ITEST_SUITE_HDRS := $(wildcard $(ITEST_DIR)itest/*.h)
ITEST_SUITE := $(ITEST_OUT)/itest/helpertest

ITEST_PREFIX_x86_64 :=
ITEST_PREFIX_aarch64 := qemu-aarch64-static
ITEST_PREFIX_armhf := qemu-arm-static -cpu arm1176
ITEST_HELPER_OUT := $(ITEST_OUT)/itest-helper-$(ARCH)

.PHONY: testprogs itest itest-run

testprogs: $(ITEST_PROGS)

$(ITEST_OUT)/testprogs/%: $(ITEST_DIR)testprogs/%.c
	@mkdir -p $(dir $@)
	$(ITEST_CC) $(ITEST_CFLAGS) -o $@ $<

itest: testprogs $(ITEST_SUITE)

$(ITEST_SUITE): $(ITEST_SUITE_SRCS) $(ITEST_SUITE_HDRS)
	@mkdir -p $(dir $@)
	$(ITEST_CC) $(ITEST_CFLAGS) -o $@ $(ITEST_SUITE_SRCS)

itest-run: itest
	@case "$(ARCH)" in x86_64|aarch64|armhf) ;; \
	  *) echo "itest-run: ARCH must be x86_64, aarch64 or armhf (got '$(ARCH)')" >&2; exit 2;; esac
	$(MAKE) helper ARCH=$(ARCH) OUT=$(ITEST_HELPER_OUT)
	$(ITEST_SUITE) --helper $(ITEST_HELPER_OUT)/corral-helper \
	  --prefix "$(ITEST_PREFIX_$(ARCH))" --testprogs $(ITEST_OUT)/testprogs
