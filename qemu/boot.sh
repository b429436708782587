#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boots a test kernel with an initramfs under QEMU and waits for the guest to end the VM.
#
#   qemu/boot.sh --kernel BZIMAGE --initrd CPIO.GZ --out DIR [--timeout SECONDS]
#                [--append ARGS] [--memory MIB] [--follow] [--shell] [--icount]
#
# Writes DIR/console.log (serial console: kernel messages), DIR/output.log (the guest job's
# own output) and DIR/status.log (`taint N` and `exit N` from the guest's init). With --follow,
# the job's output is shown while it runs. With --shell, the console is this terminal.
# Exits 0 when the VM ended by itself, 124 when it was killed at the timeout, else QEMU's
# status; qemu/check-run.sh judges what the guest did. The timeout counts the time the host let
# the guest run, not the time it ran something else (qemu/timelimit.sh).
#
# Acceleration: TCG, unless a quick probe boot under KVM succeeds (KVM guests were seen to
# hang right after the BIOS on some hosts, so KVM is never relied on untested). The probe's
# answer is kept until the host reboots. LOADAVG_RS_ACCEL=tcg|kvm skips the probe.
# --icount: single-threaded TCG whose clock is the instructions executed (`-icount shift=0`:
# one a nanosecond; `sleep=off`: an idle machine's clock jumps to its next timer), so that a
# guest's times count the work done, not what the host lets it do: for comparisons of two
# builds finer than TCG's noise (make bench OLD=).
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

kernel= initrd= out= timeout=300 append= follow= shell= memory=1024 icount=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--out) out=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--append) append=$2; shift ;;
	--memory) memory=$2; shift ;;
	--follow) follow=1 ;;
	--shell) shell=1 ;;
	--icount) icount=(-icount shift=0,sleep=off) ;;
	*) die "boot.sh: unknown argument '$1'" ;;
	esac
	shift
done
[ -f "$kernel" ] || die "boot.sh: no kernel image at '$kernel'"
[ -f "$initrd" ] || die "boot.sh: no initramfs at '$initrd'"
[ -n "$out" ] || die "boot.sh: --out DIR is required"
mkdir -p "$out"

# Runs QEMU with acceleration $1 for at most $2 seconds, the console going to $3 (a file, or
# `stdio`), the job's output to $4 and the status channel to $5; extra kernel arguments: $6.
# With the console on `stdio` (--shell) QEMU keeps this terminal as its input, puts it in raw
# mode (so that line editing and Ctrl-C are the guest's; `mon:` sends Ctrl-C to the guest, not
# as a signal to QEMU) and restores it when it exits; every other run reads nothing.
# The CPU is QEMU's `max` without 5-level paging (la57=off): with it, a KASAN kernel can fail to
# boot by chance. identify_cpu() clears boot_cpu_data's feature bits before reading them again,
# and until then LA57 reads as off, so KASAN takes the direct map (at 0xff11... with 5-level
# paging) for addresses without shadow; an interrupt in that window (its handler locks an
# irq_desc there) is reported as a wild-memory-access and panics the debug kernel, before init.
qemu() {
	local accel=$1 limit=$2 console=$3 output=$4 status=$5 args=$6 serial0 input=/dev/null
	if [ "$console" = stdio ]; then
		serial0=(-serial mon:stdio)
		input=/dev/stdin
	else
		serial0=(-chardev "file,id=console,path=$console" -serial chardev:console)
	fi
	: >"$output"
	: >"$status"
	"$PROJECT_DIR/qemu/timelimit.sh" "$limit" qemu-system-x86_64 -accel "$accel" "${icount[@]}" -cpu max,la57=off -smp 2 -m "$memory" \
		-nographic -no-reboot -monitor none -nodefaults -vga none \
		-kernel "$kernel" -initrd "$initrd" \
		"${serial0[@]}" \
		-chardev "file,id=output,path=$output" -serial chardev:output \
		-chardev "file,id=status,path=$status" -serial chardev:status \
		-append "console=ttyS0 printk.time=0 panic=-1 oops=panic rdinit=/init $args" \
		<"$input"
}

# Picks the accelerator: KVM only if a guest boots under it, to its init, within 20 s.
pick_accel() {
	if [ ${#icount[@]} -gt 0 ]; then
		echo tcg,thread=single
		return
	fi
	if [ -n "${LOADAVG_RS_ACCEL:-}" ]; then
		printf '%s\n' "$LOADAVG_RS_ACCEL"
		return
	fi
	local memo probe
	memo=$LOADAVG_RS_CACHE/accel-$(cat /proc/sys/kernel/random/boot_id)
	if [ ! -f "$memo" ]; then
		if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
			probe=$(mktemp -d)
			# The probe boots this very kernel and initramfs, asking init for a shell-less
			# run of nothing: the job does not run (loadavg_rs.probe), init just ends the VM.
			if qemu kvm 20 "$probe/console" "$probe/output" "$probe/status" loadavg_rs.probe \
				>/dev/null 2>&1 && grep -q '^exit ' "$probe/status"; then
				echo kvm >"$memo"
			else
				echo tcg >"$memo"
			fi
			rm -rf "$probe"
		else
			echo tcg >"$memo"
		fi
	fi
	cat "$memo"
}

accel=$(pick_accel)
printf 'accel %s\n' "$accel" >"$out/accel"
if [ -n "$shell" ]; then
	qemu "$accel" "$timeout" stdio "$out/output.log" "$out/status.log" "loadavg_rs.shell $append"
	exit
fi
tail_pid=
if [ -n "$follow" ]; then
	: >"$out/output.log"
	tail -n +1 -f "$out/output.log" 2>/dev/null &
	tail_pid=$!
fi
rc=0
# The guest is told its accelerator (loadavg_rs.accel=): a test that multi-threaded TCG cannot run
# faithfully says so instead of failing by chance (tests/guest/virtualize_unload.sh).
qemu "$accel" "$timeout" "$out/console.log" "$out/output.log" "$out/status.log" "loadavg_rs.accel=$accel $append" || rc=$?
if [ -n "$tail_pid" ]; then
	sleep 0.3
	kill "$tail_pid" 2>/dev/null || true
	wait "$tail_pid" 2>/dev/null || true
fi
exit "$rc"
