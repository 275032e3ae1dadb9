//! Probes: one sample run on a copy of the chip beside the f64 reference with the
//! copy's dequantised weights, step by step (spikes, membranes, readouts, divergence):
//! what the run folder's raster, membrane and divergence plots draw.

use bitvec::prelude::*;
use neurochip_ref::Reference;
use serde::Serialize;

use crate::task::{Pick, Task};
use crate::{dequantize, HostChip};
use neurochip_tasks::sample::Sample;
use neurochip_tasks::SpikeSource;

/// One test sample as the chip and the f64 reference (on the chip's dequantised
/// weights) saw it: what the raster, membrane and divergence plots draw.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Probe {
    /// Steps of the sample.
    pub steps: u32,
    /// Spike times per input channel.
    pub input: Vec<Vec<u32>>,
    /// Spike times per recurrent neuron (chip).
    pub recurrent: Vec<Vec<u32>>,
    /// Per readout, the steps at which it leads (largest value) on the chip.
    pub readout_lead: Vec<Vec<u32>>,
    /// Neurons whose membranes are drawn (the most active ones).
    pub neurons: Vec<usize>,
    /// Their membranes on the chip, per step, in units of their threshold.
    pub v_chip: Vec<Vec<f64>>,
    /// The same on the reference.
    pub v_ref: Vec<Vec<f64>>,
    /// RMS membrane difference over all neurons per step, in thresholds.
    pub divergence: Vec<f64>,
    /// Neurons whose spike differs between chip and reference, per step.
    pub spike_mismatch: Vec<u32>,
    /// Readout values per output per step (chip), real units.
    pub readout: Vec<Vec<f64>>,
    /// The same on the reference.
    pub readout_ref: Vec<Vec<f64>>,
    /// Regression targets per output per step, real units (empty for tasks without
    /// them).
    pub target: Vec<Vec<f64>>,
    /// Classes of a classification task (`None` otherwise).
    pub classes: Option<usize>,
}

/// Run the sample `pick` of `task` on a copy of `chip` (learning circuits idle: the copy is
/// dropped) and on the f64 reference with the copy's dequantised weights.
pub fn probe(chip: &HostChip, task: &Task, pick: Pick) -> Probe {
    let mut c = chip.clone();
    let net = dequantize(&mut c);
    let thr = net.thr.clone();
    let mut r = Reference::new(net);
    let cfg = *c.config();
    let (n_in, n, o) = (task.n_inputs(), cfg.n_rec(), cfg.n_out());
    let m_lsb = cfg.formats().membrane.lsb();
    let ro_lsb = cfg.formats().readout.lsb();
    c.reset_state();
    r.reset_state();
    let sample = task.sample(pick);
    let steps = sample.steps();
    let mut p = Probe {
        steps,
        input: vec![Vec::new(); n_in],
        recurrent: vec![Vec::new(); n],
        readout_lead: vec![Vec::new(); o],
        readout: vec![Vec::new(); o],
        readout_ref: vec![Vec::new(); o],
        ..Probe::default()
    };
    let mut x = bitvec![u32, Lsb0; 0; n_in];
    let mut xb = vec![false; n_in];
    let mut vals = vec![0.0; o];
    p.classes = task.n_classes();
    let mut v_all_chip: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut v_all_ref: Vec<Vec<f64>> = vec![Vec::new(); n];
    for t in 0..steps {
        sample.spikes(t, &mut x);
        for (b, v) in xb.iter_mut().zip(x.iter().by_vals()) {
            *b = v;
        }
        for i in x.iter_ones() {
            p.input[i].push(t);
        }
        if c.step(&x).is_err() {
            break;
        }
        r.step(&xb);
        let mem = c.mem();
        let (mut se, mut mism) = (0.0, 0u32);
        for j in 0..n {
            if mem.z[j] {
                p.recurrent[j].push(t);
            }
            if mem.z[j] != r.z[j] {
                mism += 1;
            }
            let th = thr[j].abs().max(f64::MIN_POSITIVE);
            let vc = f64::from(mem.v[j]) * m_lsb / th;
            let vr = r.v[j] / th;
            se += (vc - vr) * (vc - vr);
            v_all_chip[j].push(vc);
            v_all_ref[j].push(vr);
        }
        p.divergence.push((se / n.max(1) as f64).sqrt());
        p.spike_mismatch.push(mism);
        let mut lead = (0, i32::MIN);
        for (k, &y) in mem.y.iter().enumerate() {
            if y > lead.1 {
                lead = (k, y);
            }
            p.readout[k].push(f64::from(y) * ro_lsb);
            p.readout_ref[k].push(r.y[k]);
        }
        if o > 0 {
            p.readout_lead[lead.0].push(t);
        }
        if sample.want(t, &mut vals) == crate::task::Want::Values {
            p.target.resize(o, Vec::new());
            for (tk, &v) in p.target.iter_mut().zip(&vals) {
                tk.push(v);
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&j| (std::cmp::Reverse(p.recurrent[j].len()), j));
    p.neurons = order.into_iter().take(3).collect();
    p.neurons.sort_unstable();
    for &j in &p.neurons {
        p.v_chip.push(std::mem::take(&mut v_all_chip[j]));
        p.v_ref.push(std::mem::take(&mut v_all_ref[j]));
    }
    p
}

/// [`probe`] on the first sample of the chip and task that `cfg` builds (inference
/// runs: the chip as configured).
pub fn probe_config(cfg: &crate::config::Config) -> Result<Probe, crate::build::BuildError> {
    let task = crate::build::task(cfg)?;
    let (_, chip) = crate::build::chip(cfg)?;
    Ok(probe(&chip, &task, Pick::Run(0)))
}

/// Every weight of a chip (input, recurrent, readout), in weight LSBs.
pub fn weights(chip: &mut HostChip) -> Vec<f64> {
    let mem = chip.mem();
    mem.w_in
        .iter()
        .chain(mem.w_rec.iter())
        .chain(mem.w_out.iter())
        .map(|&w| f64::from(w))
        .collect()
}
