// SPDX-License-Identifier: GPL-2.0

//! Differential test: the module's arithmetic and `/proc/loadavg` text against the kernel's C.
//!
//! The C side is cut out of the kernel source tree at build time (see `build.rs`); every case
//! below must give the same bits on both sides. Over three million cases run: random values
//! from a fixed-seed generator, the edges (zero, `FIXED_1`, saturation, wrap-around) and every
//! count of missed windows from 0 to 10^6.

#[cfg(not(kernel_c))]
#[test]
fn differential_needs_the_kernel_source() {
    panic!(
        "LOADAVG_RS_KERNEL_SRC is not set, so there is no kernel C to compare with: \
         `make test` sets it, or point it at a kernel source tree (scripts/provision.sh \
         fetches one)"
    );
}

#[cfg(kernel_c)]
mod with_kernel_c {
    use loadavg_rs_host::calc_load::*;
    use loadavg_rs_host::loadavg_line::LoadavgText;
    use loadavg_rs_host::pressure::Pressure;

    extern "C" {
        fn kernel_calc_load(load: usize, exp: usize, active: usize) -> usize;
        fn kernel_fixed_power_int(x: usize, n: u32) -> usize;
        fn kernel_calc_load_n(load: usize, exp: usize, active: usize, n: u32) -> usize;
        fn kernel_constant(which: i32) -> usize;
        #[allow(clippy::too_many_arguments)]
        fn kernel_psi_update(
            avg_in: *const u64,
            total: *const u64,
            avg_total: *const u64,
            next_update: u64,
            last_update: u64,
            now: u64,
            period: u64,
            avg_out: *mut u64,
        );
        fn kernel_loadavg_text(
            buf: *mut u8,
            len: usize,
            loads: *const usize,
            running: u32,
            threads: i32,
            last_pid: i32,
        ) -> i32;
    }

    /// xorshift64*: a fixed sequence, so a failure reproduces.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// A value drawn from a mix of ranges, as loads and counts really are, plus the edges.
        fn load(&mut self) -> usize {
            const EDGES: [usize; 10] = [
                0,
                1,
                FIXED_1 - 1,
                FIXED_1,
                FIXED_1 + 1,
                usize::MAX,
                usize::MAX - 1,
                usize::MAX / FIXED_1,
                1 << 53,
                (1 << 32) - 1,
            ];
            let r = self.next();
            match r % 5 {
                0 => EDGES[(r >> 8) as usize % EDGES.len()],
                1 => (r >> 8) as usize % (64 * FIXED_1),
                2 => (r >> 8) as usize % (1 << 32),
                _ => self.next() as usize,
            }
        }

        fn exp(&mut self) -> usize {
            let r = self.next();
            match r % 4 {
                0 => [EXP_1, EXP_5, EXP_15][(r >> 8) as usize % 3],
                1 | 2 => (r >> 8) as usize % (FIXED_1 + 1),
                _ => self.next() as usize,
            }
        }
    }

    fn kernel_text(loads: [usize; 3], running: u32, threads: i32, last_pid: i32) -> String {
        let mut buf = [0u8; 128];
        // SAFETY: `buf` is writable for its length and `loads` holds three values.
        let n = unsafe {
            kernel_loadavg_text(
                buf.as_mut_ptr(),
                buf.len(),
                loads.as_ptr(),
                running,
                threads,
                last_pid,
            )
        };
        String::from_utf8(buf[..n as usize].to_vec()).expect("ASCII")
    }

    #[test]
    fn constants() {
        // SAFETY: plain C functions of integers.
        let c = |i| unsafe { kernel_constant(i) };
        assert_eq!(c(0), FSHIFT as usize);
        assert_eq!(c(1), FIXED_1);
        assert_eq!(c(2) as u64, load_freq(250));
        assert_eq!([c(3), c(4), c(5)], [EXP_1, EXP_5, EXP_15]);
    }

    #[test]
    fn calc_load_million() {
        let mut rng = Rng(0x5eed_0001);
        for _ in 0..1_000_000 {
            let (load, exp, active) = (rng.load(), rng.exp(), rng.load());
            // SAFETY: plain C functions of integers.
            let want = unsafe { kernel_calc_load(load, exp, active) };
            assert_eq!(
                calc_load(load, exp, active),
                want,
                "calc_load({load}, {exp}, {active})"
            );
        }
    }

    #[test]
    fn fixed_power_every_n_to_a_million() {
        let mut rng = Rng(0x5eed_0002);
        for x in [EXP_1, EXP_5, EXP_15] {
            for n in 0..=1_000_000u32 {
                // SAFETY: plain C functions of integers.
                let want = unsafe { kernel_fixed_power_int(x, n) };
                assert_eq!(fixed_power_int(x, n), want, "fixed_power_int({x}, {n})");
            }
        }
        for _ in 0..300_000 {
            let (x, n) = (rng.exp(), rng.next() as u32);
            // SAFETY: plain C functions of integers.
            let want = unsafe { kernel_fixed_power_int(x, n) };
            assert_eq!(fixed_power_int(x, n), want, "fixed_power_int({x}, {n})");
        }
    }

    #[test]
    fn calc_load_n_million() {
        let mut rng = Rng(0x5eed_0003);
        for i in 0..1_000_000u32 {
            let (load, exp, active) = (rng.load(), rng.exp(), rng.load());
            let n = match i % 3 {
                0 => i,
                1 => rng.next() as u32 % 64,
                _ => rng.next() as u32,
            };
            // SAFETY: plain C functions of integers.
            let want = unsafe { kernel_calc_load_n(load, exp, active, n) };
            assert_eq!(
                calc_load_n(load, exp, active, n),
                want,
                "calc_load_n({load}, {exp}, {active}, {n})"
            );
        }
    }

    #[test]
    fn proc_loadavg_text() {
        let mut rng = Rng(0x5eed_0004);
        for i in 0..200_000 {
            let loads = [rng.load(), rng.load(), rng.load()];
            let running = rng.next() as u32;
            let threads = rng.next() as i32;
            let last_pid = if i % 2 == 0 {
                (rng.next() % 4_194_304) as i32
            } else {
                rng.next() as i32
            };
            let ours = LoadavgText {
                loads,
                running,
                threads,
                last_pid,
            }
            .to_string();
            assert_eq!(ours, kernel_text(loads, running, threads, last_pid));
        }
    }

    /// An idle group's catch-up, as the module makes it on a copy, against `update_averages()`
    /// on the kernel's side: the same bits for every state a stopped clock may leave, late by
    /// 0 to a million periods, with stall time left over or none.
    #[test]
    fn pressure_caught_up_as_psi_show_would() {
        let mut rng = Rng(0x5eed_0005);
        // PSI's period at HZ 100, 250, 300 and 1000: (2 HZ + 1) jiffies, in ns.
        let periods = [
            2_010_000_000u64,
            2_004_000_000,
            2_003_333_333,
            2_001_000_000,
        ];
        for i in 0..300_000u64 {
            let period = periods[i as usize % periods.len()];
            let pct = |r: &mut Rng| (r.next() % (100 * 2048 + 1)) as usize;
            let avg = [
                [pct(&mut rng), pct(&mut rng), pct(&mut rng)],
                [pct(&mut rng), pct(&mut rng), pct(&mut rng)],
            ];
            let last_update = rng.next() % (1 << 50);
            let next_update = last_update + 1 + rng.next() % period;
            let late = match i % 4 {
                0 => rng.next() % period,
                1 => rng.next() % (20 * period),
                2 => i * 1_000 * period / 300_000,
                _ => rng.next() % (1_000_000 * period),
            };
            let avg_total = [rng.next() % (1 << 40), rng.next() % (1 << 40)];
            let left = |r: &mut Rng| match r.next() % 3 {
                0 => 0,
                1 => r.next() % period,
                _ => r.next() % (3 * period),
            };
            let total = [avg_total[0] + left(&mut rng), avg_total[1] + left(&mut rng)];
            let p = Pressure {
                avg,
                total,
                avg_total,
                next_update,
                last_update,
                now: next_update + late,
                period,
                clock_stopped: true,
            };
            let flat =
                |a: [[usize; 3]; 2]| a.concat().iter().map(|&x| x as u64).collect::<Vec<_>>();
            let mut want = [0u64; 6];
            // SAFETY: plain C over arrays of the sizes it reads and writes.
            unsafe {
                kernel_psi_update(
                    flat(avg).as_ptr(),
                    total.as_ptr(),
                    avg_total.as_ptr(),
                    next_update,
                    last_update,
                    p.now,
                    period,
                    want.as_mut_ptr(),
                )
            };
            assert_eq!(flat(p.now()), want, "{p:?}");
        }
    }
}
