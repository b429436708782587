// SPDX-License-Identifier: GPL-2.0

//! A keyed table of a fixed number of rows: what the cgroups ([`crate::model::cgroups`]) and the
//! attribution's keys ([`crate::model::attribution`]) are kept in.
//!
//! The rows and the index are allocated by the caller once, when the module loads: nothing is
//! allocated while sampling. A row is found by its key through the index, open addressing with
//! linear probing; a free row is found in constant time, from a list of them that hands out the
//! lowest first and takes a freed row back at its head (so the last freed comes back first),
//! so that `reach`, one past the highest row used, stays near the most rows used at once and
//! bounds every pass over them. Rows are freed in
//! batches ([`Table::retain`]), after which the index is built again: linear probing cannot
//! simply forget an entry.

use core::ops::DerefMut;

/// No row: the end of the free list, an empty index cell.
pub const NONE: u32 = u32::MAX;

/// What a table keeps in each row.
pub trait Row: Copy {
    /// A free row: one that holds no key (`!FREE.is_used()`).
    const FREE: Self;
    /// A free row's link to the next free one ([`NONE`] for none): a field that a used row
    /// may use for something else.
    fn link(&mut self) -> &mut u32;
    /// Whether the row holds a key.
    fn is_used(&self) -> bool;
    /// The hash of its key: where the probe for it starts.
    fn hash(&self) -> u64;
}

/// A free row linked to `next`.
fn free_row<R: Row>(next: u32) -> R {
    let mut r = R::FREE;
    *r.link() = next;
    r
}

/// The memory a table is kept in, allocated by the caller: a `KVVec` in the module, a `Vec` or
/// a `&mut [T]` on the host.
pub trait Memory<T>: DerefMut<Target = [T]> {}

impl<T, M: DerefMut<Target = [T]>> Memory<T> for M {}

/// Why a table could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadIndex;

/// Rows of `R` in `S`, found through the index `I`, both allocated by the caller.
///
/// `I` must have a power-of-two length of at least twice the number of rows, so that a probe
/// always ends at an empty cell.
///
/// # Invariants
///
/// The free rows form a list from `free` through their links ([`Row::link`]), ended by
/// [`NONE`]; `used` is the number of rows not on it; every used row is below `reach` and in the
/// index once, where the probe for its hash finds it.
pub struct Table<R, S, I> {
    rows: S,
    /// Open addressing by hash, linear probing: a row number, or [`NONE`].
    index: I,
    /// The first free row, [`NONE`] when the table is full.
    free: u32,
    used: u32,
    reach: u32,
    /// The row the last insert made and its index cell, while nothing else has changed since.
    last: Option<(u32, usize)>,
    _rows: core::marker::PhantomData<R>,
}

impl<R: Row, S: Memory<R>, I: Memory<u32>> Table<R, S, I> {
    /// An empty table over `rows` (every one made free) and `index`.
    pub fn new(rows: S, index: I) -> Result<Self, BadIndex> {
        if !index.len().is_power_of_two()
            || index.len() < 2 * rows.len()
            || rows.is_empty()
            || u32::try_from(rows.len()).map_or(true, |n| n == NONE)
        {
            return Err(BadIndex);
        }
        let mut table = Table {
            rows,
            index,
            free: NONE,
            used: 0,
            reach: 0,
            last: None,
            _rows: core::marker::PhantomData,
        };
        table.free_all();
        Ok(table)
    }

    /// Frees every row, all on the free list in order, and empties the index.
    fn free_all(&mut self) {
        let n = self.rows.len();
        for (i, r) in self.rows.iter_mut().enumerate() {
            *r = free_row(if i + 1 < n { (i + 1) as u32 } else { NONE });
        }
        self.index.fill(NONE);
        self.free = 0;
        self.used = 0;
        self.last = None;
        // INVARIANT: Every row is on the free list, in order; none is used or indexed.
        self.reach = 0;
    }

    /// How many rows there are.
    pub fn capacity(&self) -> usize {
        self.rows.len()
    }

    /// How many hold a key.
    pub fn used(&self) -> u32 {
        self.used
    }

    /// One past the highest row used since the table was last emptied: what every pass over
    /// the used rows reads.
    pub fn reach(&self) -> u32 {
        self.reach
    }

    /// Whether every row is taken: a new key cannot be kept.
    pub fn is_full(&self) -> bool {
        self.free == NONE
    }

    /// The used row `row`, if it is one.
    pub fn get(&self, row: u32) -> Option<&R> {
        self.rows.get(row as usize).filter(|r| r.is_used())
    }

    /// As [`Table::get`], to change (but not its key: see [`Table::rekey`]).
    pub fn get_mut(&mut self, row: u32) -> Option<&mut R> {
        self.rows.get_mut(row as usize).filter(|r| r.is_used())
    }

    /// Every used row, with its number, in row order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &R)> {
        self.rows
            .get(..self.reach as usize)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_used())
            .map(|(i, r)| (i as u32, r))
    }

    /// Every used row, to change (but not its key: see [`Table::rekey`]).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut R> {
        let reach = self.reach as usize;
        self.rows
            .get_mut(..reach)
            .unwrap_or(&mut [])
            .iter_mut()
            .filter(|r| r.is_used())
    }

    /// Where the probe for `hash` starts.
    fn home(&self, hash: u64) -> usize {
        ((hash ^ (hash >> 31)) as usize) & (self.index.len() - 1)
    }

    /// The used row whose key hashes to `hash` and of which `is` holds, if there is one.
    pub fn find(&self, hash: u64, is: impl Fn(&R) -> bool) -> Option<u32> {
        let mask = self.index.len() - 1;
        let mut i = self.home(hash);
        loop {
            let r = *self.index.get(i)?;
            if r == NONE {
                return None;
            }
            if self.get(r).is_some_and(&is) {
                return Some(r);
            }
            i = (i + 1) & mask;
        }
    }

    /// Puts used row `row` in the index; returns its cell.
    fn index_insert(&mut self, row: u32) -> Option<usize> {
        let hash = self.get(row).map(Row::hash)?;
        let mask = self.index.len() - 1;
        let mut i = self.home(hash);
        while self.index[i] != NONE {
            i = (i + 1) & mask;
        }
        self.index[i] = row;
        Some(i)
    }

    /// Keeps `row` (a used one, whose key no row has: the caller found none) in the first free
    /// row, in constant time but for the probe of the index; `None` when the table is full.
    pub fn insert(&mut self, row: R) -> Option<u32> {
        if !row.is_used() {
            return None;
        }
        let at = self.free;
        let next = *self.rows.get_mut(at as usize)?.link();
        self.rows[at as usize] = row;
        self.free = next;
        self.used += 1;
        self.reach = self.reach.max(at + 1);
        // INVARIANT: A new used row, below `reach`, indexed once.
        self.last = self.index_insert(at).map(|cell| (at, cell));
        Some(at)
    }

    /// Frees `row`, which the last insert made (a row that cannot be kept after all): in
    /// constant time if nothing else changed since, as [`Table::retain`] would otherwise.
    ///
    /// The last insert's cell ends its probe, and every row indexed before it was placed before
    /// that cell on its own probe (the cell was empty then), so emptying it breaks no probe.
    pub fn undo_insert(&mut self, row: u32) {
        match self.last.take() {
            Some((last, cell)) if last == row => {
                self.index[cell] = NONE;
                self.rows[row as usize] = free_row(self.free);
                self.free = row;
                // INVARIANT: The row is on the free list again, and in the index no more.
                self.used -= 1;
            }
            _ => {
                self.retain(|_, i, _| i != row);
            }
        }
    }

    /// Frees every used row of which `keep` (given the table, the row's number and the row)
    /// does not hold, and builds the index again if any was; returns how many were freed.
    pub fn retain(&mut self, mut keep: impl FnMut(&Self, u32, &R) -> bool) -> u32 {
        self.last = None;
        let mut freed = 0;
        for i in 0..self.reach {
            let r = self.rows[i as usize];
            if !r.is_used() || keep(self, i, &r) {
                continue;
            }
            self.rows[i as usize] = free_row(self.free);
            self.free = i;
            self.used -= 1;
            freed += 1;
        }
        if freed > 0 {
            self.reindex();
        }
        freed
    }

    /// Lets `change` change the keys of the used rows, and builds the index again if it says
    /// it changed any (by returning true); returns how many it changed.
    pub fn rekey(&mut self, mut change: impl FnMut(&mut R) -> bool) -> u32 {
        self.last = None;
        let changed = self.iter_mut().map(|r| u32::from(change(r))).sum();
        if changed > 0 {
            self.reindex();
        }
        changed
    }

    /// Frees every row, calling `release` with each used one first.
    pub fn clear(&mut self, mut release: impl FnMut(u32, &R)) {
        for (i, r) in self.iter() {
            release(i, r);
        }
        self.free_all();
    }

    /// Builds the index again from the used rows.
    fn reindex(&mut self) {
        self.index.fill(NONE);
        for row in 0..self.reach {
            let _ = self.index_insert(row);
        }
        // INVARIANT: Every used row is in the index once again.
    }
}

/// What the tests of the tables share: memory for a table too large for a kernel stack.
#[cfg(any(test, CONFIG_KUNIT = "y"))]
pub mod testing {
    /// A vector on the heap: the kernel's under KUnit, the standard library's on the host.
    #[cfg(MODULE)]
    pub type Heap<T> = kernel::alloc::KVVec<T>;
    /// A vector on the heap: the kernel's under KUnit, the standard library's on the host.
    #[cfg(not(MODULE))]
    pub type Heap<T> = std::vec::Vec<T>;

    /// `n` copies of `v` on the heap.
    pub fn heap<T: Clone>(v: T, n: usize) -> Heap<T> {
        #[cfg(MODULE)]
        let v = match Heap::from_elem(v, n, kernel::alloc::flags::GFP_KERNEL) {
            Ok(v) => v,
            Err(_) => panic!("no memory for a test table"),
        };
        #[cfg(not(MODULE))]
        let v = std::vec![v; n];
        v
    }
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_table))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::testing::{heap, Heap};
    use super::*;

    /// A row keyed by a number (0: free), carrying a value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Item {
        key: u64,
        value: u32,
        next: u32,
    }

    impl Row for Item {
        const FREE: Item = Item {
            key: 0,
            value: 0,
            next: NONE,
        };
        fn link(&mut self) -> &mut u32 {
            &mut self.next
        }
        fn is_used(&self) -> bool {
            self.key != 0
        }
        fn hash(&self) -> u64 {
            // Every key alike but for its low bits: the probe must go on past other keys.
            self.key & 3
        }
    }

    fn item(key: u64, value: u32) -> Item {
        Item {
            key,
            value,
            next: NONE,
        }
    }

    type T = Table<Item, Heap<Item>, Heap<u32>>;

    /// A table of four rows.
    fn table() -> T {
        match T::new(heap(Item::FREE, 4), heap(0, 8)) {
            Ok(t) => t,
            Err(_) => panic!("the index fits"),
        }
    }

    fn find(t: &T, key: u64) -> Option<u32> {
        t.find(key & 3, |r| r.key == key)
    }

    #[test]
    fn an_index_too_small_is_refused() {
        assert!(T::new(heap(Item::FREE, 4), heap(0, 6)).is_err());
        assert!(T::new(heap(Item::FREE, 4), heap(0, 4)).is_err());
    }

    #[test]
    fn rows_are_found_reused_lowest_first_and_full_says_so() {
        let mut t = table();
        for k in 1..=4 {
            assert_eq!(t.insert(item(k * 4, k as u32)), Some(k as u32 - 1));
        }
        assert!(t.is_full());
        assert_eq!(t.insert(item(99, 0)), None);
        assert_eq!(t.insert(item(0, 0)), None);
        for k in 1..=4 {
            assert_eq!(find(&t, k * 4), Some(k as u32 - 1));
        }
        // Rows 1 and 3 freed: found no more, the others still are, behind them in the probe.
        let mut released = 0;
        assert_eq!(
            t.retain(|_, i, _| {
                let keep = i % 2 == 0;
                released += u32::from(!keep);
                keep
            }),
            2
        );
        assert_eq!((released, t.used()), (2, 2));
        assert_eq!(find(&t, 8), None);
        assert_eq!(find(&t, 12), Some(2));
        assert_eq!(find(&t, 16), None);
        // The last freed comes back first.
        assert_eq!(t.insert(item(20, 5)), Some(3));
        assert_eq!(t.insert(item(24, 6)), Some(1));
        assert_eq!(t.get(1).map(|r| r.value), Some(6));
        assert_eq!(t.get(5), None);
        let keys: [u64; 4] = {
            let mut it = t.iter().map(|(_, r)| r.key);
            [0; 4].map(|_| it.next().unwrap_or(0))
        };
        assert_eq!(keys, [4, 24, 12, 20]);
    }

    #[test]
    fn an_undone_insert_leaves_every_other_row_found() {
        let mut t = table();
        // Three keys of one hash: one probe chain, the last insert at its end.
        for k in [4, 8, 12] {
            assert!(t.insert(item(k, 0)).is_some());
        }
        let Some(last) = t.insert(item(16, 0)) else {
            panic!("a row is free");
        };
        t.undo_insert(last);
        assert_eq!((t.used(), find(&t, 16)), (3, None));
        for k in [4, 8, 12] {
            assert!(find(&t, k).is_some());
        }
        // Not the last insert: freed all the same, the index built again.
        t.undo_insert(0);
        assert_eq!((t.used(), find(&t, 4), find(&t, 8)), (2, None, Some(1)));
        // The freed rows come back, the last freed first.
        assert_eq!(t.insert(item(20, 0)), Some(0));
        assert_eq!(t.insert(item(24, 0)), Some(3));
    }

    #[test]
    fn rekeyed_rows_are_found_by_their_new_keys() {
        let mut t = table();
        assert_eq!(t.insert(item(1, 1)), Some(0));
        assert_eq!(t.insert(item(2, 2)), Some(1));
        // Key 1 becomes 102: its hash changes with it (1 to 2).
        assert_eq!(
            t.rekey(|r| {
                let change = r.key == 1;
                if change {
                    r.key = 102;
                }
                change
            }),
            1
        );
        assert_eq!(find(&t, 102), Some(0));
        assert_eq!(find(&t, 1), None);
        assert_eq!(find(&t, 2), Some(1));
        let mut gone = 0;
        t.clear(|_, _| gone += 1);
        assert_eq!((gone, t.used(), find(&t, 102)), (2, 0, None));
        assert_eq!(t.insert(item(7, 7)), Some(0));
    }
}
