#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs a job script in the test guest: builds what is missing (kernel, module), packs an
# initramfs, boots it under QEMU, and judges the run (qemu/check-run.sh).
#
#   scripts/guest-run.sh [--variant default|debug|proxy] [--harness] [--bench] [--timeout SECONDS]
#                        [--name NAME] [--extra DIR] [--follow] [--shell]
#                        [--kunit SUITE]... [--memory MIB] [--append ARGS] [--icount] [--quiet] JOB
#
# In the guest: /job/run.sh is JOB, /job/extra holds the files of DIR, /tests holds the guest
# test library and tests, /lib/modules every module (the kernel's own, loadavg_rs.ko and, with
# --harness, the harness's broken modules; with --bench, the benchmark's floor module), /bin
# busybox and loadgen, the workload generator.
# The job's output is printed (live with --follow); the run's files stay in build/runs/NAME.
# --icount: the guest's clock counts instructions (qemu/boot.sh).
# Prints the checks' TAP lines after the job's. Exits with the job's status if it failed, else
# 1 if a check failed, else 0.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=default harness= bench= timeout=600 name= extra= follow= shell= quiet= suites=() job=
memory=1024 append= icount=
while [ $# -gt 0 ]; do
	case $1 in
	--variant) variant=$2; shift ;;
	--harness) harness=--harness ;;
	--bench) bench=--bench ;;
	--timeout) timeout=$2; shift ;;
	--name) name=$2; shift ;;
	--extra) extra=$2; shift ;;
	--follow) follow=--follow ;;
	--shell) shell=--shell ;;
	--quiet) quiet=1 ;;
	--kunit) suites+=("$2"); shift ;;
	--memory) memory=$2; shift ;;
	--append) append=$2; shift ;;
	--icount) icount=--icount ;;
	-*) die "guest-run.sh: unknown option '$1'" ;;
	*) job=$1 ;;
	esac
	shift
done
[ -n "$shell" ] || [ -f "$job" ] || die "guest-run.sh: no job script at '$job'"
[ -z "$extra" ] || [ -d "$extra" ] || die "guest-run.sh: EXTRA '$extra' is not a folder"
name=${name:-$(basename "${job:-shell}" .sh)}

"$PROJECT_DIR/scripts/provision.sh"
modules=$("$PROJECT_DIR/scripts/build-module.sh" "$variant" $harness $bench)
kdir=$("$PROJECT_DIR/scripts/build-kernel.sh" "$variant")
run=$PROJECT_DIR/build/runs/$name
root=$run/root
rm -rf "$run"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,job,lib/modules,tests}

# The workload generator, static, so the guest needs no libraries (tests/workload).
(cd "$PROJECT_DIR/tests/workload" && RUSTFLAGS="-C target-feature=+crt-static" \
	cargo build --quiet --release --locked --target x86_64-unknown-linux-gnu) ||
	die "building tests/workload (loadgen) failed"

# The initramfs.
cp /bin/busybox "$root/bin/busybox"
cp "$PROJECT_DIR/tests/workload/target/x86_64-unknown-linux-gnu/release/loadgen" "$root/bin/loadgen"
install -m 0755 "$PROJECT_DIR/qemu/init" "$root/init"
# Of the kernel's own modules, those the tests load (a distribution-sized KDIR has thousands);
# Debian's, from its package, compressed (busybox insmod reads them plain).
if [ "$KERNEL" = debian ] && [ -z "$KDIR" ]; then
	for m in null_blk configfs; do
		ko=$(find "$kdir/debian-modules/" -name "$m.ko.xz" | head -n1)
		[ -n "$ko" ] || die "guest-run.sh: Debian's kernel has no $m module"
		xz -dc "$ko" >"$root/lib/modules/$m.ko"
	done
else
	find "$kdir" \( -name null_blk.ko -o -name configfs.ko \) -exec cp {} "$root/lib/modules/" \;
fi
find "$modules" -name '*.ko' -exec cp {} "$root/lib/modules/" \;
cp -r "$PROJECT_DIR/tests/guest/." "$root/tests/"
# Debian programs the tests run as their users do: procps `uptime` and `top` (a container's
# load), node_exporter (the fleet test) and LXCFS (side by side with the module), the last two
# unpacked by scripts/provision.sh: each binary, the libraries ldd lists and the loader, in
# /opt/debian (run with tests/guest/lib.sh's `debian`), LXCFS's own library where LXCFS loads
# it from, and the terminal description `top -b` still asks ncurses for (TERM=dumb).
mkdir -p "$root/opt/debian/bin" "$root/opt/debian/lib" "$root/opt/debian/terminfo/d"
cp /lib/terminfo/d/dumb "$root/opt/debian/terminfo/d/" ||
	die "guest-run.sh: no terminfo entry for 'dumb' (Debian's ncurses-base)"
mkdir -p "$root/$LIBLXCFS_DIR"
cp "$(dirname "$LXCFS")/../../$LIBLXCFS_DIR/liblxcfs.so" "$root/$LIBLXCFS_DIR/" ||
	die "guest-run.sh: no liblxcfs.so beside '$LXCFS' (scripts/provision.sh unpacks it)"
for bin in "$(command -v uptime)" "$(command -v top)" "$NODE_EXPORTER" "$LXCFS"; do
	[ -x "$bin" ] || die "guest-run.sh: no '$bin' on this machine (scripts/provision.sh installs it)"
	cp "$bin" "$root/opt/debian/bin/"
	ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do cp -L "$lib" "$root/opt/debian/lib/"; done
done
[ -z "$job" ] || install -m 0755 "$job" "$root/job/run.sh"
[ -z "$extra" ] || { mkdir -p "$root/job/extra" && cp -r "$extra/." "$root/job/extra/"; }
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc | gzip -1) >"$run/initramfs.cpio.gz"

boot=0
# The kernel image: a build's, or Debian's as its package installs it.
image=$kdir/arch/x86/boot/bzImage
[ "$KERNEL" != debian ] || [ -n "$KDIR" ] || image=$kdir/vmlinuz
"$PROJECT_DIR/qemu/boot.sh" --kernel "$image" --initrd "$run/initramfs.cpio.gz" \
	--out "$run" --timeout "$timeout" --memory "$memory" --append "$append" $follow $shell $icount || boot=$?
[ -z "$shell" ] || exit "$boot"
if [ -z "$follow" ] && [ -z "$quiet" ]; then
	cat "$run/output.log"
fi
checks=0
# A kernel without KUnit runs no suite: check-run.sh reports them skipped.
grep -q '^CONFIG_KUNIT=y' "$kdir/.config" || export LOADAVG_RS_NO_KUNIT="this kernel has no KUnit (CONFIG_KUNIT)"
"$PROJECT_DIR/qemu/check-run.sh" "$run" "$boot" "${suites[@]}" || checks=$?
# The job's own exit status, when it has one, is this script's: `make run` returns it.
code=$(sed -n 's/^exit \([0-9]*\).*/\1/p' "$run/status.log" 2>/dev/null | tail -n1)
if [ -n "$code" ] && [ "$code" -ne 0 ]; then
	exit "$code"
fi
exit "$checks"
