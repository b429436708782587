// SPDX-License-Identifier: GPL-2.0

//! A few words that one writer, in any context, updates together and readers read whole: the
//! protocol of the kernel's `seqcount_t` (`include/linux/seqlock.h`), on atomics.
//!
//! The sampler's timer, in hard-interrupt context, records the kernel's `avenrun` when it finds
//! a window ended; the walker reads those three words for the sample's record. A lock would
//! have to be a raw spinlock taken with interrupts off by both sides; with a sequence count the
//! writer never waits and the reader only retries a read that a write overlapped (the timer
//! fires once per window, so a retry is rare and never repeats for long).

use kernel::sync::atomic::{Acquire, Atomic, Relaxed, Release};
use kernel::sync::barrier::{smp_mb, Read, Write};

/// `N` words, written together by one writer at a time.
///
/// # Invariants
///
/// `seq` is odd exactly while a write is under way; a read that saw the same even `seq` before
/// and after reading `words` saw no write under way.
pub struct SeqWords<const N: usize> {
    seq: Atomic<u32>,
    words: [Atomic<usize>; N],
}

impl<const N: usize> SeqWords<N> {
    /// Words all zero.
    pub fn new() -> Self {
        // INVARIANT: Even: no write is under way.
        Self {
            seq: Atomic::new(0),
            words: [const { Atomic::new(0) }; N],
        }
    }

    /// Stores `words`. Writers must not overlap: one context writes (the sampler's timer, a
    /// callback that never runs on two CPUs at once).
    pub fn write(&self, words: [usize; N]) {
        let seq = self.seq.load(Relaxed);
        // INVARIANT: Odd while the words change, as `write_seqcount_begin()`.
        self.seq.store(seq.wrapping_add(1), Relaxed);
        smp_mb(Write);
        for (word, value) in self.words.iter().zip(words) {
            word.store(value, Relaxed);
        }
        // INVARIANT: Even again once they are all stored, as `write_seqcount_end()`: the
        // release orders the stores before it.
        self.seq.store(seq.wrapping_add(2), Release);
    }

    /// The words as the last complete write left them, retrying a read that a write overlapped
    /// (`read_seqcount_begin()`, `read_seqcount_retry()`).
    pub fn read(&self) -> [usize; N] {
        loop {
            let seq = self.seq.load(Acquire);
            if seq % 2 == 0 {
                let words = self.words.each_ref().map(|word| word.load(Relaxed));
                smp_mb(Read);
                if self.seq.load(Relaxed) == seq {
                    return words;
                }
            }
            core::hint::spin_loop();
        }
    }
}

impl<const N: usize> Default for SeqWords<N> {
    fn default() -> Self {
        Self::new()
    }
}
