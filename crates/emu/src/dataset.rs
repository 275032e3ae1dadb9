//! A user's data sets (`[task] kind = "events"` and `"features"`): read, checked and
//! split on the host; the samples themselves are `neurochip_tasks::user`'s.
//!
//! **Events** (`.npz`, the layout of the Spiking Heidelberg Digits with its ragged
//! arrays flattened, as [`EVENT_ARRAYS`] says): `spikes/times` (float, seconds from
//! the sample's start), `spikes/units` (integer input channel), `spikes/index`
//! (integer, samples + 1 offsets: sample `i`'s events are `index[i]..index[i + 1]`),
//! `labels` (integer class per sample), and optionally `train` (bool per sample: the
//! file's own split). An event at time `t` falls in step `floor(t * 1000 / dt_ms)`;
//! events at or after `task.steps` are dropped. An HDF5 file of the Spiking
//! Heidelberg Digits (`spikes/times` and `spikes/units` ragged) becomes this layout
//! with the Python package (`neurochip.convert_events`, `neurochip convert-events`).
//!
//! **Features**: a CSV file (one sample per line, numbers separated by commas; the
//! class in the last column, or in the column named `label` when the first line is
//! a header; a header column `split` holding `train` or `test` is the file's split),
//! a `.npy` array (samples × (features + 1), the class in the last column), or a
//! `.npz` archive with `features` (samples × features), `labels` and optionally
//! `train` (bool). Each feature is scaled to `0..=65535` by its minimum and maximum
//! over the training samples (test values outside are clamped), then rate or latency
//! coded ([`neurochip_tasks::user`]).
//!
//! **Split**: `task.test_fraction` holds out that fraction of the samples (at least
//! one, and one left to train on), drawn by a hash of `task.split_seed` and the
//! sample index; without it the file's own split is used, else a fraction of 0.2
//! with seed 0. Every refusal is one line naming the file and the field (array or
//! column), checked before the data is read where a size says it (headers, lengths).

use std::path::Path;

use neurochip_tasks::rng::hash;
use neurochip_tasks::user::LEVELS;

use crate::npz::{Data, Npz};

/// The largest event file read: 1 GiB (the Spiking Heidelberg Digits' training set,
/// 8,156 samples, is about 100 MB of events as npz).
pub const MAX_EVENT_BYTES: u64 = 1 << 30;
/// The largest feature file read: 256 MiB.
pub const MAX_FEATURE_BYTES: u64 = 256 << 20;
/// The most samples a data set may hold.
pub const MAX_SAMPLES: usize = 10_000_000;
/// The most features (input channels) a sample may have: the chip's largest input
/// count.
pub const MAX_FEATURES: usize = 4096;
/// The arrays of an event file.
pub const EVENT_ARRAYS: [&str; 5] = [
    "spikes/times",
    "spikes/units",
    "spikes/index",
    "labels",
    "train",
];

/// Which samples train and which test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// Training samples (indices into the data set).
    pub train: Vec<usize>,
    /// Test samples.
    pub test: Vec<usize>,
}

/// A user's event data set, binned to steps.
#[derive(Clone, Debug, PartialEq)]
pub struct EventData {
    /// Step of each event, sorted within each sample.
    pub steps_of: Vec<u32>,
    /// Unit of each event.
    pub units: Vec<u16>,
    /// Sample `i`'s events are `offsets[i]..offsets[i + 1]`.
    pub offsets: Vec<usize>,
    /// Class of each sample.
    pub labels: Vec<u16>,
    /// Classes (largest label + 1).
    pub classes: usize,
    /// The split.
    pub split: Split,
}

/// A user's feature data set, scaled.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureData {
    /// Features per sample.
    pub n: usize,
    /// Scaled values, sample by sample (`n` each).
    pub values: Vec<u16>,
    /// Class of each sample.
    pub labels: Vec<u16>,
    /// Classes (largest label + 1).
    pub classes: usize,
    /// The split.
    pub split: Split,
}

impl EventData {
    /// Samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether it holds no sample.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The events of sample `k`: steps and units.
    pub fn events(&self, k: usize) -> (&[u32], &[u16]) {
        let (a, b) = (self.offsets[k], self.offsets[k + 1]);
        (&self.steps_of[a..b], &self.units[a..b])
    }
}

impl FeatureData {
    /// Samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether it holds no sample.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The scaled values of sample `k`.
    pub fn values(&self, k: usize) -> &[u16] {
        &self.values[k * self.n..(k + 1) * self.n]
    }
}

/// How to split: `test_fraction` and its seed (`None`: the file's own split, else
/// 0.2 with seed 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SplitBy {
    /// The held-out fraction, if given.
    pub test_fraction: Option<f64>,
    /// Its seed.
    pub seed: u64,
}

/// The split of `n` samples: the file's (`train` flags) unless a fraction is given.
fn split(n: usize, file: Option<Vec<bool>>, by: SplitBy) -> Result<Split, String> {
    let flags = match (by.test_fraction, file) {
        (None, Some(f)) => f,
        (frac, _) => {
            let frac = frac.unwrap_or(0.2);
            let n_test = ((n as f64) * frac).round().clamp(1.0, n as f64 - 1.0) as usize;
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&i| (hash(by.seed, 0x5EED, i as u64, 0), i));
            let mut f = vec![true; n];
            for &i in order.iter().take(n_test) {
                f[i] = false;
            }
            f
        }
    };
    let train: Vec<usize> = (0..n).filter(|&i| flags[i]).collect();
    let test: Vec<usize> = (0..n).filter(|&i| !flags[i]).collect();
    if train.is_empty() {
        return Err("train: no training sample in the split; allowed: at least one".into());
    }
    Ok(Split { train, test })
}

fn labels_of(name: &str, d: Data) -> Result<(Vec<u16>, usize), String> {
    let v = match d {
        Data::Int(v) => v,
        Data::Bool(v) => v.into_iter().map(i64::from).collect(),
        Data::Float(v) => {
            let mut out = Vec::with_capacity(v.len());
            for (k, x) in v.into_iter().enumerate() {
                if x.fract() != 0.0 || !x.is_finite() {
                    return Err(format!(
                        "{name}: element {k} is {x}; allowed: whole class numbers 0..=65535"
                    ));
                }
                out.push(x as i64);
            }
            out
        }
    };
    let mut labels = Vec::with_capacity(v.len());
    for (k, &x) in v.iter().enumerate() {
        labels.push(u16::try_from(x).map_err(|_| {
            format!("{name}: element {k} is {x}; allowed: class numbers 0..=65535")
        })?);
    }
    let classes = labels
        .iter()
        .map(|&l| usize::from(l) + 1)
        .max()
        .unwrap_or(0);
    Ok((labels, classes))
}

fn bools_of(name: &str, d: Data) -> Result<Vec<bool>, String> {
    match d {
        Data::Bool(v) => Ok(v),
        Data::Int(v) if v.iter().all(|&x| x == 0 || x == 1) => {
            Ok(v.into_iter().map(|x| x == 1).collect())
        }
        _ => Err(format!("{name}: allowed: bool (true = a training sample)")),
    }
}

/// Read and check the event file at `path` for a chip of `inputs` input channels,
/// `steps` steps per sample at `dt_ms`. Errors: `FILE: FIELD: ...`.
pub fn read_events(
    path: &Path,
    inputs: usize,
    steps: u32,
    dt_ms: f64,
    by: SplitBy,
) -> Result<EventData, String> {
    let file = path.display();
    let bytes =
        crate::inputs::read(path, "event data file", MAX_EVENT_BYTES).map_err(|e| e.to_string())?;
    parse_events(bytes, inputs, steps, dt_ms, by).map_err(|e| format!("{file}: {e}"))
}

/// [`read_events`] of the bytes of a file.
pub fn parse_events(
    bytes: Vec<u8>,
    inputs: usize,
    steps: u32,
    dt_ms: f64,
    by: SplitBy,
) -> Result<EventData, String> {
    if bytes.starts_with(b"\x89HDF") {
        return Err(
            "an HDF5 file; the chip reads events as .npz (spikes/times, \
                    spikes/units, spikes/index, labels): convert it with `neurochip \
                    convert-events FILE.h5 -o FILE.npz` (the Python package, h5py)"
                .into(),
        );
    }
    let mut z = Npz::open(bytes)?;
    for name in &EVENT_ARRAYS[..4] {
        if !z.has(name) {
            return Err(format!(
                "{name}: missing; an event file holds {} (and optionally train)",
                EVENT_ARRAYS[..4].join(", ")
            ));
        }
    }
    // Sizes first, from the headers.
    let ht = z.header("spikes/times")?;
    let hu = z.header("spikes/units")?;
    let hi = z.header("spikes/index")?;
    let hl = z.header("labels")?;
    for (name, h) in [
        ("spikes/times", &ht),
        ("spikes/units", &hu),
        ("spikes/index", &hi),
        ("labels", &hl),
    ] {
        if h.shape.len() != 1 {
            return Err(format!(
                "{name}: shape {}; allowed: one dimension (events or samples)",
                h.shape_text()
            ));
        }
    }
    if ht.len() != hu.len() {
        return Err(format!(
            "spikes/units: {} events, spikes/times has {}; allowed: one unit per time",
            hu.len(),
            ht.len()
        ));
    }
    let n = hl.len();
    if n == 0 || n > MAX_SAMPLES {
        return Err(format!("labels: {n} samples; allowed 1..={MAX_SAMPLES}"));
    }
    if hi.len() != n + 1 {
        return Err(format!(
            "spikes/index: {} offsets for {n} samples; allowed: samples + 1 offsets \
             (sample i's events are index[i]..index[i + 1])",
            hi.len()
        ));
    }
    let times = z.array("spikes/times")?.data.to_f64();
    let units = match z.array("spikes/units")?.data {
        Data::Int(v) => v,
        _ => return Err("spikes/units: allowed: integers (input channels)".into()),
    };
    let index = match z.array("spikes/index")?.data {
        Data::Int(v) => v,
        _ => return Err("spikes/index: allowed: integers (offsets)".into()),
    };
    let (labels, classes) = labels_of("labels", z.array("labels")?.data)?;
    let train = if z.has("train") {
        let h = z.header("train")?;
        if h.shape != [n] {
            return Err(format!(
                "train: shape {}; allowed ({n},), one flag per sample",
                h.shape_text()
            ));
        }
        Some(bools_of("train", z.array("train")?.data)?)
    } else {
        None
    };
    let m = times.len() as i64;
    if index.first() != Some(&0) || index.last() != Some(&m) {
        return Err(format!(
            "spikes/index: runs {}..{}; allowed: from 0 to the number of events ({m})",
            index.first().copied().unwrap_or(0),
            index.last().copied().unwrap_or(0)
        ));
    }
    if let Some(k) = index.windows(2).position(|w| w[1] < w[0]) {
        return Err(format!(
            "spikes/index: element {} is less than element {k}; allowed: non-decreasing",
            k + 1
        ));
    }
    let mut steps_of = Vec::with_capacity(times.len());
    let mut kept_units = Vec::with_capacity(times.len());
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0);
    for w in index.windows(2) {
        let (a, b) = (w[0] as usize, w[1] as usize);
        let mut ev: Vec<(u32, u16)> = Vec::with_capacity(b - a);
        for k in a..b {
            let t = times[k];
            if !(t.is_finite() && t >= 0.0) {
                return Err(format!(
                    "spikes/times: element {k} is {t}; allowed: finite times >= 0 (seconds)"
                ));
            }
            let u = units[k];
            if u < 0 || u as usize >= inputs {
                return Err(format!(
                    "spikes/units: element {k} is {u}; the chip has {inputs} inputs, allowed \
                     0..={} (or raise network.inputs)",
                    inputs.saturating_sub(1)
                ));
            }
            let s = (t * 1000.0 / dt_ms).floor();
            if s < f64::from(steps) {
                ev.push((s as u32, u as u16));
            }
        }
        ev.sort_unstable();
        for (s, u) in ev {
            steps_of.push(s);
            kept_units.push(u);
        }
        offsets.push(steps_of.len());
    }
    Ok(EventData {
        steps_of,
        units: kept_units,
        offsets,
        labels,
        classes,
        split: split(n, train, by)?,
    })
}

/// Read and check the feature file at `path` (CSV, `.npy` or `.npz`, by its
/// extension). Errors: `FILE: FIELD: ...`.
pub fn read_features(path: &Path, by: SplitBy) -> Result<FeatureData, String> {
    let file = path.display();
    let bytes = crate::inputs::read(path, "feature data file", MAX_FEATURE_BYTES)
        .map_err(|e| e.to_string())?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let raw = match ext.as_str() {
        "npy" => features_npy(&bytes),
        "npz" => features_npz(bytes),
        "csv" | "txt" => features_csv(&bytes),
        other => Err(format!(
            "the extension `.{other}` is not a feature file; allowed: .csv, .npy, .npz"
        )),
    }
    .map_err(|e| format!("{file}: {e}"))?;
    scale(raw, by).map_err(|e| format!("{file}: {e}"))
}

/// Features before scaling: values sample by sample, labels, the file's split.
struct Raw {
    n: usize,
    values: Vec<f64>,
    labels: Vec<u16>,
    classes: usize,
    train: Option<Vec<bool>>,
}

fn check_size(rows: usize, n: usize, what: &str) -> Result<(), String> {
    if rows == 0 || rows > MAX_SAMPLES {
        return Err(format!("{what}: {rows} samples; allowed 1..={MAX_SAMPLES}"));
    }
    if n == 0 || n > MAX_FEATURES {
        return Err(format!("{what}: {n} features; allowed 1..={MAX_FEATURES}"));
    }
    Ok(())
}

fn finite(name: &str, v: &[f64]) -> Result<(), String> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(k) => Err(format!(
            "{name}: element {k} is {}; allowed: finite numbers",
            v[k]
        )),
        None => Ok(()),
    }
}

fn features_npy(bytes: &[u8]) -> Result<Raw, String> {
    let (h, at) = crate::npz::parse_header(bytes)?;
    if h.shape.len() != 2 || h.shape[1] < 2 {
        return Err(format!(
            "array: shape {}; allowed: samples x (features + 1), the class in the last column",
            h.shape_text()
        ));
    }
    let (rows, cols) = (h.shape[0], h.shape[1]);
    check_size(rows, cols - 1, "array")?;
    let all = crate::npz::decode(&h, &bytes[at..])
        .map_err(|e| format!("array: {e}"))?
        .data
        .to_f64();
    finite("array", &all)?;
    let n = cols - 1;
    let mut values = Vec::with_capacity(rows * n);
    let mut last = Vec::with_capacity(rows);
    for r in all.chunks_exact(cols) {
        values.extend_from_slice(&r[..n]);
        last.push(r[n]);
    }
    let (labels, classes) = labels_of("array (last column)", Data::Float(last))?;
    Ok(Raw {
        n,
        values,
        labels,
        classes,
        train: None,
    })
}

fn features_npz(bytes: Vec<u8>) -> Result<Raw, String> {
    let mut z = Npz::open(bytes)?;
    for name in ["features", "labels"] {
        if !z.has(name) {
            return Err(format!(
                "{name}: missing; a feature archive holds features (samples x features), \
                 labels and optionally train"
            ));
        }
    }
    let hf = z.header("features")?;
    let hl = z.header("labels")?;
    if hf.shape.len() != 2 {
        return Err(format!(
            "features: shape {}; allowed: samples x features",
            hf.shape_text()
        ));
    }
    let (rows, n) = (hf.shape[0], hf.shape[1]);
    check_size(rows, n, "features")?;
    if hl.shape != [rows] {
        return Err(format!(
            "labels: shape {}; allowed ({rows},), one class per sample",
            hl.shape_text()
        ));
    }
    let values = z.array("features")?.data.to_f64();
    finite("features", &values)?;
    let (labels, classes) = labels_of("labels", z.array("labels")?.data)?;
    let train = if z.has("train") {
        if z.header("train")?.shape != [rows] {
            return Err(format!(
                "train: allowed shape ({rows},), one flag per sample"
            ));
        }
        Some(bools_of("train", z.array("train")?.data)?)
    } else {
        None
    };
    Ok(Raw {
        n,
        values,
        labels,
        classes,
        train,
    })
}

fn features_csv(bytes: &[u8]) -> Result<Raw, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        )
    })?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((first_no, first)) = lines.next() else {
        return Err("no sample (the file is empty)".into());
    };
    let cells = |l: &str| -> Vec<String> { l.split(',').map(|c| c.trim().to_string()).collect() };
    let head = cells(first);
    let is_header = head.iter().any(|c| c.parse::<f64>().is_err());
    let (label_col, split_col, cols) = if is_header {
        let find = |name: &str| head.iter().position(|c| c.eq_ignore_ascii_case(name));
        (
            find("label").unwrap_or(head.len() - 1),
            find("split"),
            head.len(),
        )
    } else {
        (head.len() - 1, None, head.len())
    };
    let n = cols - 1 - usize::from(split_col.is_some());
    if n == 0 {
        return Err(format!(
            "line {}: {cols} columns; allowed: features then the class",
            first_no + 1
        ));
    }
    let body: Box<dyn Iterator<Item = (usize, &str)>> = if is_header {
        Box::new(lines)
    } else {
        Box::new(std::iter::once((first_no, first)).chain(lines))
    };
    let mut values = Vec::new();
    let mut last = Vec::new();
    let mut train = Vec::new();
    for (no, l) in body {
        let c = cells(l);
        if c.len() != cols {
            return Err(format!(
                "line {}: {} columns; allowed: {cols}, as the first line",
                no + 1,
                c.len()
            ));
        }
        for (k, cell) in c.iter().enumerate() {
            if Some(k) == split_col {
                train.push(match cell.to_ascii_lowercase().as_str() {
                    "train" => true,
                    "test" => false,
                    other => {
                        return Err(format!(
                            "line {}: split: `{other}`; allowed: train, test",
                            no + 1
                        ))
                    }
                });
                continue;
            }
            let x: f64 = cell.parse().map_err(|_| {
                let col = if is_header {
                    head[k].clone()
                } else {
                    format!("column {}", k + 1)
                };
                format!("line {}: {col}: `{cell}` is not a number", no + 1)
            })?;
            if !x.is_finite() {
                return Err(format!(
                    "line {}: column {}: {x}; allowed: finite numbers",
                    no + 1,
                    k + 1
                ));
            }
            if k == label_col {
                last.push(x);
            } else {
                values.push(x);
            }
        }
        if last.len() > MAX_SAMPLES {
            return Err(format!("more than {MAX_SAMPLES} samples"));
        }
    }
    check_size(last.len(), n, "rows")?;
    let (labels, classes) = labels_of("label", Data::Float(last))?;
    Ok(Raw {
        n,
        values,
        labels,
        classes,
        train: split_col.map(|_| train),
    })
}

/// Split, then scale each feature by its range over the training samples.
fn scale(raw: Raw, by: SplitBy) -> Result<FeatureData, String> {
    let n = raw.n;
    let split = split(raw.labels.len(), raw.train, by)?;
    let mut lo = vec![f64::INFINITY; n];
    let mut hi = vec![f64::NEG_INFINITY; n];
    for &i in &split.train {
        for (c, &x) in raw.values[i * n..(i + 1) * n].iter().enumerate() {
            lo[c] = lo[c].min(x);
            hi[c] = hi[c].max(x);
        }
    }
    let values = raw
        .values
        .iter()
        .enumerate()
        .map(|(k, &x)| {
            let c = k % n;
            let span = hi[c] - lo[c];
            if span <= 0.0 {
                return 0;
            }
            (((x - lo[c]) / span).clamp(0.0, 1.0) * f64::from(LEVELS)).round() as u16
        })
        .collect();
    Ok(FeatureData {
        n,
        values,
        labels: raw.labels,
        classes: raw.classes,
        split,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npz::{self, Array, Dtype};

    fn by() -> SplitBy {
        SplitBy {
            test_fraction: None,
            seed: 0,
        }
    }

    fn events(index: Vec<i64>, units: Vec<i64>) -> Vec<u8> {
        let m = units.len();
        npz::write(&[
            (
                "spikes/times",
                Array::floats(&[m], (0..m).map(|k| 0.001 * (m - k) as f64).collect()),
            ),
            ("spikes/units", Array::ints(Dtype::Int(4), &[m], units)),
            ("spikes/index", Array::ints(Dtype::Int(8), &[3], index)),
            ("labels", Array::ints(Dtype::Int(8), &[2], vec![0, 3])),
        ])
        .unwrap()
    }

    #[test]
    fn events_are_binned_sorted_and_split() {
        let d = parse_events(events(vec![0, 2, 4], vec![1, 2, 3, 0]), 4, 100, 1.0, by()).unwrap();
        assert_eq!(d.classes, 4);
        // Sample 0: times 4 ms (unit 1) and 3 ms (unit 2), sorted by step.
        assert_eq!(d.events(0), (&[3u32, 4][..], &[2u16, 1][..]));
        assert_eq!(d.split.train.len() + d.split.test.len(), 2);
        assert_eq!(d.split.test.len(), 1);
    }

    #[test]
    fn bad_event_files_name_the_field() {
        let e =
            parse_events(events(vec![0, 2, 4], vec![1, 2, 9, 0]), 4, 100, 1.0, by()).unwrap_err();
        assert!(
            e.starts_with("spikes/units: element 2 is 9; the chip has 4 inputs"),
            "{e}"
        );
        let e =
            parse_events(events(vec![0, 3, 2], vec![1, 2, 3, 0]), 4, 100, 1.0, by()).unwrap_err();
        assert!(e.starts_with("spikes/index: runs 0..2"), "{e}");
        let e = parse_events(b"\x89HDF\r\n".to_vec(), 4, 100, 1.0, by()).unwrap_err();
        assert!(e.contains("convert-events"), "{e}");
    }

    #[test]
    fn csv_features_with_a_header_and_a_split() {
        let csv = "a,b,label,split\n0,1,0,train\n2,3,1,train\n4,5,1,test\n";
        let raw = features_csv(csv.as_bytes()).unwrap();
        assert_eq!(raw.n, 2);
        let d = scale(raw, by()).unwrap();
        assert_eq!(
            d.split,
            Split {
                train: vec![0, 1],
                test: vec![2]
            }
        );
        assert_eq!(d.values(1), &[LEVELS, LEVELS]);
        // The test sample is past the training range: clamped.
        assert_eq!(d.values(2), &[LEVELS, LEVELS]);
        let e = features_csv(b"1,2,0\n1,x,1\n").err().unwrap();
        assert_eq!(e, "line 2: column 2: `x` is not a number");
    }
}
