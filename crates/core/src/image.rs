//! Chip images: the checked configuration and every memory of a chip, with a
//! versioned header and a CRC, encoded to and decoded from byte slices (no
//! allocation). `neurochip export` writes one; the firmware embeds it and checks it at
//! boot; the host refuses the same bad files the firmware refuses.
//!
//! Layout (little endian; `docs/formats.md` has the table):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `NCHP` |
//! | 4 | 2 | format version (1; 2 when the configuration has `lr_spread > 0`; 3 with stochastic release or rewiring; 4 with decay classes) |
//! | 6 | 2 | kind (1 = chip image, 3 = application image) |
//! | 8 | 4 | body length `B` |
//! | 12 | `B` | body: configuration, application block, arenas (kind 1); the application block alone (kind 3) |
//! | 12 + B | 4 | CRC-32 (IEEE) of bytes `0 .. 12 + B` |
//!
//! An *application image* (kind 3, always format version 1) carries a workload that
//! is not an e-prop chip, the constraint solver or an assembly area: its body is one
//! application block (`neurochip_tasks::app::Standalone`), with no configuration and
//! no arenas. [`encode_app`] writes one, [`decode_app`] checks it.

use crate::classes::{Classes, MAX_CLASSES};
use crate::config::{ChipConfig, ChipLimits, ConfigBuilder, ConfigError, Formats, Shifts};
use crate::format::Format;
use crate::learning::{Apply, Engine, Feedback, Learning, Loss};
use crate::release::Release;
use crate::rewire::Rewire;
use crate::round::Rounding;
use crate::semantic::{self, Invalid};

/// Magic number at offset 0.
pub const MAGIC: [u8; 4] = *b"NCHP";
/// The format version this build writes for every chip without a per-synapse
/// learning-rate spread (and the version of snapshots).
pub const VERSION: u16 = 1;
/// The format version of images whose configuration has `learning.lr_spread > 0`: one
/// more configuration byte (the spread) after `learning.learn_hidden`. Images of
/// chips without it keep version 1 and their bytes.
pub const VERSION_LR_SPREAD: u16 = 2;

/// The format version of images whose configuration has stochastic synaptic release
/// (`crate::release`) or rewiring (`crate::rewire`): after the version-2 byte
/// `learning.lr_spread` (here any value, 0 included) come `release.p_in`,
/// `release.p_rec`, `rewire.budget_in`, `rewire.budget_rec` (u32 each) and
/// `rewire.noise` (u16). Images of chips without them keep version 1 or 2 and their
/// bytes.
pub const VERSION_SYNAPSES: u16 = 3;

/// The format version of images whose configuration has decay classes
/// (`crate::classes`, more than one membrane or readout class): after the version-3
/// fields (here any values, the defaults included) come `classes.trace` and
/// `classes.readout` (u8 each), then the decays of membrane classes `1..C` and of
/// readout classes `1..K` (u16 each; class 0's are `learning.trace_decay` and
/// `learning.elig_decay`). Images of chips without classes keep versions 1 to 3 and
/// their bytes.
pub const VERSION_CLASSES: u16 = 4;

/// The image format version that encodes `cfg`.
pub fn version_for(cfg: &ChipConfig) -> u16 {
    if cfg.classes().is_on() {
        VERSION_CLASSES
    } else if cfg.release().is_stochastic() || cfg.rewire().is_on() {
        VERSION_SYNAPSES
    } else if cfg.learning().lr_spread > 0 {
        VERSION_LR_SPREAD
    } else {
        VERSION
    }
}
/// Kind code of a chip image.
pub const KIND_IMAGE: u16 = 1;
/// Kind code of an application image: no chip, the body is one application block.
pub const KIND_APP: u16 = 3;
/// Header bytes before the body.
pub const HEADER: usize = 12;

/// Why an image was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Fewer bytes than a header and a CRC.
    #[error(
        "image too short: {len} bytes, a chip image has at least {} (header and CRC)",
        HEADER + 4
    )]
    TooShort {
        /// Bytes given.
        len: usize,
    },
    /// The first four bytes are not `NCHP`.
    #[error("not a chip image: the file does not start with NCHP")]
    BadMagic,
    /// Written by another format version.
    // `{}` with `*.found` rather than `{found}` (here and in `Kind`): the u16 formatted
    // by value, not through `&u16`, which would cost the firmware 164 bytes of .text.
    #[error(
        "image format version {} is not supported (this build reads versions {VERSION} to {VERSION_CLASSES})",
        *.found
    )]
    Version {
        /// Version in the file.
        found: u16,
    },
    /// Not a chip image (a snapshot, say).
    #[error(
        "not a chip image (kind {}; a chip image is kind {KIND_IMAGE}, an \
         application image kind {KIND_APP})",
        *.found
    )]
    Kind {
        /// Kind in the file.
        found: u16,
    },
    /// The body length disagrees with the file size (truncated or padded).
    #[error(
        "image truncated or padded: the header announces {expected} bytes, the file has {got}"
    )]
    Length {
        /// Bytes the header announces in total.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// The CRC does not match: the file is corrupt.
    #[error("image corrupt: CRC mismatch (stored {stored:08x}, computed {computed:08x})")]
    Crc {
        /// CRC stored in the file.
        stored: u32,
        /// CRC of the bytes.
        computed: u32,
    },
    /// A field holds a value no chip has.
    #[error("image field {field} holds an invalid value")]
    Field {
        /// The field.
        field: &'static str,
    },
    /// The configuration in the image is refused.
    #[error("image configuration refused: {0}")]
    Config(ConfigError),
    /// A value no chip holds, though the file checks ([`crate::semantic`]): named with
    /// its place, index and what is allowed.
    #[error("image {0}")]
    Invalid(Invalid),
    /// A reward task the chip cannot run ([`crate::reward::check`]).
    #[error("image app.reward: {0}")]
    Reward(crate::reward::RewardError),
    /// The caller's buffer is too small (encoding) or the memory does not fit.
    #[error("not enough space: {needed} needed, {available} available")]
    Space {
        /// Bytes or words needed.
        needed: usize,
        /// Bytes or words available.
        available: usize,
    },
}

impl From<Invalid> for ImageError {
    fn from(e: Invalid) -> Self {
        ImageError::Invalid(e)
    }
}

impl From<ConfigError> for ImageError {
    fn from(e: ConfigError) -> Self {
        ImageError::Config(e)
    }
}

/// The CRC-32 of images and snapshots: IEEE 802.3 (`CRC_32_ISO_HDLC`: reflected,
/// polynomial `0xEDB88320`, initial value and final XOR all ones), computed bitwise by
/// the `crc` crate (`NoTable`): no table, so it costs no flash.
const CRC32: crc::Crc<u32, crc::NoTable> =
    crc::Crc::<u32, crc::NoTable>::new(&crc::CRC_32_ISO_HDLC);

/// CRC-32 (IEEE 802.3, reflected, polynomial `0xEDB88320`) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    CRC32.checksum(bytes)
}

/// Continue a CRC-32 over more bytes (`crc32_update(crc32(a), b) == crc32(a ++ b)`;
/// start from 0).
pub fn crc32_update(crc: u32, bytes: &[u8]) -> u32 {
    // A finished CRC is the register inverted (final XOR all ones); the digest takes its
    // initial register unreflected and reflects it (`refin`), so undo both.
    let mut digest = CRC32.digest_with_initial((!crc).reverse_bits());
    digest.update(bytes);
    digest.finalize()
}

/// A little-endian writer over a caller buffer.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
    overflow: usize,
}

impl<'a> Writer<'a> {
    /// Write into `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            overflow: 0,
        }
    }
    /// Append bytes (counting, not writing, what does not fit).
    pub fn bytes(&mut self, b: &[u8]) {
        let end = self.pos.saturating_add(b.len());
        match self.buf.get_mut(self.pos..end) {
            Some(dst) => dst.copy_from_slice(b),
            None => self.overflow = self.overflow.saturating_add(b.len()),
        }
        self.pos = end;
    }
    /// Append a `u8`.
    pub fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }
    /// Append a `u16`.
    pub fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }
    /// Append a `u32`.
    pub fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    /// Append a `u64`.
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    /// Bytes written so far (including those that did not fit).
    pub fn len(&self) -> usize {
        self.pos
    }
    /// Size of the buffer.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }
    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }
    fn patch_u32(&mut self, at: usize, v: u32) {
        if let Some(dst) = self.buf.get_mut(at..at.saturating_add(4)) {
            dst.copy_from_slice(&v.to_le_bytes());
        }
    }
}

/// A little-endian reader over a byte slice.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Read from `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    /// Take `n` bytes.
    pub fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], ImageError> {
        let end = self.pos.saturating_add(n);
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or(ImageError::Field { field })?;
        self.pos = end;
        Ok(s)
    }
    /// Take a `u8`.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, ImageError> {
        Ok(self.bytes(1, field)?.first().copied().unwrap_or(0))
    }
    /// Take a `u16`.
    pub fn u16(&mut self, field: &'static str) -> Result<u16, ImageError> {
        let b = self.bytes(2, field)?;
        Ok(u16::from_le_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ]))
    }
    /// Take a `u32`.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, ImageError> {
        let b = self.bytes(4, field)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(b);
        Ok(u32::from_le_bytes(a))
    }
    /// Take a `u64`.
    pub fn u64(&mut self, field: &'static str) -> Result<u64, ImageError> {
        let b = self.bytes(8, field)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
}

fn put_format(w: &mut Writer<'_>, f: Format) {
    w.u8(f.bits() as u8);
    w.u8(f.frac() as u8);
    w.u8(u8::from(f.is_signed()));
}

fn get_format(r: &mut Reader<'_>, field: &'static str) -> Result<Format, ImageError> {
    let (bits, frac, signed) = (r.u8(field)?, r.u8(field)?, r.u8(field)?);
    let signed = flag(signed, field)?;
    let f = if signed {
        Format::signed(bits.into(), frac.into())
    } else {
        Format::unsigned(bits.into(), frac.into())
    };
    f.ok_or(ImageError::Invalid(Invalid {
        place: "",
        key: field,
        index: None,
        value: semantic::Value::Int(bits.into()),
        rule: "a format's total bits (its fraction at most 31)",
        allowed: semantic::Allowed::Range(if signed { 2 } else { 1 }, 31),
    }))
}

/// Write a configuration.
pub fn put_config(w: &mut Writer<'_>, c: &ChipConfig) {
    for v in [c.n_in(), c.n_rec(), c.n_out()] {
        w.u16(v as u16);
    }
    let l = c.limits();
    for v in [l.max_inputs, l.max_neurons, l.max_outputs] {
        w.u16(v);
    }
    let f = c.formats();
    for x in [f.membrane, f.weight, f.trace, f.readout] {
        put_format(w, x);
    }
    let s = c.shifts();
    for v in [s.input, s.recurrent, s.output] {
        w.u8(v as u8);
    }
    w.u8(c.refractory());
    w.u8(c.leak_rounding().code());
    w.u64(c.seed());
    w.u8(u8::from(c.alif()));
    let le = c.learning();
    w.u8(le.engine as u8);
    w.u8(le.apply as u8);
    w.u8(le.feedback as u8);
    w.u8(le.loss as u8);
    w.u16(le.trace_decay);
    w.u16(le.elig_decay);
    put_format(w, le.elig);
    for v in [
        le.shift_in,
        le.shift_rec,
        le.shift_out,
        le.shift_bias,
        le.psi_levels,
        le.reg_shift,
    ] {
        w.u8(v);
    }
    w.u32(le.reg_target);
    w.u16(le.rate_decay);
    for b in [le.dale, le.learn_readout, le.learn_hidden] {
        w.u8(u8::from(b));
    }
    if version_for(c) >= VERSION_LR_SPREAD {
        w.u8(le.lr_spread);
    }
    if version_for(c) >= VERSION_SYNAPSES {
        let (r, q) = (c.release(), c.rewire());
        for v in [r.p_in, r.p_rec, q.budget_in, q.budget_rec] {
            w.u32(v);
        }
        w.u16(q.noise);
    }
    if version_for(c) >= VERSION_CLASSES {
        let k = c.classes();
        w.u8(k.trace);
        w.u8(k.readout);
        let (nc, nk) = (usize::from(k.trace), usize::from(k.readout));
        for &d in k.alpha.iter().take(nc.saturating_sub(1)) {
            w.u16(d);
        }
        for &d in k.kappa.iter().take(nk.saturating_sub(1)) {
            w.u16(d);
        }
    }
}

fn flag(v: u8, field: &'static str) -> Result<bool, ImageError> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Invalid::int("", field, v.into(), "a flag", 0, 1).into()),
    }
}

/// The entry of `table` that the byte `field` indexes (the value's code, as written
/// by `as u8`), or an error naming the field.
fn get_code<T: Copy>(
    r: &mut Reader<'_>,
    field: &'static str,
    table: &[T],
) -> Result<T, ImageError> {
    let code = r.u8(field)?;
    table.get(usize::from(code)).copied().ok_or_else(|| {
        let hi = i64::try_from(table.len()).unwrap_or(0).saturating_sub(1);
        Invalid::int("", field, code.into(), "a code this build knows", 0, hi).into()
    })
}

/// Read and check a configuration of format version 1.
pub fn get_config(r: &mut Reader<'_>) -> Result<ChipConfig, ImageError> {
    get_config_version(r, VERSION)
}

/// Read and check a configuration written by format `version` (1 to 4).
pub fn get_config_version(r: &mut Reader<'_>, version: u16) -> Result<ChipConfig, ImageError> {
    let n_in = r.u16("config.n_in")?;
    let n_rec = r.u16("config.n_rec")?;
    let n_out = r.u16("config.n_out")?;
    let limits = ChipLimits {
        max_inputs: r.u16("config.max_inputs")?,
        max_neurons: r.u16("config.max_neurons")?,
        max_outputs: r.u16("config.max_outputs")?,
    };
    let formats = Formats {
        membrane: get_format(r, "config.membrane")?,
        weight: get_format(r, "config.weight")?,
        trace: get_format(r, "config.trace")?,
        readout: get_format(r, "config.readout")?,
    };
    let shifts = Shifts {
        input: r.u8("config.shift_in")? as i8,
        recurrent: r.u8("config.shift_rec")? as i8,
        output: r.u8("config.shift_out")? as i8,
    };
    let refractory = r.u8("config.refractory")?;
    let rounding = get_code(
        r,
        "config.rounding",
        &[Rounding::Truncate, Rounding::Nearest, Rounding::Stochastic],
    )?;
    let seed = r.u64("config.seed")?;
    let alif = flag(r.u8("config.alif")?, "config.alif")?;
    let engine = get_code(
        r,
        "learning.engine",
        &[Engine::Off, Engine::Exact, Engine::Light],
    )?;
    let apply = get_code(
        r,
        "learning.apply",
        &[Apply::Online, Apply::Sample, Apply::Readout],
    )?;
    let feedback = get_code(
        r,
        "learning.feedback",
        &[Feedback::Symmetric, Feedback::Random],
    )?;
    let loss = get_code(
        r,
        "learning.loss",
        &[Loss::Classification, Loss::Regression],
    )?;
    let trace_decay = r.u16("learning.trace_decay")?;
    let elig_decay = r.u16("learning.elig_decay")?;
    let elig = get_format(r, "learning.elig")?;
    let learning = Learning {
        engine,
        apply,
        feedback,
        loss,
        trace_decay,
        elig_decay,
        elig,
        shift_in: r.u8("learning.shift_in")?,
        shift_rec: r.u8("learning.shift_rec")?,
        shift_out: r.u8("learning.shift_out")?,
        shift_bias: r.u8("learning.shift_bias")?,
        psi_levels: r.u8("learning.psi_levels")?,
        reg_shift: r.u8("learning.reg_shift")?,
        reg_target: r.u32("learning.reg_target")?,
        rate_decay: r.u16("learning.rate_decay")?,
        dale: flag(r.u8("learning.dale")?, "learning.dale")?,
        learn_readout: flag(r.u8("learning.learn_readout")?, "learning.learn_readout")?,
        learn_hidden: flag(r.u8("learning.learn_hidden")?, "learning.learn_hidden")?,
        lr_spread: if version >= VERSION_LR_SPREAD {
            match r.u8("learning.lr_spread")? {
                // Version 2 exists for a nonzero spread only: one encoding per chip.
                0 if version == VERSION_LR_SPREAD => {
                    return Err(ImageError::Field {
                        field: "learning.lr_spread",
                    })
                }
                v => v,
            }
        } else {
            0
        },
    };
    let (release, rewire) = if version >= VERSION_SYNAPSES {
        let rel = Release {
            p_in: r.u32("release.p_in")?,
            p_rec: r.u32("release.p_rec")?,
        };
        let rew = Rewire {
            budget_in: r.u32("rewire.budget_in")?,
            budget_rec: r.u32("rewire.budget_rec")?,
            noise: r.u16("rewire.noise")?,
        };
        // Version 3 exists for these options only: one encoding per chip.
        if version == VERSION_SYNAPSES && !rel.is_stochastic() && !rew.is_on() {
            return Err(ImageError::Field {
                field: "release / rewire",
            });
        }
        (rel, rew)
    } else {
        (Release::ALWAYS, Rewire::OFF)
    };
    let classes = if version >= VERSION_CLASSES {
        let mut k = Classes {
            trace: r.u8("classes.trace")?,
            readout: r.u8("classes.readout")?,
            ..Classes::ONE
        };
        let (nc, nk) = (usize::from(k.trace), usize::from(k.readout));
        if nc > MAX_CLASSES || nk > MAX_CLASSES {
            return Err(ImageError::Field { field: "classes" });
        }
        for d in k.alpha.iter_mut().take(nc.saturating_sub(1)) {
            *d = r.u16("classes.alpha")?;
        }
        for d in k.kappa.iter_mut().take(nk.saturating_sub(1)) {
            *d = r.u16("classes.kappa")?;
        }
        // Version 4 exists for classes only: one encoding per chip.
        if !k.is_on() {
            return Err(ImageError::Field { field: "classes" });
        }
        k
    } else {
        Classes::ONE
    };
    Ok(ConfigBuilder::new(n_in.into(), n_rec.into(), n_out.into())
        .limits(limits)
        .formats(formats)
        .shifts(shifts)
        .refractory(refractory)
        .leak_rounding(rounding)
        .seed(seed)
        .alif(alif)
        .learning(learning)
        .release(release)
        .rewire(rewire)
        .classes(classes)
        .build()?)
}

/// Encode an image: configuration, an application block (opaque bytes: the task and
/// plan, see `neurochip_tasks::app`) and the three arenas. Returns the bytes
/// written, or the space needed when `out` is too small.
pub fn encode(
    out: &mut [u8],
    cfg: &ChipConfig,
    app: &[u8],
    w16: &[i16],
    w32: &[i32],
    wu: &[u32],
) -> Result<usize, ImageError> {
    let mut w = Writer::new(out);
    w.bytes(&MAGIC);
    w.u16(version_for(cfg));
    w.u16(KIND_IMAGE);
    w.u32(0); // body length, patched below
    put_config(&mut w, cfg);
    w.u32(app.len() as u32);
    w.bytes(app);
    w.u32(w16.len() as u32);
    w.u32(w32.len() as u32);
    w.u32(wu.len() as u32);
    for &x in w16 {
        w.u16(x as u16);
    }
    for &x in w32 {
        w.u32(x as u32);
    }
    for &x in wu {
        w.u32(x);
    }
    let body = w.len().saturating_sub(HEADER);
    let total = w.len().saturating_add(4);
    if w.overflow > 0 || total > w.buf.len() {
        return Err(ImageError::Space {
            needed: total,
            available: w.buf.len(),
        });
    }
    w.patch_u32(8, body as u32);
    let crc = crc32(w.buf.get(..w.len()).unwrap_or(&[]));
    w.u32(crc);
    Ok(total)
}

/// Check the header, length and CRC of a chip image; return the body.
pub fn check(bytes: &[u8]) -> Result<&[u8], ImageError> {
    check_kind(bytes, KIND_IMAGE, VERSION_CLASSES)
}

/// The kind in the header of `bytes` (`None` when the file is too short or is not
/// `NCHP`); nothing else is checked.
pub fn kind(bytes: &[u8]) -> Option<u16> {
    match (bytes.get(..4), bytes.get(6..8)) {
        (Some(m), Some(&[a, b])) if m == MAGIC => Some(u16::from_le_bytes([a, b])),
        _ => None,
    }
}

/// Check the header (kind `want`, version 1 to `newest`), length and CRC; return
/// the body.
fn check_kind(bytes: &[u8], want: u16, newest: u16) -> Result<&[u8], ImageError> {
    if bytes.len() < HEADER.saturating_add(4) {
        return Err(ImageError::TooShort { len: bytes.len() });
    }
    let mut r = Reader::new(bytes);
    if r.bytes(4, "magic")? != MAGIC {
        return Err(ImageError::BadMagic);
    }
    let version = r.u16("version")?;
    if !(VERSION..=newest).contains(&version) {
        return Err(ImageError::Version { found: version });
    }
    let kind = r.u16("kind")?;
    if kind != want {
        return Err(ImageError::Kind { found: kind });
    }
    let body = r.u32("length")? as usize;
    let expected = HEADER.saturating_add(body).saturating_add(4);
    if expected != bytes.len() {
        return Err(ImageError::Length {
            expected,
            got: bytes.len(),
        });
    }
    let end = HEADER.saturating_add(body);
    let data = bytes
        .get(..end)
        .ok_or(ImageError::TooShort { len: bytes.len() })?;
    let mut tail = Reader::new(bytes.get(end..).unwrap_or(&[]));
    let stored = tail.u32("crc")?;
    let computed = crc32(data);
    if stored != computed {
        return Err(ImageError::Crc { stored, computed });
    }
    data.get(HEADER..)
        .ok_or(ImageError::TooShort { len: bytes.len() })
}

/// Encode an application image (kind [`KIND_APP`], version 1) around an application
/// block. Returns the bytes written, or the space needed when `out` is too small.
pub fn encode_app(out: &mut [u8], app: &[u8]) -> Result<usize, ImageError> {
    let mut w = Writer::new(out);
    w.bytes(&MAGIC);
    w.u16(VERSION);
    w.u16(KIND_APP);
    w.u32(app.len() as u32);
    w.bytes(app);
    let total = w.len().saturating_add(4);
    if w.overflow > 0 || total > w.buf.len() {
        return Err(ImageError::Space {
            needed: total,
            available: w.buf.len(),
        });
    }
    let crc = crc32(w.buf.get(..w.len()).unwrap_or(&[]));
    w.u32(crc);
    Ok(total)
}

/// Check an application image (magic, version 1, kind [`KIND_APP`], length, CRC) and
/// return its application block. A chip image is refused with [`ImageError::Kind`].
pub fn decode_app(bytes: &[u8]) -> Result<&[u8], ImageError> {
    check_kind(bytes, KIND_APP, VERSION)
}

/// A decoded image: the configuration, the application block, and a reader positioned
/// at the arenas.
pub struct Decoded<'a> {
    /// The checked configuration.
    pub config: ChipConfig,
    /// The application block (task and plan).
    pub app: &'a [u8],
    arenas: Reader<'a>,
}

/// Check and decode the header, configuration and application block of an image.
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>, ImageError> {
    let body = check(bytes)?;
    let version = bytes
        .get(4..6)
        .and_then(|v| <[u8; 2]>::try_from(v).ok())
        .map_or(VERSION, u16::from_le_bytes);
    let mut r = Reader::new(body);
    let config = get_config_version(&mut r, version)?;
    let n = r.u32("app.length")? as usize;
    let app = r.bytes(n, "app")?;
    Ok(Decoded {
        config,
        app,
        arenas: r,
    })
}

impl Decoded<'_> {
    /// Copy the arenas into caller storage (which must be at least the layout's size;
    /// the image's arenas must match the layout of its configuration exactly), then
    /// check every value ([`semantic::check_padding`], [`semantic::check_memory`]):
    /// an image whose memories no chip can hold is refused with
    /// [`ImageError::Invalid`], and the storage then holds its words unchecked.
    pub fn load(self, w16: &mut [i16], w32: &mut [i32], wu: &mut [u32]) -> Result<(), ImageError> {
        let mut r = self.arenas;
        let l = self.config.layout();
        let (a, b, c) = (
            r.u32("arena.i16")? as usize,
            r.u32("arena.i32")? as usize,
            r.u32("arena.u32")? as usize,
        );
        if a != l.words16() || b != l.words32() || c != l.wordsu() {
            return Err(ImageError::Field {
                field: "arena lengths",
            });
        }
        for (need, have) in [(a, w16.len()), (b, w32.len()), (c, wu.len())] {
            if need > have {
                return Err(ImageError::Space {
                    needed: need,
                    available: have,
                });
            }
        }
        for x in w16.iter_mut().take(a) {
            *x = r.u16("arena.i16")? as i16;
        }
        for x in w32.iter_mut().take(b) {
            *x = r.u32("arena.i32")? as i32;
        }
        for x in wu.iter_mut().take(c) {
            *x = r.u32("arena.u32")?;
        }
        if r.remaining() != 0 {
            return Err(ImageError::Field {
                field: "trailing bytes",
            });
        }
        semantic::check_padding(&l, wu)?;
        let mem = crate::Memory::carve(&l, w16, w32, wu).map_err(|e| ImageError::Space {
            needed: e.needed,
            available: e.given,
        })?;
        semantic::check_memory(&self.config, &mem)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn crc_continues() {
        let data = b"neurochip image bytes, split anywhere";
        for cut in 0..=data.len() {
            let (a, b) = data.split_at(cut);
            assert_eq!(crc32_update(crc32(a), b), crc32(data));
        }
        assert_eq!(crc32_update(0, b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(&[]), 0);
    }

    #[test]
    fn roundtrip_and_refusals() {
        let cfg = ConfigBuilder::new(3, 4, 2).seed(9).build().unwrap();
        let l = cfg.layout();
        let (mut w16, mut w32, mut wu) = l.zeroed_arenas();
        {
            let mut mem = crate::Memory::carve(&l, &mut w16, &mut w32, &mut wu).unwrap();
            mem.init_default_params(&cfg);
            for (i, w) in mem.w_rec.iter_mut().enumerate() {
                *w = i as i16 - 7;
            }
            for (i, v) in mem.v.iter_mut().enumerate() {
                *v = -(i as i32) * 1000;
            }
            mem.alpha[1] = 77;
        }
        let mut buf = vec![0u8; 4096];
        let n = encode(&mut buf, &cfg, b"app", &w16, &w32, &wu).unwrap();
        let img = &buf[..n];
        let d = decode(img).unwrap();
        assert_eq!(d.config, cfg);
        assert_eq!(d.app, b"app");
        let (mut a, mut b, mut c) = (vec![0; w16.len()], vec![0; w32.len()], vec![0; wu.len()]);
        d.load(&mut a, &mut b, &mut c).unwrap();
        assert_eq!((&a, &b, &c), (&w16, &w32, &wu));
        // Truncated, flipped bit, wrong version, wrong magic.
        assert!(matches!(
            decode(&img[..n - 1]),
            Err(ImageError::Length { .. })
        ));
        let mut bad = img.to_vec();
        bad[40] ^= 0x10;
        assert!(matches!(decode(&bad), Err(ImageError::Crc { .. })));
        let mut v2 = img.to_vec();
        v2[4] = 9;
        assert!(matches!(decode(&v2), Err(ImageError::Version { found: 9 })));
        assert!(matches!(
            decode(b"ELF\x7f0000000000000000"),
            Err(ImageError::BadMagic)
        ));
        assert!(matches!(decode(b"NC"), Err(ImageError::TooShort { .. })));
        let mut small = [0u8; 10];
        assert!(matches!(
            encode(&mut small, &cfg, b"", &w16, &w32, &wu),
            Err(ImageError::Space { .. })
        ));
        // A chip image is not an application image, and the other way round.
        assert_eq!(kind(img), Some(KIND_IMAGE));
        assert!(matches!(
            decode_app(img),
            Err(ImageError::Kind { found: 1 })
        ));
    }

    /// A value no chip holds is refused by `load`, with a CRC that checks.
    #[test]
    fn load_checks_values() {
        let cfg = ConfigBuilder::new(2, 3, 2).build().unwrap();
        let l = cfg.layout();
        let (mut w16, mut w32, mut wu) = l.zeroed_arenas();
        {
            let mut mem = crate::Memory::carve(&l, &mut w16, &mut w32, &mut wu).unwrap();
            mem.init_default_params(&cfg);
        }
        w16[4] = 1000;
        let mut buf = vec![0u8; 4096];
        let n = encode(&mut buf, &cfg, b"", &w16, &w32, &wu).unwrap();
        let (mut a, mut b, mut c) = (vec![0; w16.len()], vec![0; w32.len()], vec![0; wu.len()]);
        let e = decode(&buf[..n]).unwrap().load(&mut a, &mut b, &mut c);
        assert_eq!(
            e.unwrap_err().to_string(),
            "image arena w_in[4] = 1000: outside the weight format; allowed -128..=127"
        );
    }

    #[test]
    fn application_images() {
        let mut buf = [0u8; 64];
        let n = encode_app(&mut buf, b"solver").unwrap();
        let img = &buf[..n];
        assert_eq!(n, HEADER + 6 + 4);
        assert_eq!(kind(img), Some(KIND_APP));
        assert_eq!(decode_app(img).unwrap(), b"solver");
        assert!(matches!(decode(img), Err(ImageError::Kind { found: 3 })));
        let mut v2 = img.to_vec();
        v2[4] = 2;
        assert!(matches!(
            decode_app(&v2),
            Err(ImageError::Version { found: 2 })
        ));
        let mut bad = img.to_vec();
        bad[14] ^= 1;
        assert!(matches!(decode_app(&bad), Err(ImageError::Crc { .. })));
        assert!(matches!(
            decode_app(&img[..n - 1]),
            Err(ImageError::Length { .. })
        ));
        assert!(matches!(
            encode_app(&mut [0u8; 8], b"solver"),
            Err(ImageError::Space { needed: 22, .. })
        ));
    }
}
