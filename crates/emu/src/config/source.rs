//! The text of a configuration: is it text at all, where each key sits (from the
//! spans of `toml::de::DeTable`), and the translation of TOML's own errors into ours.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::error::ConfigError;
use super::schema::{self, Rule};

/// The largest configuration file `load` reads.
pub(super) const MAX_FILE_BYTES: u64 = crate::inputs::CONFIG;

/// The text of `bytes`, or "not a text file".
pub(super) fn text_of<'a>(bytes: &'a [u8], origin: &str) -> Result<&'a str, ConfigError> {
    std::str::from_utf8(bytes).map_err(|e| {
        ConfigError::file_level(
            origin,
            format!(
                "not a text file (invalid UTF-8 at byte {}); a chip configuration is a TOML \
                 text file, e.g. examples/lif.toml",
                e.valid_up_to()
            ),
        )
    })
}

/// Refuse text with NUL bytes (a binary file that happens to be valid UTF-8).
pub(super) fn check_text(text: &str, origin: &str) -> Result<(), ConfigError> {
    match text.find('\0') {
        Some(off) => Err(ConfigError::file_level(
            origin,
            "not a text file (it contains NUL bytes); a chip configuration is a TOML text \
             file, e.g. examples/lif.toml",
        )
        .at(Some(line_col(text, off)))),
        None => Ok(()),
    }
}

/// The error for a file without any key.
pub(super) fn empty(origin: &str) -> ConfigError {
    ConfigError::file_level(
        origin,
        "the file is empty; a chip configuration needs at least [network] (inputs, neurons, \
         outputs) and [task] (kind), see examples/lif.toml",
    )
}

/// Line and column (both from 1, the column in characters) of byte offset `off`.
pub(super) fn line_col(text: &str, off: usize) -> (usize, usize) {
    let mut off = off.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The TOML type of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Str,
    Int,
    Float,
    Bool,
    Datetime,
    Array,
    Table,
}

/// One key of the file: its dotted path and where its key and value are written.
#[derive(Debug)]
pub(super) struct Entry {
    pub path: String,
    pub key: Range<usize>,
    pub value: Range<usize>,
    pub kind: Kind,
}

/// Where every key of a file is.
pub(super) struct Source<'a> {
    pub text: &'a str,
    pub origin: &'a str,
    entries: Vec<Entry>,
}

fn collect(table: &DeTable<'_>, prefix: &str, out: &mut Vec<Entry>) {
    for (k, v) in table.iter() {
        let path = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        let kind = match v.get_ref() {
            DeValue::String(_) => Kind::Str,
            DeValue::Integer(_) => Kind::Int,
            DeValue::Float(_) => Kind::Float,
            DeValue::Boolean(_) => Kind::Bool,
            DeValue::Datetime(_) => Kind::Datetime,
            DeValue::Array(_) => Kind::Array,
            DeValue::Table(_) => Kind::Table,
        };
        if let DeValue::Table(t) = v.get_ref() {
            collect(t, &path, out);
        }
        out.push(Entry {
            path,
            key: k.span(),
            value: v.span(),
            kind,
        });
    }
}

impl<'a> Source<'a> {
    /// The index of a parsed document.
    pub(super) fn new(text: &'a str, origin: &'a str, root: &DeTable<'_>) -> Self {
        let mut entries = Vec::new();
        collect(root, "", &mut entries);
        Self {
            text,
            origin,
            entries,
        }
    }

    fn entry(&self, path: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.path == path)
    }

    /// Whether `path` is written in the file.
    pub(super) fn has(&self, path: &str) -> bool {
        self.entry(path).is_some()
    }

    /// Where `path` is written: its key (a section: its header); if it is not written,
    /// its section's header (or first key); if neither, nowhere.
    pub(super) fn pos(&self, path: &str) -> Option<(usize, usize)> {
        if let Some(e) = self.entry(path) {
            let at = match e.kind {
                Kind::Table => e.value.start.min(e.key.start),
                _ => e.key.start,
            };
            return Some(line_col(self.text, at));
        }
        let section = path.rsplit_once('.').map(|(s, _)| s)?;
        let e = self.entry(section)?;
        Some(line_col(self.text, e.value.start.min(e.key.start)))
    }

    /// The value of `path` as written (trimmed, shortened), e.g. `-5.0` or `"many"`.
    pub(super) fn literal(&self, path: &str) -> Option<String> {
        self.entry(path).map(|e| self.snippet(e.value.clone()))
    }

    fn snippet(&self, span: Range<usize>) -> String {
        let s = self.text.get(span).unwrap_or("").trim();
        let first = s.lines().next().unwrap_or("");
        if first.chars().count() > 40 || first.len() < s.len() {
            format!("{}...", first.chars().take(40).collect::<String>())
        } else {
            first.to_string()
        }
    }

    /// An error about `path`, pointed at where it is written.
    pub(super) fn error(&self, path: &str, message: impl AsRef<str>) -> ConfigError {
        ConfigError::new(self.origin, Some(path), message).at(self.pos(path))
    }

    /// The entry a TOML error's span points at: a key or value with exactly that span
    /// (the deepest), else the smallest value holding it.
    fn entry_at(&self, span: &Range<usize>) -> Option<&Entry> {
        let by = |f: &dyn Fn(&Entry) -> bool| {
            self.entries
                .iter()
                .filter(|e| f(e))
                .max_by_key(|e| e.path.len())
        };
        by(&|e| e.key == *span)
            .or_else(|| by(&|e| e.value == *span))
            .or_else(|| {
                self.entries
                    .iter()
                    .filter(|e| e.value.start <= span.start && span.end <= e.value.end)
                    .min_by_key(|e| e.value.len())
            })
    }

    /// What was found at `e`, for "wrong type" messages.
    fn found(&self, e: &Entry) -> String {
        let lit = self.snippet(e.value.clone());
        match e.kind {
            Kind::Str => format!("the string {lit}"),
            Kind::Int => format!("the integer {lit}"),
            Kind::Float => format!("the number {lit}"),
            Kind::Bool => format!("the boolean {lit}"),
            Kind::Datetime => format!("the date {lit}"),
            Kind::Array if lit.starts_with("[[") => format!("an array of tables {lit}"),
            Kind::Array => "an array".into(),
            Kind::Table => "a table".into(),
        }
    }

    /// Our error for an error of deserialisation (unknown key, wrong type, number that
    /// does not fit).
    pub(super) fn serde_error(&self, e: &toml::de::Error) -> ConfigError {
        let msg = e.message().trim();
        let span = e.span();
        let pos = span.as_ref().map(|s| line_col(self.text, s.start));
        let Some(entry) = span.as_ref().and_then(|s| self.entry_at(s)) else {
            return ConfigError::new(self.origin, None, msg).at(pos);
        };
        let path = entry.path.as_str();
        let (section, key) = path.rsplit_once('.').unwrap_or(("", path));
        let err = |m: String| ConfigError::new(self.origin, Some(path), m).at(pos);

        if let Some(rest) = msg.strip_prefix("unknown field `") {
            let name = rest.split('`').next().unwrap_or(key);
            let mut allowed = backticked_after_expected(rest);
            if allowed.is_empty() {
                allowed = schema::keys_of(section);
            }
            let mut m = if entry.kind == Kind::Table {
                format!("unknown section `[{path}]`")
            } else {
                format!("unknown key `{name}`")
            };
            m.push_str(&format!("; allowed: {}", allowed.join(", ")));
            // A key of another section first (`max_neurons` under [network]), then a typo.
            if let Some(p) = schema::elsewhere(section, name) {
                m.push_str(&match p.rsplit_once('.') {
                    Some((s, _)) => format!(" (did you mean `{p}`? it belongs in [{s}])"),
                    None => format!(
                        " (did you mean the top-level `{p}`? top-level keys go before the \
                         first [section])"
                    ),
                });
            } else if let Some(s) = schema::suggest(name, &allowed) {
                m.push_str(&format!(" (did you mean `{s}`?)"));
            }
            return err(m);
        }
        let Some(field) = schema::field(path) else {
            return err(format!("{msg}; see examples/lif.toml for the keys"));
        };
        if let Some(rest) = msg.strip_prefix("unknown variant `") {
            let name = rest.split('`').next().unwrap_or("");
            let mut allowed = backticked_after_expected(rest);
            if let Rule::Choice(names) = field.rule {
                allowed = names.to_vec();
            }
            let mut m = format!(
                "`{name}` is not a known {}; allowed: {}",
                noun(path),
                allowed.join(", ")
            );
            if let Some(s) = schema::suggest(name, &allowed) {
                m.push_str(&format!(" (did you mean `{s}`?)"));
            }
            return err(m);
        }
        if let (Rule::Int { hi, .. }, Kind::Int) = (field.rule, entry.kind) {
            // An integer the Rust type cannot hold: negative, or beyond u32 / u64.
            let lit = self.snippet(entry.value.clone());
            let what = if lit.starts_with('-') {
                format!("{lit} is negative")
            } else if hi > u64::from(u32::MAX) {
                format!("{lit} does not fit a 64-bit unsigned integer")
            } else {
                format!("{lit} does not fit a 32-bit unsigned integer")
            };
            return err(format!("{what}; {}", field.allowed()));
        }
        err(format!(
            "wrong type: expected {}, found {}; {}",
            field.rule.expects(),
            self.found(entry),
            field.allowed()
        ))
    }
}

/// The names in backticks after "expected" in a serde message
/// ("unknown field `x`, expected one of `a`, `b`").
fn backticked_after_expected(rest: &str) -> Vec<&str> {
    rest.split_once("expected")
        .map(|(_, l)| l.split('`').skip(1).step_by(2).collect())
        .unwrap_or_default()
}

/// What the values of a choice key are called.
fn noun(path: &str) -> &'static str {
    match path {
        "network.model" => "neuron model",
        "task.kind" => "task kind",
        "formats.rounding" => "rounding mode",
        "learning.engine" => "learning engine",
        "learning.apply" => "apply mode",
        "learning.feedback" => "feedback kind",
        _ => "value",
    }
}

/// Our error for a TOML syntax error: the place from TOML's span, and the field the
/// place belongs to when the rest of the file can still be read.
pub(super) fn syntax_error(text: &str, origin: &str, e: &toml::de::Error) -> ConfigError {
    let msg = e.message().trim().replace('\n', "; ");
    let at = e.span().map(|s| s.start);
    let pos = at.map(|p| line_col(text, p));
    let field = at.and_then(|p| field_near(text, p));
    let on_header = at.is_some_and(|p| {
        let start = text[..p.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
        text[start..].trim_start().starts_with('[')
    });
    let m = if msg == "duplicate key" && on_header {
        "this section is written twice; allowed: each [section] once, with all its keys".into()
    } else if msg == "duplicate key" {
        "this key is set twice; allowed: each key once per section".into()
    } else {
        format!(
            "TOML syntax error: {msg}; a configuration is TOML: `key = value` lines under \
             `[section]` headers, strings in double quotes"
        )
    };
    ConfigError::new(origin, field.as_deref(), m).at(pos)
}

/// The dotted path of the key or section around byte `at`, read from what TOML could
/// recover of the file.
fn field_near(text: &str, at: usize) -> Option<String> {
    let line_start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    if let Some(header) = line.strip_prefix('[') {
        // A broken header: the name written in it.
        let name = header
            .trim_start_matches('[')
            .split(']')
            .next()
            .unwrap_or("");
        let name = name.split('#').next().unwrap_or("").trim();
        return (!name.is_empty()).then(|| name.to_string());
    }
    let (root, _) = DeTable::parse_recoverable(text);
    let mut entries = Vec::new();
    collect(root.get_ref(), "", &mut entries);
    if let Some(e) = entries
        .iter()
        .filter(|e| {
            (e.key.start <= at && at <= e.key.end) || (e.value.start <= at && at <= e.value.end)
        })
        .min_by_key(|e| e.value.len())
    {
        return Some(e.path.clone());
    }
    // The section whose header comes last before `at`, and the bare key at `at`.
    let section = entries
        .iter()
        .filter(|e| {
            e.kind == Kind::Table
                && e.value.start <= at
                && text
                    .get(e.value.clone())
                    .is_some_and(|s| s.starts_with('[') && s.ends_with(']'))
        })
        .max_by_key(|e| e.value.start)
        .map(|e| e.path.clone());
    let key: String = line
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    match (section, key.is_empty()) {
        (Some(s), false) => Some(format!("{s}.{key}")),
        (Some(s), true) => Some(s),
        (None, false) => Some(key),
        (None, true) => None,
    }
}
