//! A spiking network in float parameters: the common description both the float
//! reference and the chip quantiser start from.

/// A recurrent network of LIF/ALIF neurons with leaky readouts, in real units
/// (membrane and thresholds in the units of the configuration, time in steps).
///
/// Matrices are row per presynaptic unit: `w_in[i * n_rec + j]` from input `i` to
/// neuron `j`, `w_rec[i * n_rec + j]` from neuron `i` to `j`, `w_out[j * n_out + k]`
/// from neuron `j` to readout `k`. Masked-out synapses hold weight zero.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Input channels.
    pub n_in: usize,
    /// Recurrent neurons.
    pub n_rec: usize,
    /// Readout neurons.
    pub n_out: usize,
    /// Membrane decay `alpha_j = exp(-dt / tau_m_j)`.
    pub alpha: Vec<f64>,
    /// Adaptation decay `rho_j = exp(-dt / tau_a_j)`.
    pub rho: Vec<f64>,
    /// Base thresholds `v_th_j`.
    pub thr: Vec<f64>,
    /// Adaptation strengths `beta_j` (zero for LIF neurons).
    pub beta: Vec<f64>,
    /// Readout decays `kappa_k = exp(-dt / tau_out)`.
    pub kappa: Vec<f64>,
    /// Refractory period in steps.
    pub refractory: u32,
    /// Pseudo-derivative dampening `gamma`.
    pub gamma: f64,
    /// Input weights.
    pub w_in: Vec<f64>,
    /// Recurrent weights.
    pub w_rec: Vec<f64>,
    /// Readout weights.
    pub w_out: Vec<f64>,
    /// Readout biases.
    pub bias: Vec<f64>,
    /// Excitatory flags (Dale's law); all true when Dale's law is off.
    pub exc: Vec<bool>,
    /// Input connectivity.
    pub mask_in: Vec<bool>,
    /// Recurrent connectivity.
    pub mask_rec: Vec<bool>,
    /// Readout connectivity.
    pub mask_out: Vec<bool>,
}

impl Network {
    /// A network of the given sizes with every weight zero, every neuron LIF with
    /// `alpha = kappa = exp(-1/20)`, threshold 1, full connectivity.
    pub fn zeros(n_in: usize, n_rec: usize, n_out: usize) -> Self {
        let a = (-1.0f64 / 20.0).exp();
        Self {
            n_in,
            n_rec,
            n_out,
            alpha: vec![a; n_rec],
            rho: vec![a; n_rec],
            thr: vec![1.0; n_rec],
            beta: vec![0.0; n_rec],
            kappa: vec![a; n_out],
            refractory: 0,
            gamma: 0.3,
            w_in: vec![0.0; n_in * n_rec],
            w_rec: vec![0.0; n_rec * n_rec],
            w_out: vec![0.0; n_rec * n_out],
            bias: vec![0.0; n_out],
            exc: vec![true; n_rec],
            mask_in: vec![true; n_in * n_rec],
            mask_rec: vec![true; n_rec * n_rec],
            mask_out: vec![true; n_rec * n_out],
        }
    }

    /// Check that every vector has the length its sizes say.
    pub fn check_shapes(&self) -> Result<(), String> {
        let (i, n, o) = (self.n_in, self.n_rec, self.n_out);
        let checks: [(&str, usize, usize); 14] = [
            ("alpha", self.alpha.len(), n),
            ("rho", self.rho.len(), n),
            ("thr", self.thr.len(), n),
            ("beta", self.beta.len(), n),
            ("kappa", self.kappa.len(), o),
            ("w_in", self.w_in.len(), i * n),
            ("w_rec", self.w_rec.len(), n * n),
            ("w_out", self.w_out.len(), n * o),
            ("bias", self.bias.len(), o),
            ("exc", self.exc.len(), n),
            ("mask_in", self.mask_in.len(), i * n),
            ("mask_rec", self.mask_rec.len(), n * n),
            ("mask_out", self.mask_out.len(), n * o),
            ("n_rec", n, n.max(1)),
        ];
        for (name, got, want) in checks {
            if got != want {
                return Err(format!("{name} has {got} entries, expected {want}"));
            }
        }
        Ok(())
    }
}
