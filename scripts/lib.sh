# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for the scripts in this folder. Source it; do not run it.
#
# Everything heavy (downloads, the Rust core sources, kernel source trees, kernel builds)
# lives in a cache outside the clone, so that a second run and a second clone reuse it:
#   $LOADAVG_RS_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/loadavg-rs

log() { printf '[loadavg-rs] %s\n' "$*" >&2; }
die() {
	printf '[loadavg-rs] error: %s\n' "$*" >&2
	exit 1
}

# The test kernel: Debian's packaged source of the release $LOADAVG_RS_KERNEL (7.3 unless set;
# `make test KERNEL=7.2` sets it), from the suite below. What differs between the releases for
# the module itself is in Kbuild. KERNEL=debian is not a kernel of the project's but Debian's own
# stock kernel of that source, 7.3.4+deb13-amd64, as Debian ships it (scripts/debian-kernel.sh).
KERNEL=${LOADAVG_RS_KERNEL:-7.3}
case $KERNEL in
7.3 | debian) KERNEL_DEB_VERSION=7.3.4-1~bpo13+1 KERNEL_SERIES=7.3 ;;
7.2) KERNEL_DEB_VERSION=7.2.12-1~bpo13+1 KERNEL_SERIES=7.2 ;;
*) die "KERNEL=$KERNEL: the kernels are 7.3 (the default) and 7.2, the project's test kernels, and debian, Debian's own 7.3.4+deb13-amd64; for any other kernel, build it yourself and pass KDIR=<its build folder> (README: Using it on your own kernel)" ;;
esac
KERNEL_PKG=linux-source-$KERNEL_SERIES
KERNEL_VERSION=${KERNEL_DEB_VERSION%%-*}
BACKPORTS_SUITE=trixie-backports
DEBIAN_MIRROR=${LOADAVG_RS_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The LLVM toolchain the test kernel and the module are built with (KASAN with Rust needs
# clang, and the kernel's bindgen needs libclang >= 17).
LLVM_VERSION=19
LLVM_FLAG=-$LLVM_VERSION
LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-$LLVM_VERSION/lib}
export LIBCLANG_PATH

# bindgen-cli: the kernel needs >= 0.71.1; 0.72.x is the version this project checks with.
BINDGEN_REQ='^0.72'

# A kernel of the user's own (`make test KDIR=...`): its build folder, made absolute. The
# scripts then check it (scripts/check-kernel.sh) and use it instead of building a test kernel.
KDIR=${KDIR:-}
if [ -n "$KDIR" ]; then
	KDIR=$(cd "$KDIR" 2>/dev/null && pwd) || die "KDIR=$KDIR is not a folder"
	export KDIR
fi

LOADAVG_RS_CACHE=${LOADAVG_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loadavg-rs}
export LOADAVG_RS_CACHE
PROJECT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

export PATH="$HOME/.cargo/bin:$PATH"

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "'$*' needs root, and sudo is not installed"
	fi
}

# The exact version of the rustc on PATH, e.g. 1.95.0.
rustc_version() {
	rustc --version | awk '{ print $2 }'
}

# Prints a short hash of its arguments and of the files they name.
key_of() {
	local item
	for item in "$@"; do
		if [ -f "$item" ]; then
			printf '%s\n' "$(basename "$item")"
			cat "$item"
		else
			printf '%s\n' "$item"
		fi
	done | sha256sum | cut -c1-16
}

# Where the Rust core sources matching the rustc on PATH are unpacked.
rust_lib_src() {
	printf '%s/rust-src/%s/usr/src/rustc-%s/library\n' "$LOADAVG_RS_CACHE" \
		"$(rustc_version)" "$(rustc_version)"
}

# The kernel's source tree: KDIR's (its `source` link for an O= build, else KDIR itself) when
# a kernel of the user's own is given, else where the test kernel's source is unpacked.
kernel_src() {
	if [ -n "$KDIR" ]; then
		if [ -e "$KDIR/source" ]; then readlink -f "$KDIR/source"; else printf '%s\n' "$KDIR"; fi
	else
		printf '%s/linux/%s/%s\n' "$LOADAVG_RS_CACHE" "$KERNEL_DEB_VERSION" "$KERNEL_PKG"
	fi
}

# kdir_llvm KDIR: the LLVM= that kernel build was made with, as its .config tells: -N when
# clang N built it and clang-N is installed, 1 for another clang, nothing for GCC.
kdir_llvm() {
	local config=$1/.config major
	grep -q '^CONFIG_CC_IS_CLANG=y' "$config" || return 0
	major=$(($(sed -n 's/^CONFIG_CLANG_VERSION=\([0-9]*\)$/\1/p' "$config") / 10000))
	if command -v "clang-$major" >/dev/null; then printf -- '-%s\n' "$major"; else echo 1; fi
}

# The toolchain part of a kernel build's cache key: anything that changes the generated
# code or the Rust metadata the module must match.
toolchain_id() {
	printf 'rustc %s; clang %s; bindgen %s' "$(rustc_version)" \
		"$(clang-$LLVM_VERSION --version | head -n1)" "$(bindgen --version 2>/dev/null)"
}

# Where the test kernel built from the config fragments "$@" lives: a folder keyed by the
# kernel source version, the fragments and the toolchain, so a change of any of them builds
# afresh and an unchanged kernel is reused.
kernel_build_dir() {
	printf '%s/kernel/%s-%s\n' "$LOADAVG_RS_CACHE" "$KERNEL_VERSION" \
		"$(key_of "$KERNEL_DEB_VERSION" "$@" "$(toolchain_id)")"
}

# Debian's node_exporter, promtool and LXCFS (with the library it loads, liblxcfs.so, at the
# path it was built with), unpacked by scripts/provision.sh.
NODE_EXPORTER=$LOADAVG_RS_CACHE/fleet/prometheus-node-exporter/usr/bin/prometheus-node-exporter
PROMTOOL=$LOADAVG_RS_CACHE/fleet/prometheus/usr/bin/promtool
LXCFS=$LOADAVG_RS_CACHE/fleet/lxcfs/usr/bin/lxcfs
# The flame graph tools: Brendan Gregg's flamegraph.pl as Debian ships it (in
# libdevel-nytprof-perl, unpacked beside the fleet tools), and inferno's, built by cargo.
FLAMEGRAPH_PL=$LOADAVG_RS_CACHE/fleet/libdevel-nytprof-perl/usr/share/perl5/Devel/NYTProf/flamegraph.pl
INFERNO_VERSION=0.12.8
INFERNO_FLAMEGRAPH=$LOADAVG_RS_CACHE/inferno-$INFERNO_VERSION/bin/inferno-flamegraph
LIBLXCFS_DIR=usr/lib/x86_64-linux-gnu/lxcfs
