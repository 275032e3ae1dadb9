//! [`Chip`]: a chip built from a configuration, held in Python: stepped with numpy
//! input, run on its task, trained, its weights read and written, saved as a snapshot
//! and exported as an image. [`Trace`]: what a run of numpy input produced.

use std::cell::RefCell;
use std::num::NonZeroU32;
use std::path::PathBuf;

use neurochip_emu::config::{Config as EmuConfig, Engine};
use neurochip_emu::host::to_bits;
use neurochip_emu::stop::Signal;
use neurochip_emu::task::{Pick, Task};
use neurochip_emu::weights::{self, Layer};
use neurochip_emu::weights_file::{self, WeightsFile};
use neurochip_emu::{build, checkpoint, export, learn, reward, sim, snapshot, HostChip};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::arrays::{self, Values};
use crate::config::Config;
use crate::error::err;
use crate::report::Report;

/// A run's way out on Ctrl-C, or when a Python callback raised: the library asks
/// [`Interrupts::check`] between samples, and the run stops after the sample under
/// way; [`Interrupts::raise`] then raises the Python error.
pub struct Interrupts<'py> {
    py: Python<'py>,
    failed: RefCell<Option<PyErr>>,
}

impl<'py> Interrupts<'py> {
    /// Nothing pending.
    pub fn new(py: Python<'py>) -> Self {
        Self {
            py,
            failed: RefCell::new(None),
        }
    }

    /// Whether to stop: a signal Python has pending (its handler runs here; Ctrl-C
    /// raises `KeyboardInterrupt`), or a callback that raised.
    pub fn check(&self) -> Option<Signal> {
        if self.failed.borrow().is_some() {
            return Some(Signal::Interrupt);
        }
        match self.py.check_signals() {
            Ok(()) => None,
            Err(e) => {
                self.fail(e);
                Some(Signal::Interrupt)
            }
        }
    }

    /// Stop at the next check, and raise `e` then.
    pub fn fail(&self, e: PyErr) {
        self.failed.borrow_mut().get_or_insert(e);
    }

    /// The pending error, raised.
    pub fn raise(&self) -> PyResult<()> {
        match self.failed.borrow_mut().take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// What ``Chip.run`` produced, one row per step.
///
/// ``spikes`` is ``bool`` [steps, neurons]; ``membranes`` [steps, neurons] and
/// ``readouts`` [steps, outputs] are ``float64`` in the configuration's real units
/// (a membrane reaching its threshold, ``network.threshold`` plus any adaptation,
/// spikes); ``membranes_raw`` and ``readouts_raw`` are the same as the ``int32``
/// integers the chip holds (one unit is ``Chip.membrane_lsb`` /
/// ``Chip.readout_lsb``).
#[pyclass(module = "neurochip", frozen)]
pub struct Trace {
    /// Steps run (rows).
    #[pyo3(get)]
    steps: usize,
    /// Recurrent spikes, ``bool`` [steps, neurons].
    #[pyo3(get)]
    spikes: Py<PyAny>,
    /// Membrane potentials after each step, ``float64`` [steps, neurons].
    #[pyo3(get)]
    membranes: Py<PyAny>,
    /// Readout values after each step, ``float64`` [steps, outputs].
    #[pyo3(get)]
    readouts: Py<PyAny>,
    /// Membrane potentials as the chip's integers, ``int32`` [steps, neurons].
    #[pyo3(get)]
    membranes_raw: Py<PyAny>,
    /// Readout values as the chip's integers, ``int32`` [steps, outputs].
    #[pyo3(get)]
    readouts_raw: Py<PyAny>,
}

#[pymethods]
impl Trace {
    fn __repr__(&self) -> String {
        format!("Trace(steps={})", self.steps)
    }
}

/// A chip built from a configuration: ``Chip(config)``, where ``config`` is a
/// ``Config``, a path to a TOML file, or a dict. The chip is the one the command
/// line builds for the same configuration: run on its task (``infer``) or trained
/// (``train``), it gives the command line's digest.
///
/// It keeps its state between calls: ``step`` and ``run`` drive it with numpy input
/// spikes; ``reset()`` zeroes the dynamic state (membranes, traces, readouts) as the
/// start of a sample does. Weights are read and written with ``get_weights`` and
/// ``set_weights``; ``save``/``load`` and ``snapshot``/``restore`` keep the whole
/// state; ``export_image`` writes an image for the firmware.
#[pyclass(module = "neurochip")]
pub struct Chip {
    cfg: EmuConfig,
    text: String,
    chip: HostChip,
    task: Task,
    epochs_done: u32,
}

impl Chip {
    fn layer_shape(&self, layer: Layer) -> Vec<usize> {
        let (r, c) = layer.shape(self.chip.config());
        match layer {
            Layer::Bias => vec![c],
            _ => vec![r, c],
        }
    }

    fn layer_out<'py, T: numpy::Element>(
        &self,
        py: Python<'py>,
        layer: Layer,
        v: Vec<T>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (r, c) = layer.shape(self.chip.config());
        arrays::out(py, (layer != Layer::Bias).then_some(r), c, v)
    }

    fn weights_of<'py>(
        &mut self,
        py: Python<'py>,
        layer: Layer,
        dequantize: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        if dequantize {
            let v = weights::get_real(&mut self.chip, layer);
            self.layer_out(py, layer, v)
        } else {
            let v = weights::get(&mut self.chip, layer);
            self.layer_out(py, layer, v)
        }
    }

    fn m_lsb(&self) -> f64 {
        self.chip.config().formats().membrane.lsb()
    }

    fn r_lsb(&self) -> f64 {
        self.chip.config().formats().readout.lsb()
    }
}

/// The weights `w` stand for: a path (set as the configuration's `network.weights`,
/// read when the chip is built), bytes of an `.npz` file, or a dict of arrays (saved
/// as one with numpy).
fn weights_in(cfg: &mut EmuConfig, w: &Bound<'_, PyAny>) -> PyResult<Option<WeightsFile>> {
    let py = w.py();
    let sizes = weights_file::Sizes {
        inputs: cfg.network.inputs as usize,
        neurons: cfg.network.neurons as usize,
        outputs: cfg.network.outputs as usize,
    };
    let (bytes, what) = if let Ok(b) = w.cast::<PyBytes>() {
        (b.as_bytes().to_vec(), "<bytes>")
    } else if let Ok(d) = w.cast::<PyDict>() {
        let buf = py.import("io")?.call_method0("BytesIO")?;
        py.import("numpy")?
            .getattr("savez")?
            .call((&buf,), Some(d))?;
        let b: Vec<u8> = buf.call_method0("getvalue")?.extract()?;
        (b, "<weights dict>")
    } else {
        let p: PathBuf = w.extract().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(
                "weights: a path to a .npz file, its bytes, or a dict of arrays",
            )
        })?;
        cfg.network.weights = Some(p.display().to_string());
        return Ok(None);
    };
    weights_file::parse(bytes, what, sizes)
        .map(Some)
        .map_err(|e| err(format!("{what}: {e}")))
}

#[pymethods]
impl Chip {
    /// Build the chip (and its task) of ``config``: a ``Config``, a path or a dict.
    ///
    /// ``weights`` starts it from other weights than the configuration's: a weights
    /// file (``.npz``, what ``save_weights`` and ``neurochip weights`` write), its
    /// bytes, or a dict of arrays in that layout: integers with ``"shifts"`` (taken
    /// exactly), or real values without (quantised as drawn weights are), with
    /// optional ``"bias"`` and masks (docs/formats.md).
    #[new]
    #[pyo3(signature = (config, *, weights = None))]
    fn new(config: &Bound<'_, PyAny>, weights: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut c = Config::coerce(config)?;
        let file = match weights {
            None => None,
            Some(w) => weights_in(&mut c.cfg, w)?,
        };
        let (_, chip) = build::chip_with(&c.cfg, file).map_err(err)?;
        let task = build::task(&c.cfg).map_err(err)?;
        Ok(Self {
            text: c.source().to_string(),
            cfg: c.cfg,
            chip,
            task,
            epochs_done: 0,
        })
    }

    /// The configuration the chip was built from.
    #[getter]
    fn config(&self) -> Config {
        Config::new(self.cfg.clone(), self.text.clone())
    }

    /// Input channels.
    #[getter]
    fn inputs(&self) -> usize {
        self.chip.config().n_in()
    }

    /// Recurrent neurons.
    #[getter]
    fn neurons(&self) -> usize {
        self.chip.config().n_rec()
    }

    /// Readouts.
    #[getter]
    fn outputs(&self) -> usize {
        self.chip.config().n_out()
    }

    /// The learning engine: ``"off"``, ``"exact"`` or ``"light"``.
    #[getter]
    fn engine(&self) -> &'static str {
        match self.chip.config().learning().engine {
            Engine::Off => "off",
            Engine::Exact => "exact",
            Engine::Light => "light",
        }
    }

    /// Steps the chip has taken (its step counter).
    #[getter]
    fn steps(&self) -> u64 {
        self.chip.chip().steps()
    }

    /// The trace digest so far, 16 hex digits (what the command line prints).
    #[getter]
    fn digest(&self) -> String {
        format!("{:016x}", self.chip.digest())
    }

    /// Training epochs done: counted by ``train``, restored by ``load``/``restore``,
    /// saved by ``save``/``snapshot``. The next ``train`` continues the sample order
    /// from here, as ``neurochip run --resume`` does.
    #[getter]
    fn epochs_done(&self) -> u32 {
        self.epochs_done
    }

    /// The layer shifts (weight exponents): ``{"input": s, "recurrent": s, "output":
    /// s}``.
    #[getter]
    fn shifts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.chip.config().shifts();
        let d = PyDict::new(py);
        d.set_item("input", s.input)?;
        d.set_item("recurrent", s.recurrent)?;
        d.set_item("output", s.output)?;
        Ok(d)
    }

    /// The real value of one unit of the membrane (``2**-membrane_frac``).
    #[getter]
    fn membrane_lsb(&self) -> f64 {
        self.m_lsb()
    }

    /// The real value of one unit of the readout (``2**-readout_frac``).
    #[getter]
    fn readout_lsb(&self) -> f64 {
        self.r_lsb()
    }

    /// One time step with the input spikes ``x`` (``bool`` or ``uint8`` [inputs]).
    /// Returns ``(spikes, membranes, readouts)``: ``bool`` [neurons], and ``float64``
    /// [neurons] and [outputs] in real units.
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let (_, flat) = arrays::spikes_in(x, 1, self.inputs(), |_| Ok(()))?;
        self.chip.step(&to_bits(&flat)).map_err(err)?;
        let (m, r) = (self.m_lsb(), self.r_lsb());
        let mem = self.chip.mem();
        let z: Vec<bool> = mem.z.iter().by_vals().collect();
        let v: Vec<f64> = mem.v.iter().map(|&v| f64::from(v) * m).collect();
        let y: Vec<f64> = mem.y.iter().map(|&y| f64::from(y) * r).collect();
        let n = z.len();
        let o = y.len();
        Ok((
            arrays::out(py, None, n, z)?,
            arrays::out(py, None, n, v)?,
            arrays::out(py, None, o, y)?,
        ))
    }

    /// Run the input spikes ``x`` (``bool`` or ``uint8`` [steps, inputs]) step by
    /// step, from the chip's state (``reset=True`` zeroes the dynamic state first, as
    /// the start of a sample does). Returns a ``Trace``. Learning circuits are not
    /// driven: no target, no weight change. A ``bool`` byte other than 0 is a spike,
    /// as numpy reads it; a run whose returned arrays would pass 4 GiB is refused
    /// before it starts (run it in pieces).
    #[pyo3(signature = (x, *, reset = false))]
    fn run(&mut self, py: Python<'_>, x: &Bound<'_, PyAny>, reset: bool) -> PyResult<Trace> {
        let n_in = self.inputs();
        let (n, o) = (self.neurons(), self.outputs());
        // The input's copy (1 byte a spike), and what is returned: spikes (1 byte),
        // membranes and readouts (8 bytes real, 4 raw) a step.
        let per_step = (n_in + n) as u128 + 12 * (n + o) as u128;
        let (rows, flat) = arrays::spikes_in(x, 2, n_in, |rows| {
            let what = format!("run: {rows} steps");
            arrays::out_bounded(&what, rows as u128 * per_step, "run fewer steps a call")
        })?;
        if reset {
            self.chip.reset_state();
        }
        let (mut z, mut v, mut y) = (
            Vec::with_capacity(rows * n),
            Vec::with_capacity(rows * n),
            Vec::with_capacity(rows * o),
        );
        for row in flat.chunks(n_in.max(1)).take(rows) {
            self.chip.step(&to_bits(row)).map_err(err)?;
            let mem = self.chip.mem();
            z.extend(mem.z.iter().by_vals());
            v.extend_from_slice(mem.v);
            y.extend_from_slice(mem.y);
        }
        let (m, r) = (self.m_lsb(), self.r_lsb());
        let real =
            |s: &[i32], lsb: f64| -> Vec<f64> { s.iter().map(|&q| f64::from(q) * lsb).collect() };
        Ok(Trace {
            steps: rows,
            spikes: arrays::out(py, Some(rows), n, z)?.unbind(),
            membranes: arrays::out(py, Some(rows), n, real(&v, m))?.unbind(),
            readouts: arrays::out(py, Some(rows), o, real(&y, r))?.unbind(),
            membranes_raw: arrays::out(py, Some(rows), n, v)?.unbind(),
            readouts_raw: arrays::out(py, Some(rows), o, y)?.unbind(),
        })
    }

    /// The input spikes of the configuration's inference sample ``sample`` (``bool``
    /// [steps, inputs], ``0 <= sample < samples``): what ``infer`` feeds the chip for
    /// that sample. ``reset()``
    /// then ``run(chip.task_input(i))`` for each sample ``i`` is ``infer()``, digest
    /// and all, on a chip that does not learn.
    #[pyo3(signature = (sample = 0))]
    fn task_input<'py>(&self, py: Python<'py>, sample: u32) -> PyResult<Bound<'py, PyAny>> {
        let samples = self.samples();
        if sample >= samples {
            return Err(err(format!(
                "task_input: sample {sample}; the configuration runs {samples} inference \
                 samples, allowed 0..={}",
                samples.saturating_sub(1)
            )));
        }
        let steps = u128::from(self.task.steps(Pick::Run(sample)));
        let what = format!("task_input: sample {sample}");
        let hint = "`infer` runs the sample without returning its input";
        arrays::out_bounded(&what, steps * self.inputs() as u128, hint)?;
        let (steps, x) = self.task.input(Pick::Run(sample));
        arrays::out(py, Some(steps), self.inputs(), x)
    }

    /// The inference samples ``infer`` runs: ``task.samples`` (digits: at most the
    /// training digits there are).
    #[getter]
    fn samples(&self) -> u32 {
        sim::inference_samples(&self.cfg, &self.task)
    }

    /// Zero the dynamic state (membranes, refractory counters, traces, readouts), as
    /// the start of every sample does. Weights, the step counter, the PRNG and the
    /// digest stay.
    fn reset(&mut self) {
        self.chip.reset_state();
    }

    /// Run the configuration's inference samples (``task.samples``) on this chip, as
    /// ``neurochip run`` runs a configuration that does not learn; ``steps`` stops
    /// after that many steps in all. Returns the ``Report`` (``kind == "run"``): on a
    /// freshly built chip, the command line's figures and digest.
    #[pyo3(signature = (*, steps = None))]
    fn infer(&mut self, py: Python<'_>, steps: Option<u64>) -> PyResult<Report> {
        let rep = sim::run_chip(&self.cfg, &mut self.chip, &self.task, steps, &|| None);
        Report::new(py, "run", &rep)
    }

    /// Train the chip by the configuration's ``[train]`` plan, from its current state,
    /// as ``neurochip run`` trains (``kind == "train"``; with ``[reward]``, reward-based
    /// e-prop, ``kind == "reward"``). On a freshly built chip the report has the
    /// command line's figures and digest.
    ///
    /// ``save``: write a snapshot of the trained chip there (atomically);
    /// ``checkpoint_every``: also every that many epochs; ``resume``: start from a
    /// snapshot and continue its epochs. ``on_epoch(epoch)`` is called with a dict
    /// after every epoch (the chip is in use until ``train`` returns: a call of it
    /// from ``on_epoch`` raises ``RuntimeError``); ``progress`` shows a progress bar on
    /// a terminal.
    ///
    /// Ctrl-C (or an exception in ``on_epoch``) stops the training after the sample
    /// under way: the chip keeps that state, ``save`` gets the last finished epoch,
    /// and the exception is raised.
    #[pyo3(signature = (*, save = None, resume = None, checkpoint_every = None, on_epoch = None, progress = false))]
    fn train(
        &mut self,
        py: Python<'_>,
        save: Option<PathBuf>,
        resume: Option<PathBuf>,
        checkpoint_every: Option<u32>,
        on_epoch: Option<Py<PyAny>>,
        progress: bool,
    ) -> PyResult<Report> {
        let cfg = &self.cfg;
        if !cfg.learns() {
            return Err(err(format!(
                "{}: the chip does not learn ([learning] engine = \"off\"): nothing to \
                 train; Chip.infer() runs it",
                cfg.origin
            )));
        }
        crate::warn_rates(py, cfg)?;
        if cfg.reward.is_some() {
            if resume.is_some() || checkpoint_every.is_some() {
                return Err(err(format!(
                    "{}: resume and checkpoint_every apply to supervised training; a \
                     reward run starts its episodes from 0",
                    cfg.origin
                )));
            }
            learn::check_save(save.as_deref()).map_err(err)?;
            let (rep, mut chip) =
                reward::train_built(cfg, self.chip.clone(), &|| None, |_, _| {}).map_err(err)?;
            learn::save_snapshot(save.as_deref(), &mut chip, cfg.train.epochs).map_err(err)?;
            self.chip = chip;
            self.epochs_done = cfg.train.epochs;
            return Report::new(py, "reward", &rep);
        }
        let every = match checkpoint_every {
            None => None,
            Some(n) => Some(NonZeroU32::new(n).ok_or_else(|| {
                err(format!(
                    "{}: checkpoint_every = 0; allowed: at least 1 (epochs)",
                    cfg.origin
                ))
            })?),
        };
        let stop = Interrupts::new(py);
        let check = || stop.check();
        let opts = checkpoint::Options {
            resume: resume.as_deref(),
            save: save.as_deref(),
            checkpoint_every: every,
            stop: Some(&check),
            start_epoch: self.epochs_done,
        };
        let res = checkpoint::train_built(cfg, self.chip.clone(), !progress, &opts, |ep| {
            if let Some(cb) = &on_epoch {
                let called = serde_json::to_value(ep)
                    .map_err(err)
                    .and_then(|v| pythonize::pythonize(py, &v).map_err(err))
                    .and_then(|d| cb.call1(py, (d,)));
                if let Err(e) = called {
                    stop.fail(in_use(py, e));
                }
            }
        });
        match res {
            Ok((rep, chip)) => {
                self.chip = chip;
                self.epochs_done = rep.epochs_done;
                stop.raise()?;
                Report::new(py, "train", &rep)
            }
            Err(e) => {
                stop.raise()?;
                Err(err(e))
            }
        }
    }

    /// The weights of ``layer`` (``"w_in"`` [inputs, neurons], ``"w_rec"`` [neurons,
    /// neurons], ``"w_out"`` [neurons, outputs], ``"bias"`` [outputs]): the integers
    /// in memory (``int32``), or with ``dequantize=True`` the real values they stand
    /// for (``float64``: integers times ``lsb(layer)``).
    #[pyo3(signature = (layer, *, dequantize = false))]
    fn get_weights<'py>(
        &mut self,
        py: Python<'py>,
        layer: &str,
        dequantize: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let l = Layer::named(layer).map_err(err)?;
        self.weights_of(py, l, dequantize)
    }

    /// Write the weights of ``layer`` (the shape ``get_weights`` gives). An integer
    /// array is written as the memory's integers; a float array is put on the
    /// layer's grid (divided by ``lsb(layer)``, rounded to nearest). Refused, naming
    /// the element, and nothing written: a value the format cannot hold, a non-zero
    /// weight where ``mask(layer)`` is False, a sign against Dale's law.
    ///
    /// Before the first step, the chip's registers start afresh, so its digest is the
    /// one a chip built with these weights starts from; after steps, the new weights
    /// are folded into the digest, as learning folds its updates.
    fn set_weights(&mut self, layer: &str, values: &Bound<'_, PyAny>) -> PyResult<()> {
        let l = Layer::named(layer).map_err(err)?;
        let shape = self.layer_shape(l);
        match arrays::values_in(values, l.name(), &shape)? {
            Values::Int(v) => weights::set(&mut self.chip, l, &v),
            Values::Real(v) => weights::set_real(&mut self.chip, l, &v),
        }
        .map_err(err)
    }

    /// Every layer's weights as a dict ``{"w_in", "w_rec", "w_out", "bias"}``
    /// (``get_weights`` of each).
    #[pyo3(signature = (*, dequantize = false))]
    fn weights<'py>(&mut self, py: Python<'py>, dequantize: bool) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for l in Layer::ALL {
            d.set_item(l.name(), self.weights_of(py, l, dequantize)?)?;
        }
        Ok(d)
    }

    /// Which synapses of ``layer`` exist (``bool``, its shape; ``None`` for
    /// ``"bias"``). A synapse whose bit is False holds weight 0.
    fn mask<'py>(&mut self, py: Python<'py>, layer: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        let l = Layer::named(layer).map_err(err)?;
        match weights::mask(&mut self.chip, l) {
            Some(m) => Ok(Some(self.layer_out(py, l, m)?)),
            None => Ok(None),
        }
    }

    /// The real value of one unit of ``layer``'s memory (``2**(shift - frac)``).
    fn lsb(&self, layer: &str) -> PyResult<f64> {
        let l = Layer::named(layer).map_err(err)?;
        Ok(l.lsb(self.chip.config()))
    }

    /// Write the chip as an image for the firmware (``neurochip run-image``, QEMU, a
    /// board) to ``path``, atomically; returns its size in bytes.
    ///
    /// ``inference`` (default: whether the configuration learns) writes the plan
    /// that tests the chip on ``train.test_samples`` samples, learning off, as
    /// ``neurochip run CONFIG --export`` writes a trained chip; otherwise the
    /// configuration's own plan, as ``neurochip export`` writes it.
    #[pyo3(signature = (path, *, inference = None))]
    fn export_image(&self, path: PathBuf, inference: Option<bool>) -> PyResult<usize> {
        let inference = inference.unwrap_or(self.cfg.learns());
        let bytes = export::encode_chip(&self.cfg, &self.chip, inference).map_err(err)?;
        export::write_atomic(&path, &bytes)
            .map_err(|e| err(format!("{}: cannot write the image: {e}", path.display())))?;
        Ok(bytes.len())
    }

    /// The neurons' and readouts' parameters as the chip holds them, in real units
    /// (``neurochip_emu::dequantize``): ``alpha``, ``rho`` (per-step decays of the
    /// membrane and the adaptation, [neurons]), ``threshold``, ``beta`` [neurons],
    /// ``kappa`` (readout decay, [outputs]), ``refractory`` (steps), ``gamma``, and
    /// ``dt_ms`` (the configuration's step).
    fn parameters<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let net = neurochip_emu::dequantize(&mut self.chip);
        let d = PyDict::new(py);
        let n = net.n_rec;
        let o = net.n_out;
        d.set_item("alpha", arrays::out(py, None, n, net.alpha)?)?;
        d.set_item("rho", arrays::out(py, None, n, net.rho)?)?;
        d.set_item("threshold", arrays::out(py, None, n, net.thr)?)?;
        d.set_item("beta", arrays::out(py, None, n, net.beta)?)?;
        d.set_item("kappa", arrays::out(py, None, o, net.kappa)?)?;
        d.set_item("refractory", net.refractory)?;
        d.set_item("gamma", net.gamma)?;
        d.set_item("dt_ms", self.cfg.network.dt_ms)?;
        Ok(d)
    }

    /// The chip as a NIR graph (``nir.NIRGraph``; the ``nir`` package): Input ->
    /// Linear -> LIF (with a recurrent Linear) -> Affine -> LI -> Output, in the
    /// conventions of docs/nir.md; ``dt`` is the step in the unit of the graph's time
    /// constants (default: the configuration's ``dt_ms`` in seconds).
    /// ``neurochip.from_nir`` of it gives this chip again (same digest). ``nir.write``
    /// saves it.
    #[pyo3(signature = (*, dt = None))]
    fn to_nir<'py>(slf: Bound<'py, Self>, dt: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let kwargs = PyDict::new(py);
        kwargs.set_item("dt", dt)?;
        py.import("neurochip.nir")?
            .getattr("to_nir")?
            .call((slf,), Some(&kwargs))
    }

    /// Write the chip's weights to ``path`` as a ``.npz`` file, atomically: the
    /// integers, the layer shifts, the real values and the masks (the file
    /// ``neurochip weights`` writes; ``Chip(config, weights=path)`` and ``neurochip
    /// run --weights`` start a chip from it). Returns its size in bytes.
    fn save_weights(&mut self, path: PathBuf) -> PyResult<usize> {
        let bytes = weights_file::encode(&mut self.chip).map_err(err)?;
        export::write_atomic(&path, &bytes).map_err(|e| {
            err(format!(
                "{}: cannot write the weights file: {e}",
                path.display()
            ))
        })?;
        Ok(bytes.len())
    }

    /// Save the whole chip state (registers, every memory, ``epochs_done``) to
    /// ``path`` as a snapshot, atomically: the file ``neurochip run --save`` writes.
    fn save(&mut self, path: PathBuf) -> PyResult<()> {
        snapshot::save_file(&path, &mut self.chip, self.epochs_done).map_err(err)
    }

    /// Load the snapshot at ``path`` (saved by a chip of the same configuration);
    /// returns the epochs done it holds (now ``epochs_done``). The chip continues
    /// exactly as the saved one would have.
    fn load(&mut self, path: PathBuf) -> PyResult<u32> {
        let e = snapshot::load_file(&path, &mut self.chip).map_err(err)?;
        self.epochs_done = e;
        Ok(e)
    }

    /// The snapshot of the chip as bytes (what ``save`` writes).
    fn snapshot<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &snapshot::encode(&mut self.chip, self.epochs_done))
    }

    /// Restore the snapshot ``data`` (bytes from ``snapshot`` or a file); returns its
    /// epochs done.
    fn restore(&mut self, data: &[u8]) -> PyResult<u32> {
        let e = snapshot::decode_into(data, &mut self.chip)
            .map_err(|e| err(format!("snapshot: {e}")))?;
        self.epochs_done = e;
        Ok(e)
    }

    /// An independent copy of the chip, state and all.
    fn copy(&self) -> Self {
        Self {
            cfg: self.cfg.clone(),
            text: self.text.clone(),
            chip: self.chip.clone(),
            task: self.task.clone(),
            epochs_done: self.epochs_done,
        }
    }

    fn __copy__(&self) -> Self {
        self.copy()
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> Self {
        self.copy()
    }

    fn __repr__(&self) -> String {
        format!(
            "Chip(name={:?}, inputs={}, neurons={}, outputs={}, engine={:?}, steps={}, digest={:?})",
            self.cfg.name,
            self.inputs(),
            self.neurons(),
            self.outputs(),
            self.engine(),
            self.steps(),
            self.digest()
        )
    }
}

/// `e`, or, where it is PyO3's refusal to borrow the chip (`on_epoch` used the chip
/// that is training), a `RuntimeError` that says so, with `e` as its cause.
fn in_use(py: Python<'_>, e: PyErr) -> PyErr {
    let borrow = e.is_instance_of::<pyo3::exceptions::PyRuntimeError>(py)
        && matches!(
            e.value(py).to_string().as_str(),
            "Already borrowed" | "Already mutably borrowed"
        );
    if !borrow {
        return e;
    }
    let said = pyo3::exceptions::PyRuntimeError::new_err(
        "on_epoch used the chip that is training: it is in use until train() returns \
         (and changes only then); on_epoch gets the epoch's figures as its argument",
    );
    said.set_cause(py, Some(e));
    said
}
