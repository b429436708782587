#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Checks a kernel build folder before anything is built against it or booted: that it is a
# finished build with Rust, made by the rustc on PATH, and that its .config has what the module
# (`module`) or also the guest suite (`suite`) needs. Every missing option is listed with its
# reason, followed by one fix: a fragment of exactly those options, merged with the kernel's own
# scripts/kconfig/merge_config.sh, and a rebuild. Options only some tests need are listed as
# the checks that will be skipped.
#
#   scripts/check-kernel.sh module|suite KDIR [--quiet]
#
# --quiet leaves out the notes on skipped checks (errors are always printed).
# Exits 0 when nothing required is missing, else 1 with one error per problem.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

what=${1:-} kdir=${2:-} quiet=${3:-}
case $what in module | suite) ;; *) die "usage: scripts/check-kernel.sh module|suite KDIR [--quiet]" ;; esac
[ -d "$kdir" ] || die "KDIR=$kdir is not a folder"
config=$kdir/.config
[ -f "$config" ] || die "KDIR=$kdir has no .config: KDIR is the kernel's build folder (its O=, or the source tree for an in-tree build)"

# OPTION LEVEL REASON, LEVEL being what lacks without it: module (the module cannot build or
# load), suite (the guest cannot boot or run the suite), or a test, which is then skipped.
options=(
	"RUST module the module is Rust"
	"MODULES module an out-of-tree module"
	"MODULE_UNLOAD module the suite loads and unloads the module hundreds of times"
	"PROC_FS module the module's files are in /proc"
	"HIGH_RES_TIMERS module the sampler's timer fires half a tick after each window"
	"64BIT suite the guest is x86_64 (qemu-system-x86_64)"
	"SMP suite the walk runs while another CPU changes the task list"
	"SERIAL_8250_CONSOLE suite kernel messages and KTAP come back on ttyS0, results on ttyS1-2"
	"BLK_DEV_INITRD suite the guest runs from an initramfs"
	"RD_GZIP suite the initramfs is gzip-compressed"
	"BINFMT_ELF suite busybox and loadgen"
	"BINFMT_SCRIPT suite the tests are shell scripts"
	"DEVTMPFS suite /dev in the guest"
	"TMPFS suite /tmp in the guest"
	"SYSFS suite /sys/module, CPU hotplug, cgroups"
	"SYSCTL suite the taint flags (/proc/sys/kernel/tainted)"
	"FUTEX suite loadgen's threads"
	"POSIX_TIMERS suite loadgen's clocks"
	"MULTIUSER suite busybox"
	"PRINTK suite the console is how faults are found"
	"KALLSYMS suite symbolised traces in fault reports"
	"DEBUG_FS suite the guest mounts debugfs"
	"KUNIT KUnit the module's KUnit suites (the checks \"KUnit suite ...\")"
	"BLK_DEV_NULL_BLK IO the IO-wait scenarios use a null_blk disk that completes from a timer (=m)"
	"PSI PSI the PSI columns next to the load averages"
	"KPROBES probes virtualize=1, a container's own load through sysinfo() (tests/guest/virtualize.sh)"
	"CGROUPS cgroups the per-cgroup load (tests/guest/cgroups.sh)"
	"CFS_BANDWIDTH throttling tasks throttled by cpu.max (tests/guest/throttled.sh)"
	"HOTPLUG_CPU hotplug the CPU hotplug test (debug job)"
	"DEBUG_KMEMLEAK kmemleak the leak check after the unload race (debug job)"
)

# has OPTION: set in the kernel's .config, built in or as a module; null_blk must be a module,
# loaded with the tests' own parameters.
has() {
	case $1 in
	BLK_DEV_NULL_BLK) grep -qE "^CONFIG_$1=m$" "$config" ;;
	*) grep -qE "^CONFIG_$1=[ym]$" "$config" ;;
	esac
}
# value OPTION: its value in the .config, quotes removed.
value() { sed -n "s/^CONFIG_$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "$config"; }

errors=0
error() {
	printf '[loadavg-rs] error: %s\n' "$*" >&2
	errors=$((errors + 1))
}

# A finished build: the kernel crate's metadata and the module symbols exist.
[ -f "$kdir/Module.symvers" ] || error "KDIR=$kdir is not a finished build (no Module.symvers): build the kernel first"
if ! has RUST; then
	error "KDIR's kernel has no Rust (CONFIG_RUST is not set): the module is Rust; see the fix below, and 'make rustavailable' in the kernel's source for what the toolchain lacks"
else
	[ -f "$kdir/rust/libkernel.rmeta" ] || error "KDIR=$kdir has CONFIG_RUST but no rust/libkernel.rmeta: build the kernel first"
	# The module links against the kernel crate's metadata, which only the very same rustc reads.
	built_with=$(value RUSTC_VERSION_TEXT)
	have=$(rustc --version 2>/dev/null || echo "no rustc on PATH")
	if [ "$built_with" != "$have" ]; then
		error "KDIR's kernel was built with '$built_with', but the rustc on PATH is '$have': a Rust module must be built by the very rustc its kernel was (put that one first on PATH, with rustup e.g. 'rustup override set $(awk '{ print $2 }' <<<"$built_with")' in this folder, or rebuild the kernel with this one)"
	fi
fi

missing=()
for line in "${options[@]}"; do
	read -r option level reason <<<"$line"
	has "$option" && continue
	# Said above, more precisely.
	[ "$option" != RUST ] || { missing+=(RUST) && continue; }
	case $level in
	module) missing+=("$option") && error "CONFIG_$option is not set: $reason" ;;
	suite) [ "$what" = module ] || { missing+=("$option") && error "CONFIG_$option is not set: $reason"; } ;;
	*) [ "$what" = module ] || [ -n "$quiet" ] || log "CONFIG_$option is not set: $reason; those checks will be reported as skipped" ;;
	esac
done
# A guest needs a clocksource it can calibrate under QEMU's emulation: with neither the HPET nor
# the ACPI PM timer, the jiffies clocksource leaves hrtimers without high resolution.
if [ "$what" = suite ] && ! has HPET_TIMER && ! has X86_PM_TIMER; then
	missing+=(ACPI HPET_TIMER X86_PM_TIMER)
	error "neither CONFIG_HPET_TIMER nor CONFIG_X86_PM_TIMER is set: under QEMU the kernel falls back to the jiffies clocksource, and the walk's times read 0"
fi

[ "$what" = module ] || [ -f "$kdir/arch/x86/boot/bzImage" ] ||
	error "KDIR=$kdir has no arch/x86/boot/bzImage: the suite boots it (build the kernel's default targets, or bzImage)"

if [ ${#missing[@]} -gt 0 ]; then
	src=$kdir
	[ ! -e "$kdir/source" ] || src=$(readlink -f "$kdir/source")
	fragment=$PROJECT_DIR/build/kernel-missing.config
	mkdir -p "$(dirname "$fragment")"
	printf 'CONFIG_%s=y\n' "${missing[@]}" >"$fragment"
	o=
	[ "$(readlink -f "$src")" = "$(readlink -f "$kdir")" ] || o=" O=$kdir"
	llvm=$(kdir_llvm "$kdir")
	printf '[loadavg-rs] fix: the missing options are in %s; merge them into the kernel'"'"'s configuration and rebuild:\n' "$fragment" >&2
	printf '  %s/scripts/kconfig/merge_config.sh -m -O %s %s/.config %s && make -C %s%s%s olddefconfig && make -C %s%s%s -j%s\n' \
		"$src" "$kdir" "$kdir" "$fragment" "$src" "$o" "${llvm:+ LLVM=$llvm}" "$src" "$o" "${llvm:+ LLVM=$llvm}" "$(nproc)" >&2
fi
[ "$errors" -eq 0 ] || exit 1
