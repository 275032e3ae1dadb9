//! The chip's weights as a user reads and writes them: one layer at a time, as the
//! integers in weight memory (quantised) or as the real values they stand for
//! (dequantised), with every write checked the way a chip image is checked.
//!
//! | layer | shape | memory | one unit is worth |
//! |---|---|---|---|
//! | `w_in` | inputs × neurons, `[i, j]` = input `i` to neuron `j` | `i16`, weight format | `2^(shifts.input - membrane_frac)` |
//! | `w_rec` | neurons × neurons, `[i, j]` = neuron `i` to neuron `j` | `i16`, weight format | `2^(shifts.recurrent - membrane_frac)` |
//! | `w_out` | neurons × readouts, `[j, k]` = neuron `j` to readout `k` | `i16`, weight format | `2^(shifts.output - readout_frac)` |
//! | `bias` | readouts | `i32`, readout format | `2^-readout_frac` |
//!
//! The layer shifts are part of the chip's configuration and stay as they are: a
//! write puts values on the layer's grid (real values are rounded to the nearest
//! unit, ties away from zero, as [`crate::quantize`] rounds) and refuses, naming the
//! element, a value the format cannot hold (it would saturate), a non-zero weight on
//! a synapse whose mask bit is clear, or a sign against Dale's law
//! ([`neurochip_core::semantic::check_memory`], the check every image and snapshot
//! reader runs). A refused write changes nothing.
//!
//! The digest: a chip that has not stepped yet (step counter 0) gets fresh registers
//! after a write, so its digest is the one a chip built with these weights starts
//! from (writing back the weights read from a chip changes nothing). On a chip that
//! has stepped, the new weights are folded into the digest, as learning folds its
//! updates.

use neurochip_core::semantic::{self, Invalid};
use neurochip_core::{Chip, ChipConfig, Format};

use crate::HostChip;

/// A layer of weights (or the readout biases).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Input to recurrent neurons.
    In,
    /// Recurrent neurons to recurrent neurons.
    Rec,
    /// Recurrent neurons to readouts.
    Out,
    /// Readout biases.
    Bias,
}

impl Layer {
    /// Every layer, in memory order.
    pub const ALL: [Layer; 4] = [Layer::In, Layer::Rec, Layer::Out, Layer::Bias];

    /// Its name: `w_in`, `w_rec`, `w_out`, `bias`.
    pub const fn name(self) -> &'static str {
        match self {
            Layer::In => "w_in",
            Layer::Rec => "w_rec",
            Layer::Out => "w_out",
            Layer::Bias => "bias",
        }
    }

    /// The key of its learning rate in `[learning]` (or in an engine's own table):
    /// `eta_in`, `eta_rec`, `eta_out`, `eta_bias`.
    pub const fn rate_key(self) -> &'static str {
        match self {
            Layer::In => "eta_in",
            Layer::Rec => "eta_rec",
            Layer::Out => "eta_out",
            Layer::Bias => "eta_bias",
        }
    }

    /// What it learns, for messages.
    pub const fn what(self) -> &'static str {
        match self {
            Layer::In => "input weight",
            Layer::Rec => "recurrent weight",
            Layer::Out => "readout weight",
            Layer::Bias => "readout bias",
        }
    }

    /// The layer called `name`.
    pub fn named(name: &str) -> Result<Self, WeightError> {
        Self::ALL
            .into_iter()
            .find(|l| l.name() == name)
            .ok_or_else(|| WeightError::Layer(name.to_string()))
    }

    /// Its shape on the chip of `cfg`: rows and columns (the biases: one row).
    pub fn shape(self, cfg: &ChipConfig) -> (usize, usize) {
        let (i, n, o) = (cfg.n_in(), cfg.n_rec(), cfg.n_out());
        match self {
            Layer::In => (i, n),
            Layer::Rec => (n, n),
            Layer::Out => (n, o),
            Layer::Bias => (1, o),
        }
    }

    /// The format of its memory.
    pub fn format(self, cfg: &ChipConfig) -> Format {
        match self {
            Layer::Bias => cfg.formats().readout,
            _ => cfg.formats().weight,
        }
    }

    /// The real value of one unit of its memory on the chip of `cfg`.
    pub fn lsb(self, cfg: &ChipConfig) -> f64 {
        let f = cfg.formats();
        let s = cfg.shifts();
        let (mf, rf) = (f.membrane.frac() as i32, f.readout.frac() as i32);
        let e = match self {
            Layer::In => i32::from(s.input) - mf,
            Layer::Rec => i32::from(s.recurrent) - mf,
            Layer::Out => i32::from(s.output) - rf,
            Layer::Bias => -rf,
        };
        2f64.powi(e)
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a layer could not be read or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightError {
    /// No layer has this name.
    #[error("`{0}` is not a weight layer; allowed: w_in, w_rec, w_out, bias")]
    Layer(String),
    /// The values do not fill the layer.
    #[error("{layer}: {expected} values expected ({rows} x {cols}), got {got}")]
    Length {
        /// The layer.
        layer: Layer,
        /// Its rows.
        rows: usize,
        /// Its columns.
        cols: usize,
        /// Values it holds.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// A value the chip cannot hold, or may not hold there.
    #[error("{0}")]
    Value(String),
}

/// `layer[i, j]` (or `bias[k]`) for the flat index `k`.
fn place(layer: Layer, cfg: &ChipConfig, k: usize) -> String {
    let (_, cols) = layer.shape(cfg);
    match layer {
        Layer::Bias => format!("{layer}[{k}]"),
        _ => format!("{layer}[{}, {}]", k / cols.max(1), k % cols.max(1)),
    }
}

/// The integers of `layer` in memory, row by row.
pub fn get(chip: &mut HostChip, layer: Layer) -> Vec<i32> {
    let mem = chip.mem();
    match layer {
        Layer::In => mem.w_in.iter().map(|&w| i32::from(w)).collect(),
        Layer::Rec => mem.w_rec.iter().map(|&w| i32::from(w)).collect(),
        Layer::Out => mem.w_out.iter().map(|&w| i32::from(w)).collect(),
        Layer::Bias => mem.bias.to_vec(),
    }
}

/// The real values of `layer` (its integers times [`Layer::lsb`]): the weights
/// [`crate::dequantize`] gives the float reference.
pub fn get_real(chip: &mut HostChip, layer: Layer) -> Vec<f64> {
    let lsb = layer.lsb(chip.config());
    get(chip, layer)
        .into_iter()
        .map(|q| f64::from(q) * lsb)
        .collect()
}

/// Whether each synapse of `layer` is connected (its mask bit); `None` for the
/// biases. A synapse whose bit is clear holds weight 0.
pub fn mask(chip: &mut HostChip, layer: Layer) -> Option<Vec<bool>> {
    let mem = chip.mem();
    let bits = match layer {
        Layer::In => &*mem.mask_in,
        Layer::Rec => &*mem.mask_rec,
        Layer::Out => &*mem.mask_out,
        Layer::Bias => return None,
    };
    Some(bits.iter().by_vals().collect())
}

/// `values` on the grid of `layer`: each real value divided by the layer's unit and
/// rounded to nearest (ties away from zero). A value that is not finite, or whose
/// integer the layer's format cannot hold, is refused, named.
pub fn quantize_real(
    cfg: &ChipConfig,
    layer: Layer,
    values: &[f64],
) -> Result<Vec<i64>, WeightError> {
    let lsb = layer.lsb(cfg);
    let fmt = layer.format(cfg);
    values
        .iter()
        .enumerate()
        .map(|(k, &x)| {
            let q = (x / lsb).round();
            let (lo, hi) = (f64::from(fmt.min()), f64::from(fmt.max()));
            if !(lo..=hi).contains(&q) {
                let what = if x.is_finite() {
                    format!(
                        "{x} is {q} units of {lsb}, outside the {} format",
                        kind(layer)
                    )
                } else {
                    format!("{x} is not a number the chip holds")
                };
                return Err(WeightError::Value(format!(
                    "{} = {what}; allowed {}..={} ({} units of {lsb})",
                    place(layer, cfg, k),
                    lo * lsb,
                    hi * lsb,
                    Allowed(fmt),
                )));
            }
            Ok(q as i64)
        })
        .collect()
}

fn kind(layer: Layer) -> &'static str {
    match layer {
        Layer::Bias => "readout",
        _ => "weight",
    }
}

/// A format's range as `lo..=hi`.
struct Allowed(Format);

impl std::fmt::Display for Allowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..={}", self.0.min(), self.0.max())
    }
}

/// Write the integers `values` (row by row) into `layer`, after checking them: the
/// layer's length, its format, the mask bits and Dale's law (the module docs). On a
/// chip that has not stepped, the registers start afresh (the digest of a chip built
/// with these weights); otherwise the weights are folded into the digest.
pub fn set(chip: &mut HostChip, layer: Layer, values: &[i64]) -> Result<(), WeightError> {
    let cfg = *chip.config();
    check_length(&cfg, layer, values.len())?;
    let fmt = layer.format(&cfg);
    if let Some((k, &v)) = values
        .iter()
        .enumerate()
        .find(|(_, &v)| v < i64::from(fmt.min()) || v > i64::from(fmt.max()))
    {
        return Err(WeightError::Value(format!(
            "{} = {v}: outside the {} format ({} bits); allowed {}",
            place(layer, &cfg, k),
            kind(layer),
            fmt.bits(),
            Allowed(fmt)
        )));
    }
    // Written into a copy and checked there, so a refused write changes nothing.
    let mut next = chip.clone();
    {
        let mem = next.mem();
        // In range (checked above), so the casts are exact.
        match layer {
            Layer::In => copy16(mem.w_in, values),
            Layer::Rec => copy16(mem.w_rec, values),
            Layer::Out => copy16(mem.w_out, values),
            Layer::Bias => {
                for (d, &v) in mem.bias.iter_mut().zip(values) {
                    *d = v as i32;
                }
            }
        }
        semantic::check_memory(&cfg, &mem).map_err(|e| refusal(&cfg, &e))?;
    }
    {
        let (c, mem) = next.parts();
        if c.steps() == 0 {
            // The layout is the configuration's own, so this cannot fail.
            *c = Chip::new(cfg, &mem).unwrap_or_else(|e| unreachable!("{e}"));
        } else {
            c.fold_weights(&mem);
        }
    }
    *chip = next;
    Ok(())
}

/// `len` values for `layer`: its rows times its columns, or the length error.
fn check_length(cfg: &ChipConfig, layer: Layer, len: usize) -> Result<(), WeightError> {
    let (rows, cols) = layer.shape(cfg);
    if len == rows * cols {
        return Ok(());
    }
    Err(WeightError::Length {
        layer,
        rows,
        cols,
        expected: rows * cols,
        got: len,
    })
}

fn copy16(dst: &mut [i16], src: &[i64]) {
    for (d, &v) in dst.iter_mut().zip(src) {
        *d = v as i16;
    }
}

/// The core's refusal, with the element as `layer[i, j]`.
pub(crate) fn refusal(cfg: &ChipConfig, e: &Invalid) -> WeightError {
    let at = match (Layer::named(e.key), e.index) {
        (Ok(l), Some(k)) => place(l, cfg, k),
        (_, Some(k)) => format!("{}[{k}]", e.key),
        (_, None) => e.key.to_string(),
    };
    WeightError::Value(format!(
        "{at} = {}: {}; allowed {}",
        e.value, e.rule, e.allowed
    ))
}

/// [`set`] from real values ([`quantize_real`] puts them on the layer's grid).
pub fn set_real(chip: &mut HostChip, layer: Layer, values: &[f64]) -> Result<(), WeightError> {
    let cfg = *chip.config();
    check_length(&cfg, layer, values.len())?;
    let q = quantize_real(&cfg, layer, values)?;
    set(chip, layer, &q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::to_bits;

    fn chip(extra: &str) -> HostChip {
        let cfg = crate::config::parse(
            &format!(
                "seed = 5\n[network]\ninputs = 6\nneurons = 5\noutputs = 2\n{extra}\n\
                 [task]\nkind = \"poisson\"\nsteps = 20\n"
            ),
            "w.toml",
        )
        .unwrap();
        crate::build::chip(&cfg).unwrap().1
    }

    fn run(chip: &mut HostChip, steps: usize) -> u64 {
        for t in 0..steps {
            let x: Vec<bool> = (0..6).map(|i| (t + i) % 3 == 0).collect();
            chip.step(&to_bits(&x)).unwrap();
        }
        chip.digest()
    }

    #[test]
    fn writing_back_what_was_read_changes_nothing() {
        let mut a = chip("");
        let mut b = chip("");
        for l in Layer::ALL {
            let q: Vec<i64> = get(&mut b, l).into_iter().map(i64::from).collect();
            set(&mut b, l, &q).unwrap();
            let r = get_real(&mut b, l);
            set_real(&mut b, l, &r).unwrap();
        }
        assert_eq!(a.digest(), b.digest());
        assert_eq!(run(&mut a, 30), run(&mut b, 30));
    }

    #[test]
    fn a_write_before_the_first_step_is_the_chip_built_with_it() {
        let mut a = chip("");
        let mut w = get(&mut a, Layer::In);
        w[7] = w[7].saturating_add(1).min(127);
        let w: Vec<i64> = w.into_iter().map(i64::from).collect();
        let d0 = a.digest();
        set(&mut a, Layer::In, &w).unwrap();
        assert_ne!(a.digest(), d0);
        // The same as a chip whose registers are built over these memories.
        let (c, mem) = a.parts();
        let fresh = Chip::new(*c.config(), &mem).unwrap();
        assert_eq!(fresh.digest(), c.digest());
        // After a step, a write folds the weights in.
        let mut b = chip("");
        run(&mut b, 3);
        let (d, steps) = (b.digest(), b.chip().steps());
        let same: Vec<i64> = get(&mut b, Layer::Out).into_iter().map(i64::from).collect();
        set(&mut b, Layer::Out, &same).unwrap();
        assert_ne!(b.digest(), d);
        assert_eq!(b.chip().steps(), steps);
    }

    #[test]
    fn real_values_round_to_the_nearest_unit() {
        let mut a = chip("");
        for l in Layer::ALL {
            let lsb = l.lsb(a.config());
            let (r, c) = l.shape(a.config());
            let on = mask(&mut a, l).unwrap_or_else(|| vec![true; r * c]);
            let want: Vec<f64> = (0..r * c)
                .map(|k| ((k % 7) as f64 - 3.0) * 0.37 * lsb * f64::from(u8::from(on[k])))
                .collect();
            set_real(&mut a, l, &want).unwrap();
            for (x, y) in want.iter().zip(get_real(&mut a, l)) {
                assert!((x - y).abs() <= lsb / 2.0 + 1e-15, "{l}: {x} {y}");
            }
        }
    }

    #[test]
    fn refusals_name_the_element_and_change_nothing() {
        let mut a = chip("");
        let before = a.arenas().0.to_vec();
        let d = a.digest();
        let n = 6 * 5;
        let mut w = vec![0i64; n];
        w[7] = 300;
        let e = set(&mut a, Layer::In, &w).unwrap_err().to_string();
        assert_eq!(
            e,
            "w_in[1, 2] = 300: outside the weight format (8 bits); allowed -128..=127"
        );
        let e = set(&mut a, Layer::In, &w[1..]).unwrap_err().to_string();
        assert_eq!(e, "w_in: 30 values expected (6 x 5), got 29");
        let mut r = vec![0.0; n];
        r[3] = f64::NAN;
        let e = set_real(&mut a, Layer::In, &r).unwrap_err().to_string();
        assert!(e.starts_with("w_in[0, 3] = NaN is not a number"), "{e}");
        r[3] = 1e9;
        let e = set_real(&mut a, Layer::In, &r).unwrap_err().to_string();
        assert!(e.contains("outside the weight format"), "{e}");
        // The diagonal of w_rec has no synapse.
        let mut rec = vec![0i64; 25];
        rec[6] = 1;
        let e = set(&mut a, Layer::Rec, &rec).unwrap_err().to_string();
        assert!(
            e.starts_with("w_rec[1, 1] = 1: the synapse's mask bit is clear"),
            "{e}"
        );
        assert_eq!(
            Layer::named("w_hid").unwrap_err().to_string(),
            "`w_hid` is not a weight layer; allowed: w_in, w_rec, w_out, bias"
        );
        assert_eq!(a.arenas().0, &before[..]);
        assert_eq!(a.digest(), d);
        assert!(!mask(&mut a, Layer::Rec).unwrap()[6]);
    }

    #[test]
    fn dale_is_kept() {
        let cfg = crate::config::parse(
            "[network]\ninputs = 40\nneurons = 5\noutputs = 2\nexcitatory_fraction = 0.6\n\
             [task]\nkind = \"cue\"\n[learning]\nengine = \"exact\"\n",
            "dale.toml",
        )
        .unwrap();
        let mut a = crate::build::chip(&cfg).unwrap().1;
        let mut w: Vec<i64> = get(&mut a, Layer::Rec).into_iter().map(i64::from).collect();
        // Neuron 4 is inhibitory (the first 3 of 5 are excitatory): row 4 is <= 0.
        w[4 * 5 + 1] = 5;
        let e = set(&mut a, Layer::Rec, &w).unwrap_err().to_string();
        assert!(e.starts_with("w_rec[4, 1] = 5: Dale's law"), "{e}");
    }
}
