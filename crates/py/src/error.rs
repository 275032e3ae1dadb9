//! `neurochip.NeurochipError`: every refusal of the library, with its one-line
//! message (the text the command line prints after `error: `).

use pyo3::exceptions::PyValueError;
use pyo3::PyErr;

pyo3::create_exception!(
    neurochip,
    NeurochipError,
    PyValueError,
    "A configuration, file, weight or argument neurochip refuses.\n\n\
     The message is the one line the `neurochip` command line prints after\n\
     `error: ` for the same mistake: it names the file, the place, the field,\n\
     what was wrong and what is allowed. A subclass of ValueError."
);

/// A library error (its `Display`, one line) as a `NeurochipError`.
pub fn err(e: impl std::fmt::Display) -> PyErr {
    NeurochipError::new_err(e.to_string())
}
