//! Configuration errors shared by the task generators.

/// A task configuration value outside its allowed range.
///
/// The message names the configuration struct and field, shows the value and
/// states what is allowed.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum TaskError {
    /// An integer field (or a duration converted to steps) is out of range.
    #[error("{field} = {value} is not allowed; allowed: {allowed}")]
    Int {
        /// `Struct.field`, e.g. `"CueConfig.n_cues"`.
        field: &'static str,
        /// The offending value.
        value: u64,
        /// What is allowed, e.g. `"odd, 1..=63"`.
        allowed: &'static str,
    },
    /// A floating-point field is out of range or not finite.
    #[error("{field} = {value} is not allowed; allowed: {allowed}")]
    Float {
        /// `Struct.field`, e.g. `"PoissonInput.rate_hz"`.
        field: &'static str,
        /// The offending value.
        value: f32,
        /// What is allowed, e.g. `"finite, >= 0"`.
        allowed: &'static str,
    },
}

/// Checks an integer against an inclusive range.
pub(crate) fn int_in(
    field: &'static str,
    value: u64,
    lo: u64,
    hi: u64,
    allowed: &'static str,
) -> Result<(), TaskError> {
    if value < lo || value > hi {
        Err(TaskError::Int {
            field,
            value,
            allowed,
        })
    } else {
        Ok(())
    }
}

/// Checks that a count (of steps, moves) is at least 1 and fits 32 bits; `allowed`
/// says so in the field's unit (`">= 1"`, `">= 1 step"`).
pub(crate) fn at_least_one(
    field: &'static str,
    value: u64,
    allowed: &'static str,
) -> Result<(), TaskError> {
    int_in(field, value, 1, u32::MAX.into(), allowed)
}

/// Checks a float against an inclusive range (NaN and infinities fail).
pub(crate) fn float_in(
    field: &'static str,
    value: f32,
    lo: f32,
    hi: f32,
    allowed: &'static str,
) -> Result<(), TaskError> {
    float_if(value >= lo && value <= hi, field, value, allowed)
}

/// Checks that a float is finite and strictly positive and at most `hi`.
pub(crate) fn float_pos(
    field: &'static str,
    value: f32,
    hi: f32,
    allowed: &'static str,
) -> Result<(), TaskError> {
    float_if(value > 0.0 && value <= hi, field, value, allowed)
}

/// `Ok` when `value` is finite and `ok`, else the error for `field`.
fn float_if(
    ok: bool,
    field: &'static str,
    value: f32,
    allowed: &'static str,
) -> Result<(), TaskError> {
    if value.is_finite() && ok {
        Ok(())
    } else {
        Err(TaskError::Float {
            field,
            value,
            allowed,
        })
    }
}
