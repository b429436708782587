# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for the scripts in this folder. Source it; do not run it.
#
# Everything heavy (downloads, the Rust core sources, kernel source trees, kernel builds)
# lives in a cache outside the clone, so that a second run and a second clone reuse it:
#   $LOADAVG_RS_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/loadavg-rs

# The test kernel: Debian's packaged source of this version, from the suite below.
KERNEL_PKG=linux-source-7.3
KERNEL_VERSION=7.3.4
KERNEL_DEB_VERSION=7.3.4-1~bpo13+1
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

LOADAVG_RS_CACHE=${LOADAVG_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loadavg-rs}
export LOADAVG_RS_CACHE
PROJECT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[loadavg-rs] %s\n' "$*" >&2; }
die() {
	printf '[loadavg-rs] error: %s\n' "$*" >&2
	exit 1
}

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

# Where the test kernel's source tree is unpacked.
kernel_src() {
	printf '%s/linux/%s/%s\n' "$LOADAVG_RS_CACHE" "$KERNEL_DEB_VERSION" "$KERNEL_PKG"
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
