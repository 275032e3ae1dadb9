//! `neurochip sweep`: the design-space grid (engine x weight bits, per configuration),
//! trained and tested on all cores, reported as a table and CSV.

use rayon::prelude::*;
use serde::Serialize;

use crate::build::BuildError;
use crate::config::{Config, EngineKind};
use crate::learn;

/// One grid point's result.
#[derive(Clone, Debug, Serialize)]
pub struct SweepRow {
    /// Configuration (task) name.
    pub config: String,
    /// Engine.
    pub engine: String,
    /// Weight bits.
    pub weight_bits: u32,
    /// Test accuracy (classification) or `1 - nmse` (regression).
    pub test_accuracy: f64,
    /// NMSE for regression tasks.
    pub nmse: Option<f64>,
    /// Weight memory, bytes.
    pub weight_bytes: usize,
    /// Learning-state memory, bytes.
    pub learning_bytes: usize,
    /// Learning state that scales with synapses, bytes.
    pub learning_per_synapse_bytes: usize,
    /// Training time, s.
    pub train_seconds: f64,
}

/// Run the grid `configs x engines x weight_bits`; an empty `engines` keeps each
/// configuration's own engine.
pub fn sweep(
    configs: &[Config],
    engines: &[EngineKind],
    weight_bits: &[u32],
) -> Result<Vec<SweepRow>, BuildError> {
    let mut points = Vec::new();
    for c in configs {
        let own = [c.learning.engine];
        let engines = if engines.is_empty() {
            &own[..]
        } else {
            engines
        };
        for &e in engines {
            for &wb in weight_bits {
                let mut c = c.clone();
                c.learning.engine = e;
                c.formats.weight_bits = wb;
                points.push(c);
            }
        }
    }
    points
        .par_iter()
        .map(|c| {
            let (rep, _) = learn::train_chip(c, true, |_| {})?;
            Ok(SweepRow {
                config: c.name.clone(),
                engine: rep.engine.clone(),
                weight_bits: c.formats.weight_bits,
                test_accuracy: rep.test_accuracy,
                nmse: rep.nmse,
                weight_bytes: rep.footprint.weights,
                learning_bytes: rep.footprint.learning,
                learning_per_synapse_bytes: rep.footprint.learning_per_synapse,
                train_seconds: rep.train_seconds,
            })
        })
        .collect()
}

/// The rows as CSV.
pub fn csv(rows: &[SweepRow]) -> String {
    let mut s = String::from(
        "config,engine,weight_bits,test_accuracy,nmse,weight_bytes,learning_bytes,learning_per_synapse_bytes,train_seconds\n",
    );
    for r in rows {
        s.push_str(&format!(
            "{},{},{},{:.4},{},{},{},{},{:.1}\n",
            r.config,
            r.engine,
            r.weight_bits,
            r.test_accuracy,
            r.nmse.map_or(String::new(), |n| format!("{n:.4}")),
            r.weight_bytes,
            r.learning_bytes,
            r.learning_per_synapse_bytes,
            r.train_seconds
        ));
    }
    s
}

/// The rows as a Markdown table.
pub fn markdown(rows: &[SweepRow]) -> String {
    let mut s = String::from(
        "| task | engine | weight bits | test accuracy | NMSE | weights (B) | learning state (B) | of which per synapse (B) |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {} | {:.1}% | {} | {} | {} | {} |\n",
            r.config,
            r.engine,
            r.weight_bits,
            100.0 * r.test_accuracy,
            r.nmse.map_or("–".into(), |n| format!("{n:.4}")),
            r.weight_bytes,
            r.learning_bytes,
            r.learning_per_synapse_bytes
        ));
    }
    s
}
