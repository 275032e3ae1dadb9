//! The fixed, stratified train / test split of the digits (feature `std`).
//!
//! Test quota per class (largest remainder, Hamilton's method): class `c`
//! with `n_c` of `n` samples gets `floor(n_test * n_c / n)` test samples; the
//! `n_test - sum(floor)` left over go one each to the classes with the
//! largest remainders `(n_test * n_c) mod n`, ties to the smaller class
//! label. Every class's test count is thus within 1 of `n_test * n_c / n`,
//! and the counts sum to `n_test`.
//!
//! Within a class, samples are ordered by `(hash(seed, i, META | 1, 0), i)`
//! and the first quota go to test. Both lists are returned in ascending index
//! order. The result depends only on the labels, `seed` and `n_test`: no
//! `HashMap`, no platform-dependent order.

use crate::rng::{hash, META};

use super::{Digits, N_TEST};

/// Seed of the project's fixed split ([`Digits::split`]).
pub const SPLIT_SEED: u64 = 0x0D16_175E_ED00_0001;
const TAG_SPLIT: u64 = 1;

impl Digits {
    /// The project's fixed split: `(train, test)` indices, 1297 and 500 for
    /// the shipped 1797 samples. See the module docs for the method.
    pub fn split(&self) -> (Vec<usize>, Vec<usize>) {
        self.split_seeded(SPLIT_SEED, N_TEST)
    }

    /// A stratified split with `min(n_test, len())` test samples.
    pub fn split_seeded(&self, seed: u64, n_test: usize) -> (Vec<usize>, Vec<usize>) {
        let n = self.len();
        let n_test = n_test.min(n);
        let labels = self.labels.get(..n).unwrap_or(&[]);
        let mut counts = [0usize; 256];
        for &l in labels {
            if let Some(c) = counts.get_mut(usize::from(l)) {
                *c += 1;
            }
        }
        let quota = quotas(&counts, n, n_test);
        let mut is_test = vec![false; n];
        for (class, &q) in quota.iter().enumerate() {
            if q == 0 {
                continue;
            }
            let mut members: Vec<(u64, usize)> = labels
                .iter()
                .enumerate()
                .filter(|&(_, &l)| usize::from(l) == class)
                .map(|(i, _)| (hash(seed, i as u64, META | TAG_SPLIT, 0), i))
                .collect();
            members.sort_unstable();
            for &(_, i) in members.iter().take(q) {
                if let Some(slot) = is_test.get_mut(i) {
                    *slot = true;
                }
            }
        }
        let (test, train): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| is_test.get(i) == Some(&true));
        (train, test)
    }
}

/// Largest-remainder allocation of `n_test` over classes of sizes `counts`
/// (summing to `n`).
fn quotas(counts: &[usize; 256], n: usize, n_test: usize) -> [usize; 256] {
    let mut quota = [0usize; 256];
    if n == 0 {
        return quota;
    }
    let (n_u, t_u) = (n as u128, n_test as u128);
    let mut rems: Vec<(u128, usize)> = Vec::new();
    let mut given = 0usize;
    for (class, (&c, q)) in counts.iter().zip(quota.iter_mut()).enumerate() {
        let share = t_u * c as u128;
        *q = usize::try_from(share / n_u).unwrap_or(0);
        given += *q;
        let rem = share % n_u;
        if rem > 0 {
            rems.push((rem, class));
        }
    }
    // Largest remainder first; ties to the smaller class label.
    rems.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, class) in rems.iter().take(n_test.saturating_sub(given)) {
        if let Some(q) = quota.get_mut(class) {
            *q += 1;
        }
    }
    quota
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_sum_and_round() {
        let mut counts = [0usize; 256];
        counts[..10].copy_from_slice(&[178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        let q = quotas(&counts, 1797, 500);
        assert_eq!(q.iter().sum::<usize>(), 500);
        for c in 0..10 {
            let exact = 500.0 * counts[c] as f64 / 1797.0;
            assert!(
                (q[c] as f64 - exact).abs() < 1.0,
                "class {c}: {} vs {exact}",
                q[c]
            );
        }
        assert_eq!(quotas(&counts, 0, 0), [0; 256]);
    }

    #[test]
    fn small_split() {
        let d = Digits {
            images: vec![[0; 64]; 10],
            labels: vec![0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
        };
        let (train, test) = d.split_seeded(1, 5);
        assert_eq!(test.len(), 5);
        assert_eq!(train.len(), 5);
        assert_eq!(test.iter().filter(|&&i| i < 4).count(), 2);
        let (_, all) = d.split_seeded(1, 99);
        assert_eq!(all.len(), 10);
        assert_eq!(Digits::default().split(), (vec![], vec![]));
    }
}
