#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs or fetches what building and booting the test kernel needs, when it is missing:
# Debian packages (compilers, QEMU, busybox), bindgen-cli, inferno (flame graphs), the Rust core sources that match
# `rustc`, and the test kernel's source tree. Quiet when everything is there already.
#
# Packages from a suite the machine's apt sources lack (the kernel source and rust-src come
# from trixie-backports) are downloaded through a private apt configuration in the cache and
# only unpacked there: the machine's own apt sources and package set are left as they are.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DEB_PACKAGES=(
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod xz-utils python3
	"clang-$LLVM_VERSION" "lld-$LLVM_VERSION" "llvm-$LLVM_VERSION" "libclang-$LLVM_VERSION-dev"
	qemu-system-x86 busybox-static gnuplot-nox procps ncurses-base libfuse3-3
)
# Debian's own kernel (KERNEL=debian) is built for in a chroot of its toolchain.
[ "$KERNEL" != debian ] || DEB_PACKAGES+=(debootstrap)

install_deb_packages() {
	local missing=() pkg
	for pkg in "${DEB_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing Debian packages: ${missing[*]}"
	as_root apt-get update -qq || die "apt-get update failed"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null || die "could not install: ${missing[*]}"
}

install_bindgen() {
	local have
	have=$(bindgen --version 2>/dev/null | awk '{ print $2 }') || true
	# The kernel needs bindgen >= 0.71.1.
	if [ -n "$have" ] && printf '0.71.1\n%s\n' "$have" | sort -V -C; then
		return 0
	fi
	command -v cargo >/dev/null || die "cargo is not installed: install a Rust toolchain (rustup) first"
	log "installing bindgen-cli $BINDGEN_REQ with cargo (a few minutes)"
	cargo install --quiet --locked bindgen-cli --version "$BINDGEN_REQ" ||
		die "cargo install bindgen-cli failed"
}

# Runs apt tool $1 (apt-get, apt-cache) against the private configuration for $BACKPORTS_SUITE.
private_apt() {
	local tool=$1
	shift
	local dir=$LOADAVG_RS_CACHE/apt
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/parts"
	printf 'deb %s %s main\n' "$DEBIAN_MIRROR" "$BACKPORTS_SUITE" >"$dir/sources.list"
	"$tool" -qq -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts="$dir/parts" \
		-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" \
		-o APT::Sandbox::User=root "$@"
}

# Downloads package $1 at Debian version $2 and unpacks it into folder $3.
fetch_and_unpack() {
	local pkg=$1 version=$2 dest=$3 tmp
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now: tmp is local
	trap "rm -rf '$tmp'" RETURN
	if ! (cd "$tmp" && private_apt apt-get download "$pkg=$version" 2>/dev/null); then
		log "updating the private package lists for $BACKPORTS_SUITE"
		private_apt apt-get update || die "apt-get update for $BACKPORTS_SUITE failed"
		(cd "$tmp" && private_apt apt-get download "$pkg=$version") ||
			die "could not download $pkg $version from $BACKPORTS_SUITE"
	fi
	mkdir -p "$dest.partial"
	dpkg-deb -x "$tmp"/*.deb "$dest.partial"
	rm -rf "$dest"
	mv "$dest.partial" "$dest"
}

# The Rust core sources must be those of the very rustc that builds the kernel and the module.
fetch_rust_src() {
	local want lib dest version
	want=$(rustc_version)
	lib=$(rust_lib_src)
	[ -f "$lib/core/src/lib.rs" ] && return 0
	dest=$LOADAVG_RS_CACHE/rust-src/$want
	private_apt apt-get update 2>/dev/null || true
	version=$(private_apt apt-cache madison rust-src 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
		grep -E "^$want\+" | head -n1) || true
	if [ -z "$version" ]; then
		local offered
		offered=$(private_apt apt-cache madison rust-src 2>/dev/null | awk -F'|' '{ print $2 }' | tr -d ' ' |
			tr '\n' ' ')
		die "rustc is $want, but $BACKPORTS_SUITE offers rust-src ${offered:-none}: the kernel and the module need the core sources of the very same version (install rustc of one of those versions, or set RUST_LIB_SRC)"
	fi
	log "fetching rust-src $version (Rust core sources for rustc $want)"
	fetch_and_unpack rust-src "$version" "$dest"
	[ -f "$lib/core/src/lib.rs" ] || die "rust-src $version does not hold $lib"
}

fetch_kernel_source() {
	local src top
	src=$(kernel_src)
	[ -f "$src/Makefile" ] && return 0
	top=$(dirname "$src")
	log "fetching $KERNEL_PKG $KERNEL_DEB_VERSION (the test kernel's source, about 160 MB)"
	fetch_and_unpack "$KERNEL_PKG" "$KERNEL_DEB_VERSION" "$top/deb"
	log "unpacking the kernel source"
	tar -C "$top" -xf "$top/deb/usr/src/$KERNEL_PKG.tar.xz"
	rm -rf "$top/deb"
	[ -f "$src/Makefile" ] || die "$KERNEL_PKG did not unpack into $src"
}

# Debian's node_exporter and promtool, for the fleet test (tests/guest/prometheus.sh) and the
# check of the module's metrics and alert rules: downloaded with the machine's own apt sources
# and only unpacked (installing them would start services), into $LOADAVG_RS_CACHE/fleet.
fetch_fleet_tools() {
	local dir=$LOADAVG_RS_CACHE/fleet pkg tmp
	for pkg in prometheus-node-exporter prometheus lxcfs libdevel-nytprof-perl; do
		[ -d "$dir/$pkg" ] && continue
		log "fetching Debian's $pkg (the guest's node_exporter, promtool, LXCFS; flamegraph.pl)"
		tmp=$(mktemp -d)
		if ! (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" 2>/dev/null); then
			as_root apt-get update -qq || die "apt-get update failed"
			(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg") ||
				die "could not download $pkg"
		fi
		mkdir -p "$dir/$pkg.partial"
		dpkg-deb -x "$tmp"/*.deb "$dir/$pkg.partial"
		rm -rf "$tmp" "$dir/$pkg"
		mv "$dir/$pkg.partial" "$dir/$pkg"
	done
}

# inferno's flame graph tool, for the demo's load flame graph and the check that it draws the
# module's folded stacks, into the cache (not the user's ~/.cargo/bin).
install_inferno() {
	[ -x "$INFERNO_FLAMEGRAPH" ] && return 0
	command -v cargo >/dev/null || die "cargo is not installed: install a Rust toolchain (rustup) first"
	log "installing inferno $INFERNO_VERSION with cargo (a few minutes)"
	cargo install --quiet --locked inferno --version "$INFERNO_VERSION" \
		--root "$LOADAVG_RS_CACHE/inferno-$INFERNO_VERSION" || die "cargo install inferno failed"
}

main() {
	mkdir -p "$LOADAVG_RS_CACHE"
	install_deb_packages
	fetch_fleet_tools
	install_inferno
	# A kernel of the user's own brings its source and its built Rust core: nothing to fetch.
	[ -z "$KDIR" ] || return 0
	install_bindgen
	if [ -z "${RUST_LIB_SRC:-}" ]; then
		fetch_rust_src
	fi
	fetch_kernel_source
}

main "$@"
