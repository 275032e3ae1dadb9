//! The float forward dynamics, step by step, the same equations as the chip
//! (`neurochip_core::neuron`) without rounding or saturation:
//!
//! ```text
//! v[t+1] = alpha v[t] + W_in x[t+1] + W_rec z[t] - z[t] v_th
//! b[t+1] = rho b[t] + z[t]                 (beta != 0)
//! z[t+1] = v[t+1] > v_th + beta b[t+1]     unless refractory
//! y[t+1] = kappa y[t] + W_out z[t+1] + bias
//! ```

use crate::network::Network;

/// Synapse class of input synapses in [`Reference::step_gated`] (the chip's
/// `neurochip_core::release::class::INPUT`).
pub const INPUT: u32 = 1;
/// Synapse class of recurrent synapses in [`Reference::step_gated`].
pub const RECURRENT: u32 = 2;

/// The float reference simulator.
#[derive(Clone, Debug)]
pub struct Reference {
    net: Network,
    /// Membrane potentials.
    pub v: Vec<f64>,
    /// Adaptation variables.
    pub b: Vec<f64>,
    /// Refractory counters.
    pub refr: Vec<u32>,
    /// Spikes of the last step.
    pub z: Vec<bool>,
    /// Readout states.
    pub y: Vec<f64>,
    /// Pseudo-derivatives of the last step (zero while refractory).
    pub psi: Vec<f64>,
    /// Quantise `max(0, 1 - |v - A|/v_th)` down to this many levels (light engine);
    /// 0 = exact.
    pub psi_levels: u8,
    i_in: Vec<f64>,
    i_rec: Vec<f64>,
}

impl Reference {
    /// A reference simulator in its reset state.
    pub fn new(net: Network) -> Self {
        let (n, o) = (net.n_rec, net.n_out);
        Self {
            net,
            v: vec![0.0; n],
            b: vec![0.0; n],
            refr: vec![0; n],
            z: vec![false; n],
            y: vec![0.0; o],
            psi: vec![0.0; n],
            psi_levels: 0,
            i_in: vec![0.0; n],
            i_rec: vec![0.0; n],
        }
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Mutable network (learning changes weights).
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.net
    }

    /// Zero the dynamic state.
    pub fn reset_state(&mut self) {
        self.v.fill(0.0);
        self.b.fill(0.0);
        self.refr.fill(0);
        self.z.fill(false);
        self.y.fill(0.0);
        self.psi.fill(0.0);
    }

    /// The effective threshold of neuron `j`.
    pub fn threshold(&self, j: usize) -> f64 {
        self.net.thr[j] + self.net.beta[j] * self.b[j]
    }

    /// One time step with input spikes `x` (one entry per input channel). Returns the
    /// number of recurrent spikes.
    pub fn step(&mut self, x: &[bool]) -> usize {
        self.step_gated(x, |_, _| true)
    }

    /// [`Reference::step`] with stochastic synaptic release: synapse `k` (index as
    /// stored, `pre * n_rec + post`) of class `c` ([`INPUT`] or [`RECURRENT`])
    /// transmits this step's event only when `released(c, k)`. The chip's comparator
    /// is `neurochip_core::release::released`; a caller passes it with the chip's seed
    /// and step counter so the reference sees the same decisions. (Generic, so that
    /// [`Reference::step`]'s release of every synapse costs no call per synapse.)
    pub fn step_gated(&mut self, x: &[bool], released: impl Fn(u32, usize) -> bool) -> usize {
        let net = &self.net;
        let n = net.n_rec;
        self.i_in.fill(0.0);
        self.i_rec.fill(0.0);
        for (i, _) in x.iter().enumerate().filter(|(_, &s)| s) {
            let row = &net.w_in[i * n..(i + 1) * n];
            for (j, (acc, w)) in self.i_in.iter_mut().zip(row).enumerate() {
                if released(INPUT, i * n + j) {
                    *acc += w;
                }
            }
        }
        for (i, _) in self.z.iter().enumerate().filter(|(_, &s)| s) {
            let row = &net.w_rec[i * n..(i + 1) * n];
            for (j, (acc, w)) in self.i_rec.iter_mut().zip(row).enumerate() {
                if released(RECURRENT, i * n + j) {
                    *acc += w;
                }
            }
        }
        let mut spikes = 0;
        for j in 0..n {
            let z_old = self.z[j];
            let reset = if z_old { net.thr[j] } else { 0.0 };
            self.v[j] = net.alpha[j] * self.v[j] + self.i_in[j] + self.i_rec[j] - reset;
            if net.beta[j] != 0.0 {
                self.b[j] = net.rho[j] * self.b[j] + if z_old { 1.0 } else { 0.0 };
            }
            let a = net.thr[j] + net.beta[j] * self.b[j];
            self.psi[j] = if self.refr[j] > 0 {
                0.0
            } else {
                pseudo_derivative(self.v[j], a, net.thr[j], net.gamma, self.psi_levels)
            };
            let fire = if self.refr[j] > 0 {
                self.refr[j] -= 1;
                false
            } else {
                self.v[j] > a
            };
            if fire {
                self.refr[j] = net.refractory;
                spikes += 1;
            }
            self.z[j] = fire;
        }
        let o = net.n_out;
        for k in 0..o {
            let mut s = 0.0;
            for (j, _) in self.z.iter().enumerate().filter(|(_, &s)| s) {
                s += net.w_out[j * o + k];
            }
            self.y[k] = net.kappa[k] * self.y[k] + s + net.bias[k];
        }
        spikes
    }
}

/// `psi = gamma / v_th * max(0, 1 - |v - A| / v_th)`, the factor quantised down to
/// `levels` levels when `levels >= 2`.
pub fn pseudo_derivative(v: f64, a: f64, thr: f64, gamma: f64, levels: u8) -> f64 {
    let mut h = (1.0 - (v - a).abs() / thr).max(0.0);
    if levels >= 2 {
        let steps = f64::from(levels - 1);
        // `floor` of a value in [0, 2^52) is its truncation: a conversion, exact,
        // rather than a call of the math library on a baseline x86-64.
        h = (((h * steps + 1e-12) as i64) as f64).min(steps) / steps;
    }
    gamma / thr * h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_driven_neuron_spikes_and_resets() {
        let mut net = Network::zeros(1, 1, 1);
        net.w_in[0] = 0.6;
        net.w_out[0] = 1.0;
        let mut r = Reference::new(net);
        assert_eq!(r.step(&[true]), 0); // v = 0.6
        assert_eq!(r.step(&[true]), 1); // v = 0.6 a + 0.6 > 1
        let v_spike = r.v[0];
        r.step(&[false]);
        let a = (-1.0f64 / 20.0).exp();
        assert!((r.v[0] - (a * v_spike - 1.0)).abs() < 1e-12);
        assert!(r.y[0] > 0.9);
    }
}
