#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepares a build folder for Debian's own kernel (linux-image-$KERNEL_VERSION+deb13-amd64 from
# trixie-backports, 7.3.4-1~bpo13+1), so that the module can be built to load into that stock
# kernel, and prints the folder (`make KERNEL=debian` and the guest runs of Debian's kernel call
# it through scripts/build-kernel.sh and scripts/build-module.sh).
#
#   scripts/debian-kernel.sh [MODULE_DIR OUT_DIR]
#
# Debian's headers package has the kernel's .config and Module.symvers but not the Rust
# metadata (rust/*.rmeta, libmacros.so) a Rust module is compiled against. This script rebuilds
# that metadata from Debian's own source (the test kernel's linux-source package, same version)
# with Debian's exact .config and Debian trixie's own toolchain (gcc-14, binutils, rustc 1.85.1,
# rust-src, bindgen 0.71.1, pahole), the one the kernel was built with. Those run in a trixie
# chroot made by debootstrap, as they need trixie's glibc. Rust symbol names depend only on the
# crate names and the compiler, so the rebuilt crates export the very names Debian's kernel
# does (Debian's Module.symvers is what the module links against).
#
# Root only (debootstrap, chroot, mounts): run `make ... KERNEL=debian` as root.
#
# In the cache ($LOADAVG_RS_CACHE/debian-$KERNEL_VERSION/): chroot/ (the toolchain, 2.1 GB),
# debs/ and pkgs/ (Debian's kernel packages, downloaded and unpacked: headers, image, modules,
# for booting it under QEMU: build/vmlinuz and build/debian-modules point there), build/ (the O=
# folder: Debian's .config, Module.symvers and vmlinux, the rebuilt rust/). The kernel source is
# mounted read-only into the chroot, and nothing is left mounted: every step runs in a private
# mount namespace that ends with it.
#
# Checked before a module is built: the rebuilt crates' hashes (the `Cs..._4core` part of every
# mangled name) are those of Debian's Module.symvers; and before it can be loaded: every Rust
# symbol it imports is in that Module.symvers. Either differing stops with one error that names
# the first difference.
#
# With MODULE_DIR and OUT_DIR, also builds the out-of-tree module in MODULE_DIR against that
# folder, its objects in OUT_DIR (Kbuild's MO=), e.g. `scripts/debian-kernel.sh . build/debian`;
# modpost fails the build if the module needs a symbol Debian's kernel does not export.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

module_dir=${1:-} out_dir=${2:-}
[ -z "$module_dir" ] || [ -n "$out_dir" ] || die "usage: scripts/debian-kernel.sh [MODULE_DIR OUT_DIR]"
[ "$(id -u)" -eq 0 ] || die "Debian's kernel toolchain is made with debootstrap, chroot and mounts: run as root (sudo make KERNEL=debian ...)"

# Debian's name for the kernel (its ABI name and flavour) and the suite its toolchain is from.
DEBIAN_RELEASE=$KERNEL_VERSION+deb13-amd64
TOOLCHAIN_SUITE=trixie
dir=$LOADAVG_RS_CACHE/debian-$KERNEL_VERSION
chroot_dir=$dir/chroot
build=$dir/build
headers=$dir/pkgs/linux-headers-$DEBIAN_RELEASE/usr/src/linux-headers-$DEBIAN_RELEASE
src=$(kernel_src)
# What the module's imports are checked against: Debian's exports (a test may name another file).
symvers=${LOADAVG_RS_DEBIAN_SYMVERS:-$headers/Module.symvers}

# The toolchain Debian built the kernel with: its .config names gcc-14, binutils, rustc,
# bindgen and pahole (dwarves); openssl's command answers a Kconfig test
# (OPENSSL_SUPPORTS_ML_DSA); rustfmt only formats bindgen's output.
CHROOT_PACKAGES=gcc-14,binutils,rustc,rust-src,bindgen,rustfmt,libclang-dev,dwarves,make,bc,bison,flex,libelf-dev,libssl-dev,openssl,kmod,python3,cpio,xz-utils
# Debian's kernel packages: the headers (with .config, Module.symvers, vmlinux) and what
# booting the stock kernel needs.
KERNEL_DEBS=("linux-headers-$DEBIAN_RELEASE" "linux-headers-$KERNEL_VERSION+deb13-common"
	"linux-image-$DEBIAN_RELEASE" "linux-binary-$DEBIAN_RELEASE" "linux-modules-$DEBIAN_RELEASE"
	"linux-base-$DEBIAN_RELEASE")

make_chroot() {
	[ -f "$chroot_dir/.loadavg-rs-ready" ] && return 0
	command -v debootstrap >/dev/null || die "debootstrap is not installed (scripts/provision.sh installs it for KERNEL=debian)"
	log "making a $TOOLCHAIN_SUITE chroot with Debian's kernel toolchain in $chroot_dir (about 2 minutes)"
	# Never delete through a mount of the kernel source or a module's folder.
	! grep -q " $chroot_dir/" /proc/mounts || die "something is mounted under $chroot_dir: unmount it first"
	rm -rf "$chroot_dir"
	debootstrap --variant=buildd --include="$CHROOT_PACKAGES" "$TOOLCHAIN_SUITE" "$chroot_dir" \
		"$DEBIAN_MIRROR" >"$dir/debootstrap.log" 2>&1 || die "debootstrap failed (log: $dir/debootstrap.log)"
	touch "$chroot_dir/.loadavg-rs-ready"
}

# Downloads Debian's kernel packages through a private apt configuration (the machine's apt
# sources are left alone) and unpacks each into pkgs/<package>.
fetch_kernel_debs() {
	local apt=$dir/apt pkg opts
	[ -f "$dir/pkgs/.loadavg-rs-unpacked" ] && return 0
	log "fetching Debian's kernel $DEBIAN_RELEASE ($KERNEL_DEB_VERSION) from $BACKPORTS_SUITE"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$dir/debs"
	printf 'deb %s %s main\n' "$DEBIAN_MIRROR" "$BACKPORTS_SUITE" >"$apt/sources.list"
	opts=(-qq -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/parts"
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o APT::Sandbox::User=root)
	apt-get "${opts[@]}" update || die "apt-get update for $BACKPORTS_SUITE failed"
	(cd "$dir/debs" && apt-get "${opts[@]}" download "${KERNEL_DEBS[@]/%/=$KERNEL_DEB_VERSION}") ||
		die "could not download Debian's kernel packages $KERNEL_DEB_VERSION"
	for pkg in "${KERNEL_DEBS[@]}"; do
		rm -rf "$dir/pkgs/$pkg"
		mkdir -p "$dir/pkgs/$pkg"
		dpkg-deb -x "$dir/debs/${pkg}_${KERNEL_DEB_VERSION/:/%3a}_"*.deb "$dir/pkgs/$pkg"
	done
	touch "$dir/pkgs/.loadavg-rs-unpacked"
}

# The kernel image and its modules, as Debian's packages install them, for the guest runs.
link_image() {
	local modules=$dir/pkgs/linux-modules-$DEBIAN_RELEASE/usr/lib/modules/$DEBIAN_RELEASE
	local image=$dir/pkgs/linux-binary-$DEBIAN_RELEASE/usr/lib/modules/$DEBIAN_RELEASE/vmlinuz
	[ -f "$image" ] && [ -d "$modules" ] || die "Debian's packages hold no $image or $modules"
	ln -sfn "$image" "$build/vmlinuz"
	ln -sfn "$modules" "$build/debian-modules"
}

# The Rust crates' hashes, as they appear in mangled names (`Cs<hash>_<len><crate>`): those of the
# rebuilt crates must be Debian's, or no Rust symbol of the module would be found in its kernel.
check_crates() {
	local crate ours theirs
	for crate in core kernel bindings pin_init; do
		ours=$(nm --defined-only "$build"/rust/*.o | { grep -o "Cs[0-9A-Za-z]*_${#crate}$crate" || :; } | sort -u | paste -sd' ')
		theirs=$({ grep -o "Cs[0-9A-Za-z]*_${#crate}$crate" "$headers/Module.symvers" || :; } | sort -u | paste -sd' ')
		[ -n "$ours" ] && [ "$ours" = "$theirs" ] ||
			die "the rebuilt crate '$crate' is '${ours:-none}' in mangled names, Debian's $DEBIAN_RELEASE exports '${theirs:-none}': the hash depends on the crate's name, the compiler ($(in_chroot -- rustc --version)) and -C metadata (none in the kernel's rust/Makefile); all three must be Debian's (CONFIG_RUSTC_VERSION_TEXT in $headers/.config)"
	done
}

# Every Rust symbol the objects "$@" import is one Debian's kernel exports under that name;
# else the first that is not, named, and what would have to match.
check_imports() {
	local missing
	missing=$(nm -u "$@" | awk '$2 ~ /^_R/ { print $2 }' | sort -u |
		comm -23 - <(cut -f2 "$symvers" | sort -u) | sed -n 1p)
	[ -z "$missing" ] ||
		die "$(basename "$1") imports $missing, which Debian's $DEBIAN_RELEASE does not export under that name (Module.symvers): built by $(in_chroot -- rustc --version) against Debian's .config; the kernel crate's source (linux-source $KERNEL_DEB_VERSION), the compiler and the .config must all be the ones Debian built its kernel with"
}

# Runs "$@" in the chroot, in a mount namespace of its own that has the kernel source (read-only),
# the build folder and the given folders (before "--", read-write) at the same paths as outside.
in_chroot() {
	local binds=("$build")
	while [ "$1" != -- ]; do binds+=("$1") && shift; done
	shift
	unshare --mount --propagation private /bin/sh -eu -c '
		root=$1 src=$2; shift 2
		mount -t proc proc "$root/proc"
		mkdir -p "$root$src" && mount --bind "$src" "$root$src" && mount -o remount,bind,ro "$root$src"
		while [ "$1" != -- ]; do mkdir -p "$root$1" && mount --bind "$1" "$root$1" && shift; done
		shift
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
	' sh "$chroot_dir" "$src" "${binds[@]}" -- "$@"
}

# make in the kernel's source, as Debian's headers package sets it up (.kernelvariables).
kmake() {
	local binds=()
	while [ "$1" != -- ]; do binds+=("$1") && shift; done
	shift
	in_chroot "${binds[@]}" -- nice -n 19 make -C "$src" O="$build" ARCH=x86 \
		CROSS_COMPILE=x86_64-linux-gnu- CC=x86_64-linux-gnu-gcc-14 KERNELRELEASE="$DEBIAN_RELEASE" "$@"
}

build_rust_metadata() {
	[ -f "$build/.loadavg-rs-built" ] && return 0
	log "building the Rust metadata for Debian's $DEBIAN_RELEASE in $build (about 3 minutes; log: $build/build.log)"
	mkdir -p "$build"
	cp "$headers/.config" "$build/.config"
	kmake -- olddefconfig >"$build/build.log" 2>&1 || die "olddefconfig failed (log: $build/build.log)"
	# The chroot's toolchain must be the one Debian's .config was made with: Kconfig records
	# the compilers' versions, so any difference shows here.
	diff "$headers/.config" "$build/.config" >&2 ||
		die "this toolchain is not the one Debian built $DEBIAN_RELEASE with (the .config differences above)"
	# modules_prepare builds rust/ too: core, the kernel crate, the macros, the bindings.
	kmake -- -j"$(nproc)" modules_prepare >>"$build/build.log" 2>&1 || {
		tail -n 30 "$build/build.log" >&2
		die "building the Rust metadata failed (log: $build/build.log)"
	}
	# What the module is linked and checked against: Debian's exported symbols, and its
	# vmlinux for the module's BTF (CONFIG_DEBUG_INFO_BTF_MODULES).
	cp "$headers/Module.symvers" "$headers/vmlinux" "$build/"
	touch "$build/.loadavg-rs-built"
}

mkdir -p "$dir"
[ -f "$src/Makefile" ] || "$PROJECT_DIR/scripts/provision.sh"
make_chroot
fetch_kernel_debs
build_rust_metadata
link_image
check_crates
if [ -n "$module_dir" ]; then
	module_dir=$(cd "$module_dir" && pwd)
	mkdir -p "$out_dir" && out_dir=$(cd "$out_dir" && pwd)
	status=0
	kmake "$module_dir" "$out_dir" -- -s M="$module_dir" MO="$out_dir" modules >&2 || status=$?
	# The modules' linked objects (a .ko is made of one, and only if modpost found every symbol).
	objects=()
	for ko in $(grep '\.o$' "$out_dir/modules.order" 2>/dev/null); do
		[ ! -f "$out_dir/$ko" ] || objects+=("$out_dir/$ko")
	done
	[ ${#objects[@]} -eq 0 ] || check_imports "${objects[@]}"
	[ "$status" -eq 0 ] || die "building the module in $module_dir against Debian's $DEBIAN_RELEASE failed (see above)"
fi
printf '%s\n' "$build"
