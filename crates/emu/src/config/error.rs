//! [`ConfigError`]: one line that says where (file, line, column, field), what was
//! wrong and what is allowed.

/// A configuration error, printed as one line:
/// `{file}:{line}:{col}: {field}: {what was wrong}; {what is allowed}[ (did you mean `x`?)]`.
///
/// `line:col` is left out when there is no place in the file to point at (an empty or
/// binary file, a missing section); `field: ` is left out when the error is about the
/// whole file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {}{message}", place(.line, .column), field_prefix(.field))]
pub struct ConfigError {
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    field: Option<String>,
    message: String,
}

fn place(line: &Option<usize>, column: &Option<usize>) -> String {
    match (*line, *column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

fn field_prefix(field: &Option<String>) -> String {
    field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default()
}

/// `s` on one line: control characters (newlines in a quoted key, say) are escaped.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

impl ConfigError {
    /// An error about the whole file (no field, no place).
    pub(super) fn file_level(file: &str, message: impl AsRef<str>) -> Self {
        Self {
            file: one_line(file),
            line: None,
            column: None,
            field: None,
            message: one_line(message.as_ref()),
        }
    }

    /// An error about `field` (a dotted path such as `network.tau_m_ms`).
    pub(super) fn new(file: &str, field: Option<&str>, message: impl AsRef<str>) -> Self {
        Self {
            field: field.map(one_line),
            ..Self::file_level(file, message)
        }
    }

    /// Point the error at `line:column` (both from 1), when known.
    pub(super) fn at(mut self, pos: Option<(usize, usize)>) -> Self {
        if let Some((l, c)) = pos {
            self.line = Some(l);
            self.column = Some(c);
        }
        self
    }

    /// The file, as given to [`super::load`] or [`super::parse`].
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Line of the offending key or value, from 1.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// Column of the offending key or value, from 1 (in characters).
    pub fn column(&self) -> Option<usize> {
        self.column
    }

    /// The field path, e.g. `network.tau_m_ms`, or the section, e.g. `network`.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// What was wrong and what is allowed (the line without file, place and field).
    pub fn message(&self) -> &str {
        &self.message
    }
}
