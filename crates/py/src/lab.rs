//! Sweeps from Python: the grid's points, one point trained (what a Ray task runs),
//! the whole grid on this machine's cores, and the command line's table and CSV of
//! the rows. `neurochip.sweep` (python/neurochip/sweep.py) puts them together.

use neurochip_emu::config::{Config as EmuConfig, Engine};
use neurochip_emu::Arch;
use neurochip_lab::sweep::{self, Grid, Point, SweepRow};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::config::Config;
use crate::error::err;

fn engines(names: Vec<String>) -> PyResult<Vec<Engine>> {
    sweep::parse_engines(&names).map_err(|e| err(format!("engines: {e}")))
}

fn archs(names: Vec<String>) -> PyResult<Vec<Arch>> {
    names
        .iter()
        .map(|a| Arch::resolve(a).map_err(|e| err(format!("--arch: {e}"))))
        .collect()
}

fn rows_out<'py>(py: Python<'py>, rows: &[SweepRow]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for r in rows {
        let v = serde_json::to_value(r).map_err(err)?;
        out.append(pythonize::pythonize(py, &v).map_err(err)?)?;
    }
    Ok(out)
}

fn rows_in(rows: &Bound<'_, PyAny>) -> PyResult<Vec<SweepRow>> {
    pythonize::depythonize(rows).map_err(|e| err(format!("sweep rows: {e}")))
}

/// A sweep grid's axes as Python gives them, a dict with the four keys
/// (`neurochip.sweep` builds it): an empty axis keeps each configuration's own value.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct Axes {
    engines: Vec<String>,
    weight_bits: Vec<u32>,
    trace_bits: Vec<u32>,
    seeds: Vec<u64>,
}

/// A sweep grid's arguments, converted: the configurations and the axes.
struct GridArgs {
    configs: Vec<EmuConfig>,
    engines: Vec<Engine>,
    weight_bits: Vec<u32>,
    trace_bits: Vec<u32>,
    seeds: Vec<u64>,
    archs: Vec<Arch>,
}

/// The widths of a grid or a point, checked as `neurochip sweep` checks its flags,
/// the message naming the Python key.
fn check_widths(weight_bits: &[u32], trace_bits: &[u32]) -> PyResult<()> {
    sweep::check_widths(weight_bits, trace_bits, ["weight_bits", "trace_bits"]).map_err(err)
}

impl GridArgs {
    fn new(configs: Vec<Bound<'_, PyAny>>, axes: Axes, archs: Vec<String>) -> PyResult<Self> {
        check_widths(&axes.weight_bits, &axes.trace_bits)?;
        Ok(GridArgs {
            configs: configs
                .iter()
                .map(|c| Config::coerce(c).map(|c| c.cfg))
                .collect::<PyResult<_>>()?,
            engines: self::engines(axes.engines)?,
            weight_bits: axes.weight_bits,
            trace_bits: axes.trace_bits,
            seeds: axes.seeds,
            archs: self::archs(archs)?,
        })
    }

    fn grid(&self) -> Grid<'_> {
        Grid {
            engines: &self.engines,
            weight_bits: &self.weight_bits,
            trace_bits: &self.trace_bits,
            seeds: &self.seeds,
            archs: &self.archs,
        }
    }
}

/// The points of a sweep grid, in the order the sweep reports them: a list of
/// ``(k, point)``, ``k`` the index of the configuration in ``configs`` and ``point``
/// a dict ``{"engine", "weight_bits", "trace_bits", "seed"}``. ``grid`` holds the
/// axes: ``{"engines", "weight_bits", "trace_bits", "seeds"}``, lists; an empty one
/// keeps each configuration's own value.
#[pyfunction]
pub fn sweep_points<'py>(
    py: Python<'py>,
    configs: Vec<Bound<'py, PyAny>>,
    grid: Axes,
) -> PyResult<Bound<'py, PyList>> {
    let g = GridArgs::new(configs, grid, vec![])?;
    let out = PyList::empty(py);
    for (k, p) in sweep::grid_points(&g.configs, &g.grid()) {
        let v = serde_json::to_value(p).map_err(err)?;
        out.append((k, pythonize::pythonize(py, &v).map_err(err)?))?;
    }
    Ok(out)
}

/// Train one grid point: ``config`` at ``point`` (a dict from ``sweep_points``),
/// costed on ``archs``; its rows (one per architecture, one without), as dicts with
/// the chip's ``digest``. The same point gives the same rows on any machine.
#[pyfunction]
#[pyo3(signature = (config, point, archs = vec![]))]
pub fn sweep_point<'py>(
    py: Python<'py>,
    config: &Bound<'py, PyAny>,
    point: &Bound<'py, PyAny>,
    archs: Vec<String>,
) -> PyResult<Bound<'py, PyList>> {
    let cfg = Config::coerce(config)?.cfg;
    let p: Point = pythonize::depythonize(point).map_err(|e| err(format!("point: {e}")))?;
    check_widths(&[p.weight_bits], &[p.trace_bits])?;
    let archs = self::archs(archs)?;
    let c = p.apply(&cfg);
    let rows = py.detach(|| sweep::run_point(&c, &archs)).map_err(err)?;
    rows_out(py, &rows)
}

/// The whole grid (``grid`` as for ``sweep_points``) on this machine's cores
/// (``neurochip sweep``'s engine): the rows in the order of ``sweep_points``.
#[pyfunction]
#[pyo3(signature = (configs, grid, archs = vec![]))]
pub fn sweep_local<'py>(
    py: Python<'py>,
    configs: Vec<Bound<'py, PyAny>>,
    grid: Axes,
    archs: Vec<String>,
) -> PyResult<Bound<'py, PyList>> {
    let g = GridArgs::new(configs, grid, archs)?;
    let rows = py
        .detach(|| sweep::sweep(&g.configs, &g.grid(), &|_, _| {}))
        .map_err(err)?;
    rows_out(py, &rows)
}

/// The rows as the Markdown table ``neurochip sweep`` prints.
#[pyfunction]
pub fn sweep_table(rows: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(sweep::markdown(&rows_in(rows)?))
}

/// A seed list as ``neurochip sweep --seeds`` takes it (``"1-5"``, ``"1,2,7"``,
/// ``"1-3,10"``), checked as it checks it: no range that runs backwards, no seed
/// twice, at most 10,000 seeds.
#[pyfunction]
pub fn sweep_seeds(spec: &str) -> PyResult<Vec<u64>> {
    sweep::parse_seeds(spec, "seeds").map_err(err)
}

/// The rows as the CSV ``neurochip sweep --csv`` writes.
#[pyfunction]
pub fn sweep_csv(rows: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(sweep::csv(&rows_in(rows)?))
}
