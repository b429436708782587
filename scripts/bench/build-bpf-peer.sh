#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the benchmark's BPF peer (tests/bench/bpf): the module's walk done the eBPF way, a BPF
# task iterator (peer.bpf.c) and its loader (peer.c), for a side-by-side run against the module
# and the floor. Prints the paths of the BPF object and of the loader.
#
#   scripts/bench/build-bpf-peer.sh OUT_DIR
#
# The BPF object is compiled by the host's clang-$LLVM_VERSION against libbpf's headers; the
# loader is linked statically (libbpf, libelf, zlib, zstd) so that it runs in any guest. Both
# come from the Debian trixie chroot scripts/debian-kernel.sh makes (`sudo make KERNEL=debian`),
# into which the libraries are installed here when missing. Root only (chroot, mounts).
#
# trixie's libelf.a (elfutils 0.192) lacks eu_search_tree_init() and eu_search_tree_fini(),
# which its elf_begin() and elf_end() call (elfutils bug 32293, fixed in 0.193): no static link
# succeeds with it. While it does, trixie-backports' libelf.a is used instead, downloaded
# through a private apt configuration and only unpacked, in $LOADAVG_RS_CACHE/bpf-peer; the
# chroot's own libelf-dev stays as it is.
#
# The peer needs a kernel with BTF and BPF iterators (CONFIG_BPF_SYSCALL, CONFIG_DEBUG_INFO_BTF):
# Debian's own (KERNEL=debian), not the project's test kernels. Run it there as root:
#
#   peer OUT_DIR/peer.bpf.o PASSES PERIOD_MS
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

out=${1:-}
[ $# -eq 1 ] && [ -n "$out" ] || die "usage: scripts/bench/build-bpf-peer.sh OUT_DIR"
[ "$(id -u)" -eq 0 ] || die "the loader is built in a chroot: run as root"

# scripts/debian-kernel.sh's chroot: Debian trixie, the userland Debian's 7.3.4 kernel was built in.
chroot_dir=$LOADAVG_RS_CACHE/debian-7.3.4/chroot
src=$PROJECT_DIR/tests/bench/bpf
cache=$LOADAVG_RS_CACHE/bpf-peer
# What the build takes from trixie: libbpf's headers and static libraries and those it links.
PACKAGES=(libbpf-dev libelf-dev zlib1g-dev libzstd-dev gcc)

[ -f "$chroot_dir/.loadavg-rs-ready" ] ||
	die "no Debian trixie chroot in $chroot_dir: make it with 'sudo make KERNEL=debian' (scripts/debian-kernel.sh)"
command -v "clang-$LLVM_VERSION" >/dev/null || die "clang-$LLVM_VERSION is not installed (scripts/provision.sh installs it)"
mkdir -p "$out" "$cache"
out=$(cd "$out" && pwd)

# Runs "$@" in the chroot, in a mount namespace of its own that ends with it (nothing stays
# mounted), with the peer's sources and the cache (read-only) and the output folder at the
# same paths as outside.
in_chroot() {
	unshare --mount --propagation private /bin/sh -eu -c '
		root=$1 out=$2
		shift 2
		mount -t proc proc "$root/proc"
		while [ "$1" != -- ]; do
			mkdir -p "$root$1" && mount --bind "$1" "$root$1" && mount -o remount,bind,ro "$root$1"
			shift
		done
		shift
		mkdir -p "$root$out" && mount --bind "$out" "$root$out"
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
	' sh "$chroot_dir" "$out" "$src" "$cache" -- "$@"
}

# Whether the static libelf $1 links (see above). grep reads all, so that nm gets no SIGPIPE.
libelf_links() {
	[ -n "$(nm "$1" 2>/dev/null | grep ' T eu_search_tree_init$')" ]
}

# The path of a static libelf that links, as the chroot sees it.
libelf_a() {
	local lib=usr/lib/x86_64-linux-gnu/libelf.a apt=$cache/apt opts
	if libelf_links "$chroot_dir/$lib"; then
		printf '/%s\n' "$lib"
		return 0
	fi
	if [ ! -f "$cache/libelf-dev/.loadavg-rs-unpacked" ]; then
		log "trixie's libelf.a cannot be linked statically: fetching libelf-dev from $BACKPORTS_SUITE"
		mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$apt/debs"
		printf 'deb %s %s main\n' "$DEBIAN_MIRROR" "$BACKPORTS_SUITE" >"$apt/sources.list"
		opts=(-qq -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/parts"
			-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o APT::Sandbox::User=root)
		apt-get "${opts[@]}" update || die "apt-get update for $BACKPORTS_SUITE failed"
		rm -f "$apt/debs"/libelf-dev_*.deb
		(cd "$apt/debs" && apt-get "${opts[@]}" download libelf-dev) ||
			die "could not download libelf-dev from $BACKPORTS_SUITE"
		rm -rf "$cache/libelf-dev"
		dpkg-deb -x "$apt/debs"/libelf-dev_*.deb "$cache/libelf-dev"
		touch "$cache/libelf-dev/.loadavg-rs-unpacked"
	fi
	libelf_links "$cache/libelf-dev/$lib" ||
		die "neither trixie's nor $BACKPORTS_SUITE's libelf.a ($cache/libelf-dev) defines eu_search_tree_init()"
	printf '%s\n' "$cache/libelf-dev/$lib"
}

installed=$(in_chroot dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null || :)
missing=()
for pkg in "${PACKAGES[@]}"; do
	grep -qx "$pkg install ok installed" <<<"$installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing in the trixie chroot: ${missing[*]}"
	in_chroot apt-get update -qq || die "apt-get update in $chroot_dir failed"
	# No pseudo-terminal for dpkg's log: the chroot has no devpts mounted.
	in_chroot apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 \
		"${missing[@]}" >/dev/null ||
		die "could not install in $chroot_dir: ${missing[*]}"
fi

# The BPF object: no vmlinux.h, only libbpf's headers (bpf/bpf_helpers.h, bpf/bpf_core_read.h)
# from the chroot; BTF (-g) carries the CO-RE relocations libbpf resolves at load.
"clang-$LLVM_VERSION" -target bpf -mcpu=v3 -O2 -g -Wall -Werror -I"$chroot_dir/usr/include" \
	-c "$src/peer.bpf.c" -o "$out/peer.bpf.o" || die "compiling $src/peer.bpf.c failed (see above)"
libelf=$(libelf_a)
in_chroot gcc -O2 -Wall -Wextra -Werror -static -o "$out/peer" "$src/peer.c" \
	-lbpf "$libelf" -lz -lzstd || die "building $src/peer.c in $chroot_dir failed (see above)"
printf '%s\n' "$out/peer.bpf.o" "$out/peer"
