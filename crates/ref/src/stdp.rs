//! f64 reference of the chip's pair-based STDP circuit (`neurochip_core::stdp`):
//! the same equations and the same order within a step, in real arithmetic, with
//! the chip's dequantised constants.
//!
//! ```text
//! x = min(a_pre * x + inc * s_pre, trace_max)          (presynaptic trace)
//! w = clamp(w + g_plus * x * s_post - g_minus * y * s_pre, 0, w_max)
//! y = min(a_post * y + inc * s_post, trace_max)        (postsynaptic trace)
//! ```
//!
//! `g_plus = a_plus / 2^shift` and `g_minus = a_minus / 2^shift` are the chip's gains
//! per trace unit. The chip rounds each trace decay and each weight step; this model
//! does not, which is what the cross-check bounds.

/// Constants of the float STDP rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FStdp {
    /// Presynaptic trace decay per step.
    pub a_pre: f64,
    /// Postsynaptic trace decay per step.
    pub a_post: f64,
    /// Trace increment per spike.
    pub inc: f64,
    /// Largest trace value (the chip's `u16::MAX`).
    pub trace_max: f64,
    /// Potentiation per unit of presynaptic trace.
    pub g_plus: f64,
    /// Depression per unit of postsynaptic trace.
    pub g_minus: f64,
    /// Upper weight bound.
    pub w_max: f64,
}

/// One synapse and its two traces.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FSynapse {
    /// Presynaptic trace.
    pub x: f64,
    /// Postsynaptic trace.
    pub y: f64,
    /// Weight.
    pub w: f64,
}

impl FStdp {
    /// One step with the spikes of the pre- and postsynaptic neuron.
    pub fn step(&self, s: &mut FSynapse, pre: bool, post: bool) {
        let spike = |b: bool| if b { 1.0 } else { 0.0 };
        s.x = (self.a_pre * s.x + self.inc * spike(pre)).min(self.trace_max);
        let dw = self.g_plus * s.x * spike(post) - self.g_minus * s.y * spike(pre);
        s.w = (s.w + dw).clamp(0.0, self.w_max);
        s.y = (self.a_post * s.y + self.inc * spike(post)).min(self.trace_max);
    }
}
