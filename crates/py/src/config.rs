//! [`Config`]: a checked chip configuration, read from a file, from TOML text or from
//! a dict (turned into TOML text first), always through the library's loader and
//! checks, so a mistake gets the command line's message.

use std::path::PathBuf;

use neurochip_emu::config::{self, Config as EmuConfig};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::err;

/// Where a configuration that is not a file comes from, in its messages (and, for
/// want of a `name` key, its name).
const NO_FILE: &str = "<dict>";

/// The TOML text of a dict: the dict as a TOML table (keys sorted, plain keys before
/// tables).
pub fn dict_to_toml(d: &Bound<'_, PyDict>) -> PyResult<String> {
    let generic = d.py().import("numpy")?.getattr("generic")?;
    let d = plain(d.as_any(), &generic, 1, &mut 0)?;
    let table: toml::Table = pythonize::depythonize(&d)
        .map_err(|e| err(format!("{NO_FILE}: not a configuration table: {e}")))?;
    toml::to_string(&table).map_err(|e| err(format!("{NO_FILE}: no TOML form: {e}")))
}

/// The deepest nesting of dicts, lists and tuples a configuration dict may have (a
/// configuration's tables and arrays are a few levels deep).
const MAX_DEPTH: usize = 32;

/// The most values a configuration dict may hold, at every level together.
const MAX_VALUES: usize = 1 << 20;

/// `v` at nesting `depth` with every numpy scalar (`numpy.int64(4)`,
/// `numpy.float32(0.5)`, `numpy.bool_(True)`: an instance of `generic`) replaced by
/// its Python value (`.item()`), in copies of its dicts, lists and tuples: a
/// configuration computed with numpy reads as the same one written by hand. Refused:
/// a dict nested deeper than [`MAX_DEPTH`] or one that holds itself (the conversion
/// to TOML recurses once a level, and would overflow the stack), and more than
/// [`MAX_VALUES`] values in all (`seen` counts them). One walk, depth first, so that
/// a structure that holds itself meets the depth bound on its first path.
fn plain<'py>(
    v: &Bound<'py, PyAny>,
    generic: &Bound<'py, PyAny>,
    depth: usize,
    seen: &mut usize,
) -> PyResult<Bound<'py, PyAny>> {
    let py = v.py();
    let is_dict = v.cast::<PyDict>().is_ok();
    let is_list =
        v.cast::<pyo3::types::PyList>().is_ok() || v.cast::<pyo3::types::PyTuple>().is_ok();
    if !is_dict && !is_list {
        return if v.is_instance(generic)? {
            v.call_method0("item")
        } else {
            Ok(v.clone())
        };
    }
    if depth > MAX_DEPTH {
        return Err(err(format!(
            "{NO_FILE}: nested more than {MAX_DEPTH} levels deep (or holds itself); \
             allowed tables and arrays at most {MAX_DEPTH} levels deep"
        )));
    }
    *seen = seen.saturating_add(v.len()?);
    if *seen > MAX_VALUES {
        return Err(err(format!(
            "{NO_FILE}: more than {MAX_VALUES} values in all; allowed at most \
             {MAX_VALUES} (a configuration is a few tables of settings)"
        )));
    }
    if let Ok(m) = v.cast::<PyDict>() {
        let out = PyDict::new(py);
        for (k, x) in m.iter() {
            out.set_item(k, plain(&x, generic, depth + 1, seen)?)?;
        }
        return Ok(out.into_any());
    }
    let items = v
        .try_iter()?
        .map(|x| plain(&x?, generic, depth + 1, seen))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(pyo3::types::PyList::new(py, items)?.into_any())
}

/// A checked chip configuration: every default filled in, every range checked.
///
/// Make one with ``Config.load(path)`` (a TOML file, read as ``neurochip run PATH``
/// reads it), ``Config.from_toml(text)`` or ``Config.from_dict(d)`` (the dict is
/// written as TOML text, ``neurochip.to_toml(d)``, and read by the same loader). A
/// mistake raises ``NeurochipError`` with the command line's one-line message. Where
/// a ``Chip`` or a function takes a configuration, a path or a dict does as well.
#[pyclass(module = "neurochip", frozen)]
pub struct Config {
    /// The checked configuration.
    pub cfg: EmuConfig,
    /// The TOML text it was read from.
    text: String,
}

impl Config {
    /// A configuration and the text it was read from.
    pub fn new(cfg: EmuConfig, text: String) -> Self {
        Self { cfg, text }
    }

    /// The TOML text it was read from.
    pub fn source(&self) -> &str {
        &self.text
    }

    /// `obj` as a configuration: a `Config`, a dict, or a path (`str`, `os.PathLike`).
    pub fn coerce(obj: &Bound<'_, PyAny>) -> PyResult<Config> {
        if let Ok(c) = obj.cast::<Config>() {
            let c = c.get();
            return Ok(Config {
                cfg: c.cfg.clone(),
                text: c.text.clone(),
            });
        }
        if let Ok(d) = obj.cast::<PyDict>() {
            return Self::from_dict(d, None);
        }
        match obj.extract::<PathBuf>() {
            Ok(p) => Self::load(p),
            Err(_) => Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "a configuration is a neurochip.Config, a dict or a path, not {}",
                obj.get_type().name()?
            ))),
        }
    }
}

#[pymethods]
impl Config {
    /// Read and check the configuration file at ``path``, as the command line does.
    #[staticmethod]
    pub fn load(path: PathBuf) -> PyResult<Config> {
        let (cfg, bytes) = config::load_source(&path).map_err(err)?;
        // The loader has checked that the file is UTF-8 text.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Config { cfg, text })
    }

    /// Check the TOML ``text`` as if it were the file at ``path`` (default
    /// ``"<dict>"``): ``path`` names it in messages, gives the default name (its
    /// stem), and a relative digits data path is also looked up beside it.
    #[staticmethod]
    #[pyo3(signature = (text, path = None))]
    pub fn from_toml(text: String, path: Option<PathBuf>) -> PyResult<Config> {
        let at = path.unwrap_or_else(|| PathBuf::from(NO_FILE));
        let cfg = config::parse_at(&text, &at).map_err(err)?;
        Ok(Config { cfg, text })
    }

    /// Check a configuration given as a dict of sections (``{"network": {"inputs":
    /// 40, ...}, "task": {"kind": "cue"}}``): its TOML text (``neurochip.to_toml``)
    /// read as ``Config.from_toml(text, path)`` reads it.
    #[staticmethod]
    #[pyo3(signature = (d, path = None))]
    pub fn from_dict(d: &Bound<'_, PyDict>, path: Option<PathBuf>) -> PyResult<Config> {
        Self::from_toml(dict_to_toml(d)?, path)
    }

    /// The configuration's name (``name``, or the stem of its file).
    #[getter]
    fn name(&self) -> &str {
        &self.cfg.name
    }

    /// The file it was read from (or the path given for text and dicts): the place
    /// its messages name.
    #[getter]
    fn origin(&self) -> &str {
        &self.cfg.origin
    }

    /// The master seed.
    #[getter]
    fn seed(&self) -> u64 {
        self.cfg.seed
    }

    /// Whether the chip learns (``[learning] engine`` is not ``"off"``).
    #[getter]
    fn learns(&self) -> bool {
        self.cfg.learns()
    }

    /// Input channels (``network.inputs``).
    #[getter]
    fn inputs(&self) -> u32 {
        self.cfg.network.inputs
    }

    /// Recurrent neurons (``network.neurons``).
    #[getter]
    fn neurons(&self) -> u32 {
        self.cfg.network.neurons
    }

    /// Readouts (``network.outputs``).
    #[getter]
    fn outputs(&self) -> u32 {
        self.cfg.network.outputs
    }

    /// The TOML text the configuration was read from, as given.
    #[getter]
    fn text(&self) -> &str {
        &self.text
    }

    /// The checked configuration as a dict, to read: every section and key, defaults
    /// filled in (``to_dict()["formats"]["membrane_frac"]``). It is not a file to
    /// write back: a file may hold only the keys its task kind and engine read.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mut value = serde_json::to_value(&self.cfg).map_err(err)?;
        // Absent optional keys (`excitatory_fraction`, `rewire_fraction`, `[reward]`)
        // have no TOML form: leave them out rather than write them as null.
        drop_nulls(&mut value);
        pythonize::pythonize(py, &value).map_err(err)
    }

    /// Pickle support (a Ray task's argument): rebuilt from its text and origin by
    /// ``Config.from_toml``.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let from_toml = py.get_type::<Config>().getattr("from_toml")?;
        (from_toml, (self.text.clone(), self.cfg.origin.clone()))
            .into_pyobject(py)
            .map(|t| t.into_any())
    }

    fn __repr__(&self) -> String {
        format!(
            "Config(name={:?}, origin={:?}, inputs={}, neurons={}, outputs={}, learns={})",
            self.cfg.name,
            self.cfg.origin,
            self.cfg.network.inputs,
            self.cfg.network.neurons,
            self.cfg.network.outputs,
            if self.cfg.learns() { "True" } else { "False" }
        )
    }
}

fn drop_nulls(v: &mut serde_json::Value) {
    if let serde_json::Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
        for x in m.values_mut() {
            drop_nulls(x);
        }
    }
}
