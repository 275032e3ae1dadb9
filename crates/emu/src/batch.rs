//! Batches of independent chips on all cores.
//!
//! Chips share nothing, so a batch is stepped one chip per task on rayon's thread pool;
//! each chip computes exactly the bits it computes alone (a test compares digests).

use bitvec::prelude::*;
use neurochip_core::StepError;
use rayon::prelude::*;

use crate::HostChip;

/// Run every chip of `chips` for `steps` steps, chip `k`'s input at step `t` written by
/// `input(k, t, x)`; returns each chip's digest. Chips run in parallel on all cores.
pub fn run_batch<F>(chips: &mut [HostChip], steps: u32, input: F) -> Result<Vec<u64>, StepError>
where
    F: Fn(usize, u32, &mut BitSlice<u32, Lsb0>) + Sync,
{
    chips
        .par_iter_mut()
        .enumerate()
        .map(|(k, chip)| {
            let mut x = bitvec![u32, Lsb0; 0; chip.config().n_in()];
            for t in 0..steps {
                x.fill(false);
                input(k, t, &mut x);
                chip.step(&x)?;
            }
            Ok(chip.digest())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurochip_core::ConfigBuilder;

    #[test]
    fn a_batch_computes_what_each_chip_computes_alone() {
        let cfg = ConfigBuilder::new(8, 32, 2).seed(3).build().unwrap();
        let make = |k: usize| {
            HostChip::build(cfg, |m| {
                m.init_default_params(&cfg);
                m.mask_in.fill(true);
                m.mask_rec.fill(true);
                m.mask_out.fill(true);
                for (i, w) in m.w_in.iter_mut().enumerate() {
                    *w = ((i * 37 + k * 11) % 61) as i16;
                }
                for (i, w) in m.w_rec.iter_mut().enumerate() {
                    *w = ((i * 13 + k) % 21) as i16 - 10;
                }
            })
        };
        let input = |k: usize, t: u32, x: &mut BitSlice<u32, Lsb0>| {
            for i in 0..x.len() {
                x.set(i, (i + k + t as usize).is_multiple_of(3));
            }
        };
        let mut batch: Vec<HostChip> = (0..6).map(make).collect();
        let got = run_batch(&mut batch, 200, input).unwrap();
        for (k, want) in got.iter().enumerate() {
            // The same chip stepped alone, on this thread.
            let mut c = make(k);
            let mut x = bitvec![u32, Lsb0; 0; 8];
            for t in 0..200 {
                x.fill(false);
                input(k, t, &mut x);
                c.step(&x).unwrap();
            }
            assert_eq!(c.digest(), *want);
        }
        assert!(got.windows(2).any(|w| w[0] != w[1]));
    }
}
