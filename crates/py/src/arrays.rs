//! numpy arrays in and out: input spikes (bool or uint8, 0 or 1) in; spikes,
//! membranes, readouts and weights out.

use neurochip_emu::npz::shape_text;
use numpy::ndarray::{Array1, Array2};
use numpy::{
    IntoPyArray, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn,
    PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::error::err;

/// `x` as a numpy array (`numpy.asarray`).
fn asarray<'py>(x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyUntypedArray>> {
    let np = x.py().import("numpy")?;
    let a = np.call_method1("asarray", (x,))?;
    Ok(a.cast_into::<PyUntypedArray>()?)
}

/// Input spikes: `x` (anything `numpy.asarray` takes, of dtype bool or uint8 with
/// values 0 or 1) of `ndim` dimensions whose last is `n_in`, flattened row by row;
/// with the number of rows (1 for one step). `rows_ok` sees the number of rows
/// before anything is read (a caller bounds what it will allocate for them).
pub fn spikes_in(
    x: &Bound<'_, PyAny>,
    ndim: usize,
    n_in: usize,
    rows_ok: impl FnOnce(usize) -> PyResult<()>,
) -> PyResult<(usize, Vec<bool>)> {
    let py = x.py();
    let a = asarray(x)?;
    let shape = a.shape().to_vec();
    let want = if ndim == 1 {
        format!("({n_in},)")
    } else {
        format!("(steps, {n_in})")
    };
    if shape.len() != ndim || shape.last() != Some(&n_in) {
        return Err(err(format!(
            "input spikes: shape {}; the chip has {n_in} inputs, so the shape is {want}",
            shape_text(&shape)
        )));
    }
    let rows = if ndim == 1 { 1 } else { shape[0] };
    rows_ok(rows)?;
    let dt = a.dtype();
    if dt.is_equiv_to(&numpy::dtype::<bool>(py)) {
        // Read as bytes: a numpy bool array may hold any byte (`frombuffer`, `view`),
        // which numpy takes as true when not zero, and a Rust `bool` must be 0 or 1.
        let bytes = a.call_method1("view", ("uint8",))?;
        let v: PyReadonlyArrayDyn<'_, u8> = bytes.cast::<PyArrayDyn<u8>>()?.readonly();
        return Ok((rows, v.as_array().iter().map(|&b| b != 0).collect()));
    }
    if dt.is_equiv_to(&numpy::dtype::<u8>(py)) {
        let v: PyReadonlyArrayDyn<'_, u8> = a.cast::<PyArrayDyn<u8>>()?.readonly();
        let view = v.as_array();
        let mut out = Vec::with_capacity(view.len());
        for (k, &b) in view.iter().enumerate() {
            if b > 1 {
                let at = index_text(k, if ndim == 1 { &[] } else { &shape });
                return Err(err(format!("input spikes: {b} at {at}; a spike is 0 or 1")));
            }
            out.push(b == 1);
        }
        return Ok((rows, out));
    }
    Err(PyTypeError::new_err(format!(
        "input spikes: dtype {}; allowed bool, or uint8 holding 0 or 1",
        dt.str()?
    )))
}

/// Values for a layer of `shape` (`[rows, cols]`, or `[len]` for the biases): integers
/// (any integer dtype) or reals (any float dtype), flattened row by row.
pub enum Values {
    /// Integers: the memory's own units.
    Int(Vec<i64>),
    /// Reals: to be put on the layer's grid.
    Real(Vec<f64>),
}

/// `values` of exactly `shape`, as [`Values`].
pub fn values_in(values: &Bound<'_, PyAny>, what: &str, shape: &[usize]) -> PyResult<Values> {
    let a = asarray(values)?;
    if a.shape() != shape {
        return Err(err(format!(
            "{what}: shape {} given; the layer is {}",
            shape_text(a.shape()),
            shape_text(shape)
        )));
    }
    let kind = a.dtype().kind();
    let as_type = |t: &str| -> PyResult<Bound<'_, PyAny>> { a.call_method1("astype", (t,)) };
    match kind {
        b'u' => {
            // Unsigned: read as such, so that a value above `i64::MAX` is refused
            // rather than wrapped by `astype("int64")`.
            let c = as_type("uint64")?;
            let v: PyReadonlyArrayDyn<'_, u64> = c.cast::<PyArrayDyn<u64>>()?.readonly();
            let view = v.as_array();
            let mut out = Vec::with_capacity(view.len());
            for (k, &x) in view.iter().enumerate() {
                let Ok(x) = i64::try_from(x) else {
                    return Err(err(format!(
                        "{what}: {x} at {}; allowed at most {} (and the layer's own range)",
                        index_text(k, shape),
                        i64::MAX
                    )));
                };
                out.push(x);
            }
            Ok(Values::Int(out))
        }
        b'i' => {
            let c = as_type("int64")?;
            let v: PyReadonlyArrayDyn<'_, i64> = c.cast::<PyArrayDyn<i64>>()?.readonly();
            Ok(Values::Int(v.as_array().iter().copied().collect()))
        }
        b'f' => {
            let c = as_type("float64")?;
            let v: PyReadonlyArrayDyn<'_, f64> = c.cast::<PyArrayDyn<f64>>()?.readonly();
            Ok(Values::Real(v.as_array().iter().copied().collect()))
        }
        _ => Err(PyTypeError::new_err(format!(
            "{what}: dtype {}; allowed an integer dtype (the memory's units) or a float \
             dtype (real values)",
            a.dtype().str()?
        ))),
    }
}

/// Flat index `k` of an array of `shape` as `[i]` or `[i, j]`.
fn index_text(k: usize, shape: &[usize]) -> String {
    match shape {
        [_, cols] if *cols > 0 => format!("[{}, {}]", k / cols, k % cols),
        _ => format!("[{k}]"),
    }
}

/// The most bytes one call may allocate for the arrays it returns (`Chip.run`,
/// `Chip.task_input`): a request past it is refused before anything is allocated.
pub const OUT_LIMIT: u64 = 4 << 30;

/// Refuse `what`, whose arrays take `bytes`, when that is past [`OUT_LIMIT`] (`hint`:
/// what to do instead).
pub fn out_bounded(what: &str, bytes: u128, hint: &str) -> PyResult<()> {
    if bytes > u128::from(OUT_LIMIT) {
        return Err(err(format!(
            "{what}: the arrays would take {bytes} bytes; allowed at most {OUT_LIMIT} bytes \
             a call ({hint})"
        )));
    }
    Ok(())
}

/// A `rows` × `cols` array of `v` (row by row), or a vector when `rows` is `None`.
pub fn out<'py, T: numpy::Element>(
    py: Python<'py>,
    rows: Option<usize>,
    cols: usize,
    v: Vec<T>,
) -> PyResult<Bound<'py, PyAny>> {
    match rows {
        Some(r) => Ok(Array2::from_shape_vec((r, cols), v)
            .map_err(err)?
            .into_pyarray(py)
            .into_any()),
        None => Ok(Array1::from_vec(v).into_pyarray(py).into_any()),
    }
}
