//! Weights files: a chip's weights as a numpy `.npz` archive, written by `neurochip
//! weights` (and `Chip.save_weights` in Python), read by `--weights FILE.npz` and the
//! configuration key `network.weights`.
//!
//! | array | dtype | shape | what |
//! |---|---|---|---|
//! | `w_in`, `w_rec`, `w_out` | `int16` | inputs × neurons, neurons × neurons, neurons × outputs | the integers in weight memory (row = presynaptic unit) |
//! | `bias` | `int32` | outputs | the readout biases, readout format |
//! | `shifts` | `int8` | 3 | the layer shifts: input, recurrent, output |
//! | `format` | `int32` | 4 | weight bits, membrane fraction, readout bits, readout fraction |
//! | `lsb` | `float64` | 4 | the real value of one unit of `w_in`, `w_rec`, `w_out`, `bias` |
//! | `w_in_real` ... `bias_real` | `float64` | as above | the real values (integers times `lsb`) |
//! | `mask_in`, `mask_rec`, `mask_out` | `bool` | as the layers | which synapses exist |
//!
//! Reading takes one of two kinds of file:
//!
//! - **exact** (it has `shifts`): `w_in`, `w_rec`, `w_out` (and `bias`, if there)
//!   are integers, taken as they are at those shifts; `format`, when there, must be
//!   the configuration's. The chip holds exactly these integers, so a file written by
//!   `neurochip weights` starts the chip it was written from (same digest).
//! - **real** (no `shifts`): `w_in`, `w_rec`, `w_out` (and `bias`) are real values
//!   (any numeric dtype), quantised as the configuration's own drawn weights are
//!   ([`crate::quantize`]: the layer shifts from the largest weight). This is the file
//!   a user writes from numpy or PyTorch (`np.savez("w.npz", w_in=..., ...)`).
//!
//! Masks are optional (absent: the configuration's own connectivity). A non-zero
//! weight on a synapse that does not exist (mask clear, or the diagonal of `w_rec`:
//! the chip has no synapse from a neuron to itself) is refused. Every refusal names
//! the file and the array (and the element).

use std::path::Path;

use neurochip_core::{ChipConfig, Shifts};
use neurochip_ref::Network;

use crate::npz::{self, Array, Data, Dtype, Npz};
use crate::weights::{self, Layer};
use crate::{HostChip, QuantOptions};

/// The largest weights file read: 256 MiB.
pub const MAX_BYTES: u64 = 256 << 20;

/// The weights a file holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// Integers at given layer shifts.
    Exact {
        /// The layer shifts.
        shifts: Shifts,
        /// `w_in`, `w_rec`, `w_out`, `bias`, row by row.
        ints: [Vec<i64>; 4],
    },
    /// Real values, to be quantised.
    Real {
        /// `w_in`, `w_rec`, `w_out`, `bias`, row by row.
        reals: [Vec<f64>; 4],
    },
}

/// A weights file, read and checked against the sizes of a configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightsFile {
    /// The file, for messages.
    pub path: String,
    /// Its weights.
    pub values: Values,
    /// `mask_in`, `mask_rec`, `mask_out`, when it has them.
    pub masks: Option<[Vec<bool>; 3]>,
    /// An exact file's `format`, when it has one.
    pub format: Option<Vec<i64>>,
}

/// The sizes a file must match: inputs, neurons, outputs.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Input channels.
    pub inputs: usize,
    /// Recurrent neurons.
    pub neurons: usize,
    /// Readouts.
    pub outputs: usize,
}

impl Sizes {
    fn shape(self, k: usize) -> Vec<usize> {
        let (i, n, o) = (self.inputs, self.neurons, self.outputs);
        match k {
            0 => vec![i, n],
            1 => vec![n, n],
            2 => vec![n, o],
            _ => vec![o],
        }
    }
}

const NAMES: [&str; 4] = ["w_in", "w_rec", "w_out", "bias"];
const MASKS: [&str; 3] = ["mask_in", "mask_rec", "mask_out"];

/// Read and check the weights file at `path` for a chip of `sizes`. Errors are one
/// line: `FILE: ARRAY: what is wrong; what is allowed`.
pub fn read(path: &Path, sizes: Sizes) -> Result<WeightsFile, String> {
    let bytes = crate::inputs::read(path, "weights file", MAX_BYTES).map_err(|e| e.to_string())?;
    let file = path.display().to_string();
    parse(bytes, &file, sizes).map_err(|e| format!("{file}: {e}"))
}

/// [`read`] of the bytes of a file called `file`; errors without the file name.
pub fn parse(bytes: Vec<u8>, file: &str, sizes: Sizes) -> Result<WeightsFile, String> {
    let mut z = Npz::open(bytes)?;
    let exact = z.has("shifts");
    let shapes_ok = |z: &mut Npz, name: &str, want: &[usize], required: bool| {
        if !z.has(name) {
            return if required {
                Err(format!(
                    "{name}: missing; a weights file holds w_in, w_rec and w_out (and \
                     optionally bias, shifts, masks): `neurochip weights` writes one, \
                     np.savez(\"w.npz\", w_in=..., w_rec=..., w_out=...) another"
                ))
            } else {
                Ok(false)
            };
        }
        let h = z.header(name)?;
        if h.shape != want {
            return Err(format!(
                "{name}: shape {}; the chip's {name} is {} ({})",
                h.shape_text(),
                npz::shape_text(want),
                what_shape(name)
            ));
        }
        if exact && !h.dtype.is_integer() && !MASKS.contains(&name) {
            return Err(format!(
                "{name}: dtype {}; with `shifts` in the file the weights are the chip's \
                 integers (int8..int64); allowed: integers, or drop `shifts` to give real \
                 values",
                h.dtype.name()
            ));
        }
        if MASKS.contains(&name) && h.dtype != Dtype::Bool {
            return Err(format!("{name}: dtype {}; allowed: bool", h.dtype.name()));
        }
        Ok(true)
    };
    for (k, name) in NAMES.iter().enumerate() {
        shapes_ok(&mut z, name, &sizes.shape(k), k < 3)?;
    }
    let mut have_masks = 0;
    for (k, name) in MASKS.iter().enumerate() {
        if shapes_ok(&mut z, name, &sizes.shape(k), false)? {
            have_masks += 1;
        }
    }
    if have_masks != 0 && have_masks != 3 {
        return Err("mask_in, mask_rec, mask_out: give all three masks or none".into());
    }
    let masks = if have_masks == 3 {
        let mut m: [Vec<bool>; 3] = Default::default();
        for (k, name) in MASKS.iter().enumerate() {
            m[k] = match z.array(name)?.data {
                Data::Bool(v) => v,
                _ => return Err(format!("{name}: allowed: bool")),
            };
        }
        Some(m)
    } else {
        None
    };
    let values = if exact {
        let s = z.array("shifts")?;
        let shifts = match (&s.data, s.shape.as_slice()) {
            (Data::Int(v), [3]) => {
                let r = neurochip_core::ranges::WEIGHT_SHIFT;
                if let Some(&x) = v.iter().find(|&&x| !r.admits(x)) {
                    return Err(format!(
                        "shifts: {x} is not a layer shift; allowed {}..={}",
                        r.lo, r.hi
                    ));
                }
                Shifts {
                    input: v[0] as i8,
                    recurrent: v[1] as i8,
                    output: v[2] as i8,
                }
            }
            _ => {
                return Err(format!(
                    "shifts: dtype {} shape {}; allowed: 3 integers (input, recurrent, \
                     output)",
                    s.dtype.name(),
                    npz::shape_text(&s.shape)
                ))
            }
        };
        let mut ints: [Vec<i64>; 4] = Default::default();
        for (k, name) in NAMES.iter().enumerate() {
            ints[k] = if z.has(name) {
                match z.array(name)?.data {
                    Data::Int(v) => v,
                    Data::Bool(v) => v.into_iter().map(i64::from).collect(),
                    // Checked above from the header: integers beside `shifts`.
                    Data::Float(_) => return Err(format!("{name}: allowed: integers")),
                }
            } else {
                vec![0; sizes.outputs]
            };
        }
        Values::Exact { shifts, ints }
    } else {
        let mut reals: [Vec<f64>; 4] = Default::default();
        for (k, name) in NAMES.iter().enumerate() {
            reals[k] = if z.has(name) {
                let v = z.array(name)?.data.to_f64();
                if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                    return Err(format!(
                        "{name}: element {i} is {}; allowed: finite numbers",
                        v[i]
                    ));
                }
                v
            } else {
                vec![0.0; sizes.outputs]
            };
        }
        Values::Real { reals }
    };
    let format = if exact && z.has("format") {
        match z.array("format")?.data {
            Data::Int(v) => Some(v),
            _ => return Err("format: allowed: 4 integers".into()),
        }
    } else {
        None
    };
    Ok(WeightsFile {
        path: file.to_string(),
        values,
        masks,
        format,
    })
}

fn what_shape(name: &str) -> &'static str {
    match name {
        "w_in" | "mask_in" => "inputs x neurons, row = input channel",
        "w_rec" | "mask_rec" => "neurons x neurons, row = presynaptic neuron",
        "w_out" | "mask_out" => "neurons x outputs, row = neuron",
        _ => "outputs",
    }
}

/// The element `k` of layer `k_layer` as `w_in[i, j]`.
fn place(name: &str, cols: usize, k: usize) -> String {
    format!("{name}[{}, {}]", k / cols.max(1), k % cols.max(1))
}

impl WeightsFile {
    /// Put the file's weights into `net` (and its masks, when it has them) and, for an
    /// exact file, its shifts into `opt`, so that [`crate::quantize`] makes the chip
    /// that holds them. `formats` are the configuration's, which an exact file's
    /// `format` must equal (checked here).
    pub fn apply(&self, net: &mut Network, opt: &mut QuantOptions) -> Result<(), String> {
        let f = opt.formats;
        let (mf, rf) = (f.membrane.frac() as i32, f.readout.frac() as i32);
        if let Some(m) = &self.masks {
            net.mask_in.clone_from(&m[0]);
            net.mask_rec.clone_from(&m[1]);
            net.mask_out.clone_from(&m[2]);
        }
        match &self.values {
            Values::Exact { shifts, ints } => {
                let want = formats_of(f);
                if let Some(got) = self.format.as_ref().filter(|g| **g != want) {
                    return Err(format!(
                        "{}: format: {got:?} (weight bits, membrane frac, readout bits, \
                         readout frac) are not the configuration's {want:?}: the integers \
                         mean other values there; allowed: the configuration's formats, or \
                         a file of real values (no `shifts`)",
                        self.path
                    ));
                }
                let e = [
                    i32::from(shifts.input) - mf,
                    i32::from(shifts.recurrent) - mf,
                    i32::from(shifts.output) - rf,
                    -rf,
                ];
                let rmax = i64::from(f.readout.max());
                if let Some((k, &b)) = ints[3].iter().enumerate().find(|(_, b)| b.abs() > rmax) {
                    return Err(format!(
                        "{}: bias[{k}] = {b}: outside the readout format ({} bits); allowed \
                         {}..={}",
                        self.path,
                        f.readout.bits(),
                        f.readout.min(),
                        f.readout.max()
                    ));
                }
                let real = |k: usize| -> Vec<f64> {
                    ints[k]
                        .iter()
                        .map(|&q| q as f64 * 2f64.powi(e[k]))
                        .collect()
                };
                net.w_in = real(0);
                net.w_rec = real(1);
                net.w_out = real(2);
                net.bias = real(3);
                opt.shifts = Some(*shifts);
            }
            Values::Real { reals } => {
                net.w_in.clone_from(&reals[0]);
                net.w_rec.clone_from(&reals[1]);
                net.w_out.clone_from(&reals[2]);
                net.bias.clone_from(&reals[3]);
                opt.shifts = None;
            }
        }
        // No weight where there is no synapse.
        let n = net.n_rec;
        for (name, w, m, cols) in [
            ("w_in", &net.w_in, &net.mask_in, n),
            ("w_rec", &net.w_rec, &net.mask_rec, n),
            ("w_out", &net.w_out, &net.mask_out, net.n_out),
        ] {
            for (k, (&x, &on)) in w.iter().zip(m.iter()).enumerate() {
                let diagonal = name == "w_rec" && k / n == k % n;
                if x != 0.0 && (diagonal || !on) {
                    let why = if diagonal {
                        "the chip has no synapse from a neuron to itself"
                    } else {
                        "that synapse does not exist (its mask bit is clear)"
                    };
                    return Err(format!(
                        "{}: {} = {x}: {why}; allowed: 0 there",
                        self.path,
                        place(name, cols, k)
                    ));
                }
            }
        }
        Ok(())
    }
}

fn format_of(cfg: &ChipConfig) -> Vec<i64> {
    formats_of(cfg.formats())
}

fn formats_of(f: neurochip_core::Formats) -> Vec<i64> {
    vec![
        i64::from(f.weight.bits()),
        i64::from(f.membrane.frac()),
        i64::from(f.readout.bits()),
        i64::from(f.readout.frac()),
    ]
}

/// The bytes of the weights file of `chip` (exact: integers, shifts, format, and the
/// real values and masks beside them).
pub fn encode(chip: &mut HostChip) -> Result<Vec<u8>, String> {
    let cfg = *chip.config();
    let s = cfg.shifts();
    let mut arrays: Vec<(&str, Array)> = Vec::new();
    let shape = |l: Layer| -> Vec<usize> {
        let (r, c) = l.shape(&cfg);
        if l == Layer::Bias {
            vec![c]
        } else {
            vec![r, c]
        }
    };
    for l in Layer::ALL {
        let ints: Vec<i64> = weights::get(chip, l).into_iter().map(i64::from).collect();
        let dt = if l == Layer::Bias {
            Dtype::Int(4)
        } else {
            Dtype::Int(2)
        };
        arrays.push((l.name(), Array::ints(dt, &shape(l), ints)));
    }
    arrays.push((
        "shifts",
        Array::ints(
            Dtype::Int(1),
            &[3],
            vec![s.input.into(), s.recurrent.into(), s.output.into()],
        ),
    ));
    arrays.push(("format", Array::ints(Dtype::Int(4), &[4], format_of(&cfg))));
    arrays.push((
        "lsb",
        Array::floats(&[4], Layer::ALL.iter().map(|l| l.lsb(&cfg)).collect()),
    ));
    for (l, name) in
        Layer::ALL
            .into_iter()
            .zip(["w_in_real", "w_rec_real", "w_out_real", "bias_real"])
    {
        arrays.push((name, Array::floats(&shape(l), weights::get_real(chip, l))));
    }
    for (l, name) in [Layer::In, Layer::Rec, Layer::Out].into_iter().zip(MASKS) {
        if let Some(m) = weights::mask(chip, l) {
            arrays.push((name, Array::bools(&shape(l), m)));
        }
    }
    npz::write(&arrays)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes() -> Sizes {
        Sizes {
            inputs: 2,
            neurons: 3,
            outputs: 1,
        }
    }

    fn file(arrays: &[(&str, Array)]) -> Result<WeightsFile, String> {
        parse(npz::write(arrays).unwrap(), "w.npz", sizes())
    }

    #[test]
    fn refusals_name_the_array() {
        let w_in = Array::floats(&[2, 3], vec![0.1; 6]);
        let w_rec = Array::floats(&[3, 3], vec![0.0; 9]);
        let w_out = Array::floats(&[3, 1], vec![0.2; 3]);
        let e = file(&[("w_in", w_in.clone()), ("w_rec", w_rec.clone())]).unwrap_err();
        assert!(e.starts_with("w_out: missing"), "{e}");
        let bad = Array::floats(&[3, 2], vec![0.1; 6]);
        let e = file(&[
            ("w_in", bad),
            ("w_rec", w_rec.clone()),
            ("w_out", w_out.clone()),
        ])
        .unwrap_err();
        assert!(
            e.starts_with("w_in: shape (3, 2); the chip's w_in is (2, 3)"),
            "{e}"
        );
        let shifts = Array::ints(Dtype::Int(1), &[3], vec![0, 0, 0]);
        let e = file(&[
            ("w_in", w_in.clone()),
            ("w_rec", w_rec.clone()),
            ("w_out", w_out.clone()),
            ("shifts", shifts),
        ])
        .unwrap_err();
        assert!(e.starts_with("w_in: dtype float64; with `shifts`"), "{e}");
        let nan = Array::floats(&[3, 1], vec![0.2, f64::NAN, 0.0]);
        let e = file(&[
            ("w_in", w_in.clone()),
            ("w_rec", w_rec.clone()),
            ("w_out", nan),
        ])
        .unwrap_err();
        assert!(e.starts_with("w_out: element 1 is NaN"), "{e}");
        let ok = file(&[("w_in", w_in), ("w_rec", w_rec), ("w_out", w_out)]).unwrap();
        assert!(matches!(ok.values, Values::Real { .. }));
        assert!(parse(b"nope".to_vec(), "w.npz", sizes())
            .unwrap_err()
            .starts_with("not an npz archive"));
    }
}
