# SPDX-License-Identifier: GPL-2.0
# loadavg-rs: Linux's load average recomputed, and split by cause, in a Rust kernel module.
#
#   make                       build loadavg_rs.ko against the cached test kernel (built if missing)
#   make KDIR=/path/to/build   build it against your own Rust-enabled kernel build, the standard
#                              out-of-tree way (make -C $KDIR M=$PWD), after checking that
#                              kernel's .config and rustc (scripts/check-kernel.sh); pass
#                              LLVM=... as the kernel was built
#   KDIR=... with test, check, demo, run, shell, bench: the same on your kernel, booted
#   KERNEL=7.2                 the cached test kernels of 7.2 instead of 7.3 (the default)
#   KERNEL=debian              Debian's own stock kernel 7.3.4+deb13-amd64 (as root: a chroot of
#                              Debian's toolchain rebuilds its kernel's Rust metadata); for test,
#                              demo, run, shell: that kernel booted, as Debian ships it
#   make load [PARAMS="a=1"]   load the module just built into the running kernel, once
#                              `uname -r` is checked to be the kernel it was built for
#   make unload                remove it
#   make demo                  the main job: boot, load, tell a story of known load, compare
#                              every definition (table, CSV, chart in build/demo/);
#                              REAL_TIME=1 runs it at the kernel's own time scale
#   make test                  every test: host, KUnit, guest, harness self-tests
#   make check                 the quick loop: style, host tests, module build, one boot with
#                              KUnit, the lifecycle and the scenarios (under 3 minutes)
#   make bench [OLD=ko]        what the module costs, as a table of ratios (OLD: an older build
#                              of the module, a third arm of the latency rounds and, counted in
#                              instructions, the other arm of the readers' and timer's rows)
#   make shell                 boot the test kernel with the module ready, on this terminal:
#                              the guest's shell takes what you type; `reboot -f` (or QEMU's
#                              Ctrl-A X) leaves and gives the terminal back as it was
#   make run SCRIPT=f [EXTRA=d] run your own script in the test guest, return its status
#   make matrix                the suite on every supported kernel (7.3, 7.2, 7.3 without KUnit,
#                              Debian's own),
#                              a table of kernel, rustc, result and time (build/matrix.md)
#   make kernel                only build (or find) the cached test kernel
#   make clean                 remove build products (the cache outside the clone stays)
#   make help                  this text
#
# The Kbuild file, not this Makefile, describes the module to the kernel's build system.

KDIR ?=
SCRIPT ?=
# KERNEL=7.2 given to make picks the project's 7.2 kernels (scripts/lib.sh); a KERNEL that
# merely happens to be in the environment is not this project's, and is left alone.
ifeq ($(origin KERNEL),command line)
export LOADAVG_RS_KERNEL := $(KERNEL)
endif
EXTRA ?=

REAL_TIME ?=
OLD ?=
PARAMS ?=

.PHONY: all module demo test check bench shell run matrix kernel load unload clean help

all: module

ifeq ($(KDIR),)
module:
	@out=$$(scripts/build-module.sh default) && \
		echo "built $${out#$(CURDIR)/}/module/loadavg_rs.ko ($(if $(LOADAVG_RS_KERNEL),KERNEL=$(LOADAVG_RS_KERNEL),the cached test kernel))"
else
module:
	@scripts/check-kernel.sh module $(KDIR)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
endif

demo:
	@scripts/demo.sh $(if $(REAL_TIME),--real-time)

test:
	@scripts/test.sh

check:
	@scripts/test.sh --quick

bench:
	@scripts/bench.sh $(if $(OLD),--old $(OLD))

shell:
	@scripts/guest-run.sh --shell --timeout 86400 --name shell

run:
	@test -n "$(SCRIPT)" || { echo "usage: make run SCRIPT=<guest script> [EXTRA=<folder>]" >&2; exit 2; }
	@scripts/guest-run.sh --follow --name run --timeout 3600 \
		$(if $(EXTRA),--extra $(EXTRA)) $(SCRIPT)

matrix:
	@scripts/matrix.sh

kernel:
	@scripts/build-kernel.sh default

load:
	@scripts/load.sh load $(PARAMS)

unload:
	@scripts/load.sh unload

# The help is this file's header comment, from its second line to the first blank one.
help:
	@sed -n '2,/^$$/{/^$$/d;s/^# \{0,1\}//;p;}' $(firstword $(MAKEFILE_LIST))

clean:
	rm -rf build
ifneq ($(KDIR),)
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
endif
