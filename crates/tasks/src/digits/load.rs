//! Loader of the gzipped digits CSV (feature `std`).
//!
//! Format: one sample per line, 65 comma-separated integers: 64 pixel counts
//! `0..=16` (row-major 8x8), then the label `0..=9`. No header. Blank lines
//! are skipped. Fields may carry surrounding spaces (and a trailing `\r`).
//! Errors name the file, the 1-based line and column, and what is allowed.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::{Image, MAX_PIXEL, N_CLASSES, N_PIXELS, N_SAMPLES};

/// The digits data set: `images[i]` has label `labels[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Digits {
    /// Images, 64 pixel counts `0..=16` each.
    pub images: Vec<Image>,
    /// Labels `0..=9`, one per image.
    pub labels: Vec<u8>,
}

impl Digits {
    /// Number of samples (the shorter of `images` and `labels`).
    pub fn len(&self) -> usize {
        self.images.len().min(self.labels.len())
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `i`: image and label.
    pub fn get(&self, i: usize) -> Option<(&Image, u8)> {
        Some((self.images.get(i)?, *self.labels.get(i)?))
    }
}

/// What went wrong loading the digits file, and where.
#[derive(Debug, thiserror::Error)]
pub enum DigitsError {
    /// The file could not be opened or read (or is not valid gzip / UTF-8).
    // A field named `source` is what thiserror's `Error::source` returns.
    #[error(fmt = io_message)]
    Io {
        /// The file.
        path: PathBuf,
        /// The 1-based line being read, if reading had started.
        line: Option<usize>,
        /// The underlying error.
        source: io::Error,
    },
    /// A line does not have 65 fields.
    #[error(
        "{}:{line}: found {found} comma-separated fields; expected {} \
         (64 pixel counts then the label)",
        .path.display(),
        N_PIXELS + 1
    )]
    Fields {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Number of comma-separated fields found.
        found: usize,
    },
    /// A field is not an integer.
    #[error("{}:{line}: field {column} is {text:?}, not an integer", .path.display())]
    Number {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based field.
        column: usize,
        /// The field's text.
        text: String,
    },
    /// A pixel count is outside `0..=16`.
    #[error("{}:{line}: pixel {column} is {value}; allowed 0..={MAX_PIXEL}", .path.display())]
    Pixel {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based field (1..=64).
        column: usize,
        /// The value found.
        value: i64,
    },
    /// A label is outside `0..=9`.
    #[error(
        "{}:{line}: label (field 65) is {value}; allowed 0..={}",
        .path.display(),
        N_CLASSES - 1
    )]
    Label {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The value found.
        value: i64,
    },
    /// The file decompresses to more than [`MAX_CSV_BYTES`] (a gzip bomb, or not
    /// the digits set).
    #[error(
        "{}: decompresses to more than {MAX_CSV_BYTES} bytes; a digits data file \
         holds at most {MAX_CSV_BYTES} bytes of CSV (the shipped set holds 265 KB)",
        .path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file has the wrong number of samples.
    #[error(
        "{}: found {found} samples; expected {N_SAMPLES} (the UCI digits set \
         as shipped with scikit-learn)",
        .path.display()
    )]
    Count {
        /// The file.
        path: PathBuf,
        /// Samples found.
        found: usize,
    },
}

/// The message of [`DigitsError::Io`]: with the line once reading has started.
fn io_message(
    path: &Path,
    line: &Option<usize>,
    source: &io::Error,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    match line {
        None => write!(f, "{}: cannot open or read: {source}", path.display()),
        Some(line) => write!(f, "{}:{line}: cannot read: {source}", path.display()),
    }
}

/// The most CSV text a digits data file may decompress to: 64 MiB (the shipped set
/// is 265 KB). Decompression stops one byte past it.
pub const MAX_CSV_BYTES: u64 = 64 << 20;

/// Loads the gzipped digits CSV at `path` and checks it has exactly 1797
/// samples (the shipped data set, `data/uci-digits/digits.csv.gz`). The file is read
/// and decompressed through [`MAX_CSV_BYTES`] bounds, so a device or a gzip bomb
/// is refused rather than read into memory.
pub fn load_digits(path: &Path) -> Result<Digits, DigitsError> {
    let file = File::open(path).map_err(|source| io_error(path, source))?;
    let gz = read_capped(BufReader::new(file), path)?;
    decode_digits_gz(&gz, path)
}

/// The digits set from the gzip bytes `gz` of the file `path` (named in errors):
/// decompressed to at most [`MAX_CSV_BYTES`], parsed, and checked to hold exactly
/// 1797 samples.
pub fn decode_digits_gz(gz: &[u8], path: &Path) -> Result<Digits, DigitsError> {
    let csv = read_capped(flate2::read::GzDecoder::new(gz), path)?;
    let digits = parse_digits(csv.as_slice(), path)?;
    if digits.len() != N_SAMPLES {
        return Err(DigitsError::Count {
            path: path.to_path_buf(),
            found: digits.len(),
        });
    }
    Ok(digits)
}

/// An I/O error on the file `path`, at no particular line.
fn io_error(path: &Path, source: io::Error) -> DigitsError {
    DigitsError::Io {
        path: path.to_path_buf(),
        line: None,
        source,
    }
}

/// All of `reader` (the file `path`, or its decompressed text), refused when longer
/// than [`MAX_CSV_BYTES`]: reading stops one byte past it.
fn read_capped(reader: impl Read, path: &Path) -> Result<Vec<u8>, DigitsError> {
    let mut out = Vec::new();
    reader
        .take(MAX_CSV_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|source| io_error(path, source))?;
    if out.len() as u64 > MAX_CSV_BYTES {
        return Err(DigitsError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(out)
}

/// Parses uncompressed digits CSV text from `reader`; `source` names it in
/// errors. Does not check the number of samples.
pub fn parse_digits<R: BufRead>(reader: R, source: &Path) -> Result<Digits, DigitsError> {
    let mut digits = Digits::default();
    for (i, text) in reader.lines().enumerate() {
        let line = i + 1;
        let text = text.map_err(|e| DigitsError::Io {
            path: source.to_path_buf(),
            line: Some(line),
            source: e,
        })?;
        if text.trim().is_empty() {
            continue;
        }
        let (image, label) = parse_line(&text).map_err(|e| e.at(source, line))?;
        digits.images.push(image);
        digits.labels.push(label);
    }
    Ok(digits)
}

/// A line error before the file and line are attached.
enum LineError {
    Fields(usize),
    Number(usize, String),
    Pixel(usize, i64),
    Label(i64),
}

impl LineError {
    fn at(self, path: &Path, line: usize) -> DigitsError {
        let path = path.to_path_buf();
        match self {
            LineError::Fields(found) => DigitsError::Fields { path, line, found },
            LineError::Number(column, text) => DigitsError::Number {
                path,
                line,
                column,
                text,
            },
            LineError::Pixel(column, value) => DigitsError::Pixel {
                path,
                line,
                column,
                value,
            },
            LineError::Label(value) => DigitsError::Label { path, line, value },
        }
    }
}

fn parse_line(text: &str) -> Result<(Image, u8), LineError> {
    let found = text.split(',').count();
    if found != N_PIXELS + 1 {
        return Err(LineError::Fields(found));
    }
    let mut image = [0u8; N_PIXELS];
    let mut label = 0u8;
    for (i, field) in text.split(',').enumerate() {
        let field = field.trim();
        let value: i64 = field
            .parse()
            .map_err(|_| LineError::Number(i + 1, field.to_string()))?;
        match image.get_mut(i) {
            Some(px) => {
                *px = u8::try_from(value)
                    .ok()
                    .filter(|&v| v <= MAX_PIXEL)
                    .ok_or(LineError::Pixel(i + 1, value))?;
            }
            None => {
                label = u8::try_from(value)
                    .ok()
                    .filter(|&v| usize::from(v) < N_CLASSES)
                    .ok_or(LineError::Label(value))?;
            }
        }
    }
    Ok((image, label))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(px: &str, label: &str) -> String {
        let mut v = vec!["0"; 63];
        v.push(px);
        v.push(label);
        v.join(",")
    }

    fn parse(text: &str) -> Result<Digits, DigitsError> {
        parse_digits(text.as_bytes(), Path::new("mem.csv"))
    }

    #[test]
    fn parses_and_skips_blank_lines() {
        let text = format!("{}\n\n{}\r\n", line("16", "3"), line(" 7 ", "9"));
        let d = parse(&text).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d.labels, vec![3, 9]);
        assert_eq!(d.images[0][63], 16);
        assert_eq!(d.images[1][63], 7);
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let ok = line("1", "1");
        let cases = [
            (
                format!("{ok}\n1,2,3\n"),
                "mem.csv:2: found 3 comma-separated fields; expected 65",
            ),
            (
                format!("{ok}\n{}\n", line("x", "1")),
                "mem.csv:2: field 64 is \"x\", not an integer",
            ),
            (line("17", "1"), "mem.csv:1: pixel 64 is 17; allowed 0..=16"),
            (line("-1", "1"), "mem.csv:1: pixel 64 is -1"),
            (
                line("1", "10"),
                "mem.csv:1: label (field 65) is 10; allowed 0..=9",
            ),
        ];
        for (text, want) in cases {
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.starts_with(want), "{e}");
        }
    }

    #[test]
    fn missing_file_is_named() {
        let e = load_digits(Path::new("/nonexistent/digits.csv.gz")).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("/nonexistent/digits.csv.gz: cannot open"));
        assert!(std::error::Error::source(&e).is_some());
    }
}
