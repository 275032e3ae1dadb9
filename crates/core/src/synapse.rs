//! Synapse arrays: turning presynaptic events into postsynaptic input.
//!
//! For each step the input of every neuron is summed in a 32-bit accumulator, one
//! synaptic operation per (event, target) pair. The accumulator cannot overflow: the
//! largest fan-in is 4,096 (the address width, [`crate::config::HARD_MAX_UNITS`])
//! and weights are at most 16 bits, so `|sum| <= 2^12 * 2^15 = 2^27 < 2^31`; the
//! adds are `wrapping_add` to say so. The sum is scaled by the layer shift and
//! saturated once into the membrane, so its value does not depend on the order the
//! events arrive in: [`accumulate_events`] (work proportional to events times
//! fan-out) and [`accumulate_dense`] (a matrix-vector product) give the same bits.
//!
//! Synapses that the connectivity mask switches off hold weight zero, and learning
//! never changes them, so a sparse network needs no second code path.

use crate::memory::Bits;

/// Add row `i` of `w` (`n_post` weights per row) to `acc` for every set bit `i` of
/// `pre`. Returns the number of synaptic operations (events times `n_post`).
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn accumulate_events(pre: &Bits, w: &[i16], acc: &mut [i32]) -> u32 {
    event_rows(pre, w, acc.len(), |_, row| add_row(acc, row))
}

/// `acc += row`, element by element, over the shorter of the two (it cannot wrap:
/// see the module docs).
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn add_row(acc: &mut [i32], row: &[i16]) {
    let n = acc.len().min(row.len());
    let (acc, row) = (
        acc.get_mut(..n).unwrap_or_default(),
        row.get(..n).unwrap_or_default(),
    );
    // The host's compiler vectorises the plain loop; a microcontroller's loops are
    // not unrolled (the firmware's build profile), so there four a turn share the
    // loop's overhead, then the plain loop takes the rest.
    let (acc, row) = if cfg!(target_arch = "x86_64") {
        (acc, row)
    } else {
        add_quads(acc, row)
    };
    for (a, &x) in acc.iter_mut().zip(row) {
        *a = a.wrapping_add(i32::from(x));
    }
}

/// [`add_row`] four elements a turn over the whole quads of `acc` and `row` (of equal
/// length); returns what is left of each.
fn add_quads<'a, 'b>(acc: &'a mut [i32], row: &'b [i16]) -> (&'a mut [i32], &'b [i16]) {
    let (mut a4, mut r4) = (acc.chunks_exact_mut(4), row.chunks_exact(4));
    for (a, r) in (&mut a4).zip(&mut r4) {
        for (a, &x) in a.iter_mut().zip(r) {
            *a = a.wrapping_add(i32::from(x));
        }
    }
    (a4.into_remainder(), r4.remainder())
}

/// The event-driven walk: for every set bit `i` of `pre`, call `add(start, row)` with
/// row `i` of `w` (`n_post` weights from index `start`). Returns the synaptic
/// operations (events times `n_post`). A row past the end of `w` is skipped.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn event_rows<'w>(
    pre: &Bits,
    w: &'w [i16],
    n_post: usize,
    mut add: impl FnMut(usize, &'w [i16]),
) -> u32 {
    let mut ops = 0u32;
    if n_post == 0 {
        return 0;
    }
    crate::words::for_each_one(pre, |i| {
        let start = i.saturating_mul(n_post);
        if let Some(row) = w.get(start..start.saturating_add(n_post)) {
            add(start, row);
            ops = ops.saturating_add(n_post as u32);
        }
    });
    ops
}

/// The same sum as [`accumulate_events`], computed as a dense matrix-vector product
/// (every synapse visited, silent ones multiplied by zero). Kept as the order
/// independence witness: tests and the cycle model check both give the same bits.
pub fn accumulate_dense(pre: &Bits, w: &[i16], acc: &mut [i32]) {
    let n_post = acc.len();
    if n_post == 0 {
        return;
    }
    for (bit, row) in pre.iter().by_vals().zip(w.chunks_exact(n_post)) {
        let s = i32::from(bit);
        for (a, &x) in acc.iter_mut().zip(row) {
            *a = a.wrapping_add(s.wrapping_mul(i32::from(x)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitvec::prelude::*;

    /// The microcontroller's four-a-turn sum, then the plain loop over what it leaves,
    /// is the plain loop, for every length (the host runs the plain loop alone).
    #[test]
    fn quads_then_the_rest_is_the_row() {
        for n in 0..=13usize {
            let row: Vec<i16> = (0..n).map(|k| (k as i16 - 6) * 4093).collect();
            let want: Vec<i32> = (0..n).map(|k| 100 * k as i32 + i32::from(row[k])).collect();
            let mut acc: Vec<i32> = (0..n).map(|k| 100 * k as i32).collect();
            let (rest, left) = add_quads(&mut acc, &row);
            assert_eq!((rest.len(), left.len()), (n % 4, n % 4));
            for (a, &x) in rest.iter_mut().zip(left) {
                *a += i32::from(x);
            }
            assert_eq!(acc, want, "{n}");
            let mut acc: Vec<i32> = (0..n).map(|k| 100 * k as i32).collect();
            add_row(&mut acc, &row);
            assert_eq!(acc, want, "{n}");
        }
    }

    #[test]
    fn event_equals_dense() {
        let pre = bitvec![u32, Lsb0; 1, 0, 1];
        let w = [1i16, 2, 3, 4, 5, 6, -7, 8, 9];
        let mut a = [0i32; 3];
        let mut b = [0i32; 3];
        assert_eq!(accumulate_events(&pre, &w, &mut a), 6);
        accumulate_dense(&pre, &w, &mut b);
        assert_eq!(a, [-6, 10, 12]);
        assert_eq!(a, b);
        // A release probability of one is the plain sum.
        use crate::release::{accumulate_events_released, class, step_key, ALWAYS};
        let mut c = [0i32; 3];
        accumulate_events_released(&pre, &w, &mut c, step_key(3, 9, class::INPUT), ALWAYS);
        assert_eq!(a, c);
    }
}
