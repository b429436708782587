// SPDX-License-Identifier: GPL-2.0

//! A sort that allocates nothing and has no panic path of its own: heapsort.
//!
//! The core library's unstable sort is faster on large inputs, but its code ends in panic paths
//! (an ordering that is not total) that objtool, the kernel's checker of object files, reports as
//! falling through to the next function when the module is built by rustc 1.85, Debian's: a
//! warning in every user's build for Debian's kernel. The rows sorted here are at most a few
//! thousand (the cgroups' table, the attribution's keys), sorted once per read of a file, where
//! heapsort's `n log n` comparisons, and no more, are what matter.

use core::cmp::Ordering;

/// Sorts `v` in place by `cmp`, not stably (equal elements may change order).
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let len = v.len();
    // A max-heap: every parent at least its children. Parents are the first `len / 2`.
    for root in (0..len / 2).rev() {
        sift_down(v, root, len, &mut cmp);
    }
    // The largest to the end, one at a time, the heap shrinking by one.
    for end in (1..len).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, &mut cmp);
    }
}

/// Sorts `v` in place by the key `key` gives each element, not stably.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Moves `v[root]` down the heap of `v[..end]` until it is at least its children.
fn sift_down<T>(
    v: &mut [T],
    mut root: usize,
    end: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) {
    let end = end.min(v.len());
    loop {
        let Some(mut child) = root.checked_mul(2).and_then(|c| c.checked_add(1)) else {
            return;
        };
        if child >= end {
            return;
        }
        let right = child + 1;
        if right < end && less(v, child, right, cmp) {
            child = right;
        }
        if !less(v, root, child, cmp) {
            return;
        }
        v.swap(root, child);
        root = child;
    }
}

/// Whether `v[a]` sorts before `v[b]`; false if either is out of `v`.
fn less<T>(v: &[T], a: usize, b: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) -> bool {
    match (v.get(a), v.get(b)) {
        (Some(x), Some(y)) => cmp(x, y) == Ordering::Less,
        _ => false,
    }
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_sort))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;

    /// A deterministic stream of values with many repeats (a linear congruential generator).
    fn values(seed: u32, n: usize, out: &mut [u32]) {
        let mut x = seed;
        for v in out.iter_mut().take(n) {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            *v = (x >> 16) % 97;
        }
    }

    fn sorted(v: &[u32]) -> bool {
        v.windows(2).all(|w| w[0] <= w[1])
    }

    #[test]
    fn sorts_every_length_up_to_64() {
        let mut buf = [0u32; 64];
        for n in 0..=64 {
            for seed in 0..8 {
                values(seed, n, &mut buf);
                let mut before = [0u32; 97];
                buf[..n].iter().for_each(|&x| before[x as usize] += 1);
                sort_by_key(&mut buf[..n], |&x| x);
                assert!(sorted(&buf[..n]));
                // The same elements, each as often.
                let mut after = [0u32; 97];
                buf[..n].iter().for_each(|&x| after[x as usize] += 1);
                assert_eq!(before, after);
            }
        }
    }

    #[test]
    fn sorts_by_a_comparison_largest_first_then_by_key() {
        // As the top file: by load, largest first, then by pid.
        let mut rows = [(3u64, 7i64), (5, 2), (3, 1), (9, 4), (5, 1)];
        sort_by(&mut rows, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        assert_eq!(rows, [(9, 4), (5, 1), (5, 2), (3, 1), (3, 7)]);
    }

    #[test]
    fn an_ordering_that_is_not_total_leaves_the_same_elements() {
        // No panic and nothing lost, whatever `cmp` answers.
        let mut v = [4u32, 1, 3, 1, 5, 9, 2, 6];
        let mut flip = false;
        sort_by(&mut v, |_, _| {
            flip = !flip;
            if flip {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        });
        let mut s = v;
        sort_by_key(&mut s, |&x| x);
        assert_eq!(s, [1, 1, 2, 3, 4, 5, 6, 9]);
    }
}
