//! [`Report`]: a run's report as the command line writes it with `--json`.

use pyo3::exceptions::{PyAttributeError, PyKeyError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::error::err;

/// What a run, a training run, a verification or a cycle-model run reports: the
/// object `neurochip run CONFIG --json` (or `verify`, or `run --arch`) prints, key for
/// key, with the same numbers and the same digest.
///
/// Read it as attributes (``report.digest``, ``report.test_accuracy``) or as a mapping
/// (``report["digest"]``, ``report.keys()``); ``report.to_dict()`` gives a plain dict.
/// ``report.kind`` says which report it is: ``"run"``, ``"train"``, ``"reward"``,
/// ``"verify"``, ``"learn_verify"``, ``"reward_verify"`` or ``"cycles"``.
#[pyclass(module = "neurochip", frozen)]
pub struct Report {
    kind: String,
    /// The digest: `digest`, or (reward verify) the chip's, `chip.digest`.
    digest: String,
    /// The report as the command line's JSON object (keys in its order): each read
    /// converts its part afresh, so that what a caller changes in it is its own copy
    /// and the report stays as made.
    value: serde_json::Map<String, serde_json::Value>,
}

impl Report {
    /// The report `rep` of kind `kind`, converted as the command line's `--json` does
    /// (through `serde_json`, so a value JSON cannot hold reads as it does there).
    pub fn new<T: serde::Serialize>(_py: Python<'_>, kind: &str, rep: &T) -> PyResult<Self> {
        let serde_json::Value::Object(value) = serde_json::to_value(rep).map_err(err)? else {
            return Err(err("a report is an object"));
        };
        let digest = value
            .get("digest")
            .or_else(|| value.get("chip").and_then(|c| c.get("digest")))
            .and_then(|d| d.as_str())
            .unwrap_or_default()
            .to_string();
        Ok(Self {
            kind: kind.to_string(),
            digest,
            value,
        })
    }

    /// The report's `key`, converted afresh (`None` when it has none).
    fn part(&self, py: Python<'_>, key: &str) -> PyResult<Option<Py<PyAny>>> {
        self.value
            .get(key)
            .map(|v| Ok(pythonize::pythonize(py, v).map_err(err)?.unbind()))
            .transpose()
    }
}

#[pymethods]
impl Report {
    /// Which report this is: ``"run"``, ``"train"``, ``"reward"``, ``"verify"``,
    /// ``"learn_verify"``, ``"reward_verify"`` or ``"cycles"``.
    #[getter]
    fn kind(&self) -> &str {
        &self.kind
    }

    /// The trace digest, 16 hex digits: the number to compare with the command line's
    /// (a reward verification's is its chip's, ``report["chip"]["digest"]``).
    #[getter]
    fn digest(&self) -> &str {
        &self.digest
    }

    /// A copy of the report as a plain dict (a deep one: changing it leaves the
    /// report as it was).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        pythonize::pythonize(py, &self.value)
            .map_err(err)?
            .cast_into::<PyDict>()
            .map_err(|_| err("a report is an object"))
    }

    /// The report's keys, in the command line's order.
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.value.keys())
    }

    fn __getitem__(&self, py: Python<'_>, key: &str) -> PyResult<Py<PyAny>> {
        match self.part(py, key)? {
            Some(v) => Ok(v),
            None => Err(PyKeyError::new_err(key.to_string())),
        }
    }

    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        match self.part(py, name)? {
            Some(v) => Ok(v),
            None => Err(PyAttributeError::new_err(format!(
                "a {} report has no `{name}`; it has: {}",
                self.kind,
                self.keys(py)?.str()?
            ))),
        }
    }

    fn __contains__(&self, key: &str) -> bool {
        self.value.contains_key(key)
    }

    fn __len__(&self) -> usize {
        self.value.len()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.keys(py)?.into_any().try_iter().map(Bound::into_any)
    }

    fn __repr__(&self) -> PyResult<String> {
        let name = match self.value.get("name") {
            Some(serde_json::Value::String(n)) => n.clone(),
            Some(n) => n.to_string(),
            None => String::new(),
        };
        Ok(format!(
            "Report(kind={:?}, name={name:?}, digest={:?})",
            self.kind, self.digest
        ))
    }
}
