//! numpy's `.npy` and `.npz` files, as far as the host library reads and writes them:
//! numeric arrays (booleans, integers, floats; little-endian; C or Fortran order for
//! two dimensions) in a zip archive, through the `zip` crate.
//!
//! The npy format is small enough to write out here (numpy's `format.py`): the magic
//! `\x93NUMPY`, a version byte pair, a little-endian header length, and a header that
//! is a Python dict literal `{'descr': '<i2', 'fortran_order': False, 'shape': (40,
//! 100), }` padded with spaces to a multiple of 64 bytes, then the data.
//!
//! Reading is bounded: the archive's size is checked by the caller
//! ([`crate::inputs`]), every entry's uncompressed size is checked against
//! [`MAX_ENTRY`] before it is inflated, and [`Npz::header`] gives an array's type and
//! shape before its data is read, so a caller can refuse a wrong shape without
//! reading it. Errors name the array; the caller adds the file.

use std::io::{Cursor, Read, Write};

/// The largest array entry inflated from an archive: 256 MiB (a 4096-neuron
/// recurrent layer in float64 is 128 MiB).
pub const MAX_ENTRY: u64 = 256 << 20;

/// The element type of an array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// `bool` (`|b1`).
    Bool,
    /// Signed integers of this many bytes (1, 2, 4, 8).
    Int(u8),
    /// Unsigned integers of this many bytes (1, 2, 4, 8).
    Uint(u8),
    /// IEEE floats of this many bytes (4, 8).
    Float(u8),
}

impl Dtype {
    /// numpy's name for it: `int16`, `float64`.
    pub fn name(self) -> String {
        match self {
            Dtype::Bool => "bool".into(),
            Dtype::Int(b) => format!("int{}", 8 * b),
            Dtype::Uint(b) => format!("uint{}", 8 * b),
            Dtype::Float(b) => format!("float{}", 8 * b),
        }
    }

    fn bytes(self) -> usize {
        match self {
            Dtype::Bool => 1,
            Dtype::Int(b) | Dtype::Uint(b) | Dtype::Float(b) => usize::from(b),
        }
    }

    fn descr(self) -> String {
        match self {
            Dtype::Bool => "|b1".into(),
            Dtype::Int(1) => "|i1".into(),
            Dtype::Uint(1) => "|u1".into(),
            Dtype::Int(b) => format!("<i{b}"),
            Dtype::Uint(b) => format!("<u{b}"),
            Dtype::Float(b) => format!("<f{b}"),
        }
    }

    /// Whether it holds integers (bool counts as one).
    pub fn is_integer(self) -> bool {
        !matches!(self, Dtype::Float(_))
    }
}

/// An array's data, widened: integers to `i64` (a `uint64` above `i64::MAX` is
/// refused), floats to `f64`, booleans kept.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    /// Booleans.
    Bool(Vec<bool>),
    /// Integers.
    Int(Vec<i64>),
    /// Floats.
    Float(Vec<f64>),
}

impl Data {
    /// Elements.
    pub fn len(&self) -> usize {
        match self {
            Data::Bool(v) => v.len(),
            Data::Int(v) => v.len(),
            Data::Float(v) => v.len(),
        }
    }

    /// Whether it holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// As floats (integers and booleans converted).
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            Data::Bool(v) => v.iter().map(|&b| f64::from(u8::from(b))).collect(),
            Data::Int(v) => v.iter().map(|&x| x as f64).collect(),
            Data::Float(v) => v.clone(),
        }
    }
}

/// An array: its type as stored, its shape, its data in C order (row by row).
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    /// The type in the file.
    pub dtype: Dtype,
    /// The shape.
    pub shape: Vec<usize>,
    /// The data, row by row.
    pub data: Data,
}

impl Array {
    /// `int16` (or wider) integers of `shape`.
    pub fn ints(dtype: Dtype, shape: &[usize], v: Vec<i64>) -> Self {
        Self {
            dtype,
            shape: shape.to_vec(),
            data: Data::Int(v),
        }
    }

    /// `float64` values of `shape`.
    pub fn floats(shape: &[usize], v: Vec<f64>) -> Self {
        Self {
            dtype: Dtype::Float(8),
            shape: shape.to_vec(),
            data: Data::Float(v),
        }
    }

    /// Booleans of `shape`.
    pub fn bools(shape: &[usize], v: Vec<bool>) -> Self {
        Self {
            dtype: Dtype::Bool,
            shape: shape.to_vec(),
            data: Data::Bool(v),
        }
    }
}

/// The type and shape of an array, from its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Element type.
    pub dtype: Dtype,
    /// Shape.
    pub shape: Vec<usize>,
    /// Whether the data is in Fortran (column-major) order.
    pub fortran: bool,
}

impl Header {
    /// Elements (the product of the shape; saturating).
    pub fn len(&self) -> usize {
        self.shape.iter().fold(1usize, |a, &d| a.saturating_mul(d))
    }

    /// Whether it has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape as numpy prints it: `(40, 100)`, `(3,)`.
    pub fn shape_text(&self) -> String {
        shape_text(&self.shape)
    }
}

/// A shape as numpy prints it.
pub fn shape_text(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        s => format!(
            "({})",
            s.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Parse the header of an npy file; returns it and the offset of the data.
pub fn parse_header(b: &[u8]) -> Result<(Header, usize), String> {
    if b.len() < 10 || &b[..6] != MAGIC {
        return Err("not an npy array (no \\x93NUMPY magic)".into());
    }
    let (len, start): (usize, usize) = match b[6] {
        1 => (usize::from(u16::from_le_bytes([b[8], b[9]])), 10),
        2 | 3 if b.len() >= 12 => (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12),
        v => {
            return Err(format!(
                "npy format version {v} is not read; allowed 1, 2, 3"
            ))
        }
    };
    let end = start
        .checked_add(len)
        .filter(|&e| e <= b.len())
        .ok_or("the npy header runs past the end of the array")?;
    let text = std::str::from_utf8(&b[start..end]).map_err(|_| "the npy header is not text")?;
    let field = |key: &str| -> Result<&str, String> {
        let k = format!("'{key}':");
        let at = text
            .find(&k)
            .ok_or_else(|| format!("the npy header has no '{key}'"))?;
        Ok(text[at + k.len()..].trim_start())
    };
    let descr = field("descr")?;
    let descr = descr
        .strip_prefix('\'')
        .and_then(|d| d.split('\'').next())
        .ok_or("the npy header's 'descr' is not a simple type (structured arrays are not read)")?;
    let dtype = dtype_of(descr)?;
    let fortran = field("fortran_order")?.starts_with("True");
    let shape = field("shape")?;
    let inner = shape
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or("the npy header's 'shape' is not a tuple")?;
    let mut dims = Vec::new();
    for d in inner.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let d = d.trim_end_matches('L');
        dims.push(
            d.parse::<usize>()
                .map_err(|_| format!("the npy shape has the dimension `{d}`"))?,
        );
    }
    Ok((
        Header {
            dtype,
            shape: dims,
            fortran,
        },
        end,
    ))
}

fn dtype_of(descr: &str) -> Result<Dtype, String> {
    let (order, rest) = descr.split_at(descr.len().min(1));
    let bad = || {
        format!(
            "dtype `{descr}` is not read; allowed: bool, integers and floats (float32, \
             float64), little-endian"
        )
    };
    if order == ">" && !rest.ends_with('1') {
        return Err(format!(
            "dtype `{descr}` is big-endian; save it little-endian (`a.astype('<{}')`)",
            &rest
        ));
    }
    if !matches!(order, "<" | "|" | "=" | ">") {
        return Err(bad());
    }
    let (kind, size) = rest.split_at(rest.len().min(1));
    let size: u8 = size.parse().map_err(|_| bad())?;
    match (kind, size) {
        ("b", 1) => Ok(Dtype::Bool),
        ("i", 1 | 2 | 4 | 8) => Ok(Dtype::Int(size)),
        ("u", 1 | 2 | 4 | 8) => Ok(Dtype::Uint(size)),
        ("f", 4 | 8) => Ok(Dtype::Float(size)),
        _ => Err(bad()),
    }
}

/// Decode the data of an npy array of `header` from `b` (C order out).
pub fn decode(header: &Header, b: &[u8]) -> Result<Array, String> {
    let n = header.len();
    let w = header.dtype.bytes();
    let need = n.checked_mul(w).ok_or("the array's shape overflows")?;
    if b.len() < need {
        return Err(format!(
            "the array is cut short: shape {} of {} needs {need} bytes of data, the file \
             holds {}",
            header.shape_text(),
            header.dtype.name(),
            b.len()
        ));
    }
    let b = &b[..need];
    let mut data = match header.dtype {
        Dtype::Bool => Data::Bool(b.iter().map(|&x| x != 0).collect()),
        Dtype::Int(_) | Dtype::Uint(_) => {
            let mut v = Vec::with_capacity(n);
            for c in b.chunks_exact(w) {
                let mut x = [0u8; 8];
                x[..w].copy_from_slice(c);
                let u = u64::from_le_bytes(x);
                let val = match header.dtype {
                    Dtype::Int(_) => {
                        let shift = 64 - 8 * w as u32;
                        ((u << shift) as i64) >> shift
                    }
                    _ => i64::try_from(u)
                        .map_err(|_| format!("the value {u} is larger than any chip value"))?,
                };
                v.push(val);
            }
            Data::Int(v)
        }
        Dtype::Float(4) => Data::Float(
            b.chunks_exact(4)
                .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
        ),
        Dtype::Float(_) => Data::Float(
            b.chunks_exact(8)
                .map(|c| {
                    let mut x = [0u8; 8];
                    x.copy_from_slice(c);
                    f64::from_le_bytes(x)
                })
                .collect(),
        ),
    };
    if header.fortran && header.shape.len() > 1 {
        if header.shape.len() != 2 {
            return Err(format!(
                "Fortran-ordered arrays of {} dimensions are not read; save it C-ordered \
                 (np.ascontiguousarray)",
                header.shape.len()
            ));
        }
        let (r, c) = (header.shape[0], header.shape[1]);
        // Element (i, j) is at j * r + i in the file.
        let perm = |k: usize| (k % c) * r + k / c;
        data = match data {
            Data::Bool(v) => Data::Bool((0..n).map(|k| v[perm(k)]).collect()),
            Data::Int(v) => Data::Int((0..n).map(|k| v[perm(k)]).collect()),
            Data::Float(v) => Data::Float((0..n).map(|k| v[perm(k)]).collect()),
        };
    }
    Ok(Array {
        dtype: header.dtype,
        shape: header.shape.clone(),
        data,
    })
}

/// The bytes of an npy file holding `a` (version 1, C order).
pub fn encode(a: &Array) -> Vec<u8> {
    let dims = match a.shape.as_slice() {
        [one] => format!("{one},"),
        s => s
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': ({dims}), }}",
        a.dtype.descr()
    );
    // Magic (6) + version (2) + length (2) + header + newline: a multiple of 64.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + a.data.len() * 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    let w = a.dtype.bytes();
    match &a.data {
        Data::Bool(v) => out.extend(v.iter().map(|&b| u8::from(b))),
        Data::Int(v) => {
            for &x in v {
                out.extend_from_slice(&x.to_le_bytes()[..w]);
            }
        }
        Data::Float(v) => {
            for &x in v {
                if w == 4 {
                    out.extend_from_slice(&(x as f32).to_le_bytes());
                } else {
                    out.extend_from_slice(&x.to_le_bytes());
                }
            }
        }
    }
    out
}

/// The bytes of an npz archive of `arrays` (name, array), deflated, in the order
/// given (`np.savez_compressed` writes the same layout).
pub fn write(arrays: &[(&str, Array)]) -> Result<Vec<u8>, String> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, a) in arrays {
        z.start_file(format!("{name}.npy"), opts)
            .map_err(|e| format!("{name}: {e}"))?;
        z.write_all(&encode(a))
            .map_err(|e| format!("{name}: {e}"))?;
    }
    let c = z.finish().map_err(|e| e.to_string())?;
    Ok(c.into_inner())
}

/// An npz archive in memory, read array by array.
pub struct Npz {
    zip: zip::ZipArchive<Cursor<Vec<u8>>>,
}

impl Npz {
    /// Open the archive `bytes` (already bounded by the caller).
    pub fn open(bytes: Vec<u8>) -> Result<Self, String> {
        let zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| format!("not an npz archive (a zip of .npy arrays): {e}"))?;
        Ok(Self { zip })
    }

    /// The names of its arrays.
    pub fn names(&self) -> Vec<String> {
        self.zip
            .file_names()
            .filter_map(|f| f.strip_suffix(".npy"))
            .map(str::to_string)
            .collect()
    }

    /// Whether it holds the array `name`.
    pub fn has(&self, name: &str) -> bool {
        self.zip.index_for_name(&format!("{name}.npy")).is_some()
    }

    /// The bytes of entry `name`, at most [`MAX_ENTRY`] of them, or the first
    /// `limit` when given (enough for the header).
    fn entry(&mut self, name: &str, limit: Option<u64>) -> Result<Vec<u8>, String> {
        let mut f = self
            .zip
            .by_name(&format!("{name}.npy"))
            .map_err(|_| format!("{name}: missing"))?;
        if f.size() > MAX_ENTRY {
            return Err(format!(
                "{name}: {} bytes uncompressed; the limit for an array is {MAX_ENTRY} bytes",
                f.size()
            ));
        }
        let take = limit.unwrap_or(MAX_ENTRY).min(MAX_ENTRY);
        let mut out = Vec::new();
        (&mut f)
            .take(take)
            .read_to_end(&mut out)
            .map_err(|e| format!("{name}: cannot inflate: {e}"))?;
        Ok(out)
    }

    /// The header of array `name`: its type and shape, without its data.
    pub fn header(&mut self, name: &str) -> Result<Header, String> {
        let b = self.entry(name, Some(65_536 + 12))?;
        parse_header(&b)
            .map(|(h, _)| h)
            .map_err(|e| format!("{name}: {e}"))
    }

    /// Array `name`, whole.
    pub fn array(&mut self, name: &str) -> Result<Array, String> {
        let b = self.entry(name, None)?;
        let (h, at) = parse_header(&b).map_err(|e| format!("{name}: {e}"))?;
        decode(&h, &b[at..]).map_err(|e| format!("{name}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_round_trip_through_an_archive() {
        let a = Array::ints(Dtype::Int(2), &[2, 3], vec![-1, 2, -300, 4, 5, 32767]);
        let b = Array::floats(&[3], vec![0.5, -1.25, 3.0]);
        let c = Array::bools(&[2, 2], vec![true, false, false, true]);
        let d = Array::ints(Dtype::Int(1), &[2], vec![-128, 127]);
        let bytes = write(&[
            ("a", a.clone()),
            ("b/c", b.clone()),
            ("c", c.clone()),
            ("d", d.clone()),
        ])
        .unwrap();
        let mut z = Npz::open(bytes).unwrap();
        assert_eq!(z.names(), ["a", "b/c", "c", "d"]);
        assert_eq!(z.header("a").unwrap().shape, [2, 3]);
        assert_eq!(z.array("a").unwrap(), a);
        assert_eq!(z.array("b/c").unwrap(), b);
        assert_eq!(z.array("c").unwrap(), c);
        assert_eq!(z.array("d").unwrap(), d);
        assert_eq!(z.array("e").unwrap_err(), "e: missing");
    }

    #[test]
    fn fortran_order_is_read_row_by_row() {
        // The file holds the columns one after the other.
        let a = Array::floats(&[2, 3], vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        let mut good = encode(&a);
        let at = good.windows(5).position(|w| w == b"False").unwrap();
        good[at..at + 5].copy_from_slice(b"True ");
        let (h, off) = parse_header(&good).unwrap();
        assert!(h.fortran);
        let got = decode(&h, &good[off..]).unwrap();
        assert_eq!(got.data, Data::Float(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    }

    #[test]
    fn bad_headers_are_named() {
        assert!(parse_header(b"hello world").unwrap_err().contains("magic"));
        let a = Array::ints(Dtype::Int(2), &[2], vec![1, 2]);
        let mut b = encode(&a);
        let at = b.windows(3).position(|w| w == b"<i2").unwrap();
        b[at..at + 3].copy_from_slice(b"<c8");
        assert!(parse_header(&b).unwrap_err().contains("is not read"));
        let (h, off) = parse_header(&encode(&a)).unwrap();
        assert!(decode(&h, &encode(&a)[off..off + 3])
            .unwrap_err()
            .contains("cut short"));
    }
}
