//! Fixed-point softmax and the output error of classification.
//!
//! `pi_k = 2^(x_k) / sum_l 2^(x_l)` with `x_k = (y_k - max_l y_l) * log2(e)`, in Q16.
//! `2^x` for `x <= 0` is a shift by the integer part times a cubic for the
//! fraction, `2^f ~ 1 + 0.69583 f + 0.22606 f^2 + 0.07811 f^3` on `[0, 1]` (largest
//! relative error 1.5e-4, plus Q16 rounding). The quotient is one integer division per readout (the sum is at least
//! `2^16`, never zero). Probabilities are Q0.15 (`32768` = 1).

use crate::format::shift_round;

/// `log2(e)` in Q16.
const LOG2E_Q16: i64 = 94_548;
/// One in Q16.
const ONE_Q16: i64 = 1 << 16;
/// Probabilities and the errors made from them: Q0.15 held in an `i32` word (`32768`
/// is 1), a format fixed by design; [`softmax_q15`] and the actor–critic store their
/// bits.
pub type Q15 = fixed::types::I17F15;
/// One in [`Q15`].
pub const ONE_Q15: i32 = Q15::ONE.to_bits();

/// `2^x` for `x <= 0` in Q16 (input and output Q16).
pub fn exp2_neg_q16(x: i64) -> i64 {
    if x > 0 {
        return ONE_Q16;
    }
    let mag = x.saturating_neg();
    let int = mag >> 16;
    if int >= 31 {
        return 0;
    }
    // x = -int - fm, fm in [0, 1); 2^x = 2^(-int-1) * 2^(1-fm), with 1 - fm in (0, 1].
    let fm = mag & 0xFFFF;
    let (shift, f) = if fm == 0 {
        (int, 0)
    } else {
        (int.saturating_add(1), ONE_Q16.saturating_sub(fm))
    };
    // 2^f ~ 1 + f (a + f (b + c f)), a = 0.69583, b = 0.22606, c = 0.07811 (Q16).
    let (a, b, c) = (45_602i64, 14_815i64, 5_119i64);
    let inner = b.saturating_add(c.saturating_mul(f) >> 16);
    let inner = a.saturating_add(inner.saturating_mul(f) >> 16);
    let p = ONE_Q16.saturating_add(f.saturating_mul(inner) >> 16);
    p >> shift.clamp(0, 62)
}

/// Softmax of readouts `y` (readout format with `frac` fractional bits) into `pi`
/// (Q0.15). `pi` and `y` have the same length.
pub fn softmax_q15(y: &[i32], frac: u32, pi: &mut [i32]) {
    let m = y.iter().copied().max().unwrap_or(0);
    let mut sum = 0i64;
    for (p, &v) in pi.iter_mut().zip(y) {
        let d = i64::from(v).saturating_sub(i64::from(m));
        // d in readout units -> x = d * log2(e) in Q16.
        let x = shift_round(d.saturating_mul(LOG2E_Q16), (frac as i32).wrapping_neg());
        let e = exp2_neg_q16(x);
        *p = e as i32;
        sum = sum.saturating_add(e);
    }
    for p in pi.iter_mut() {
        let num = i64::from(*p).saturating_mul(i64::from(ONE_Q15));
        *p = num.checked_div(sum).unwrap_or(0) as i32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp2_close() {
        for i in 0..2000 {
            let x = -(i as i64) * 100;
            let want = 2f64.powf(x as f64 / 65536.0);
            let got = exp2_neg_q16(x) as f64 / 65536.0;
            assert!(
                (got - want).abs() <= want * 0.0005 + 3.0 / 65536.0,
                "{x}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn softmax_close() {
        let y = [256, -128, 512, 0];
        let mut pi = [0; 4];
        softmax_q15(&y, 8, &mut pi);
        let yf: Vec<f64> = y.iter().map(|&v| v as f64 / 256.0).collect();
        let s: f64 = yf.iter().map(|v| v.exp()).sum();
        for (p, v) in pi.iter().zip(&yf) {
            let want = v.exp() / s;
            assert!((*p as f64 / 32768.0 - want).abs() < 0.003);
        }
    }
}
