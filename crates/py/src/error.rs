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

/// A library error (its `Display`) as a `NeurochipError`, on one line: a line break
/// or carriage return it quotes (a path or a value given with one) is written `\n`,
/// `\r`.
pub fn err(e: impl std::fmt::Display) -> PyErr {
    NeurochipError::new_err(one_line(&e.to_string()))
}

/// `s` with its line breaks and carriage returns escaped.
fn one_line(s: &str) -> String {
    s.replace('\n', "\\n").replace('\r', "\\r")
}
