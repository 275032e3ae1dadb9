//! Learned state that survives a reset: the whole chip state (registers and every
//! memory) saved to flash in two slots, A and B, through the `embedded-storage`
//! [`NorFlash`] traits.
//!
//! Slot layout (little endian), each slot `slot_size` bytes, A at 0 and B at
//! `slot_size`:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `NCSS` |
//! | 4 | 2 | format version (1) |
//! | 6 | 2 | kind (2 = snapshot) |
//! | 8 | 4 | sequence number |
//! | 12 | 4 | payload length `P` |
//! | 16 | `P` | payload: configuration hash, PRNG, step count, digest, a caller word, arena lengths, arenas |
//! | 16 + P | 4 | CRC-32 of bytes `0 .. 16 + P` |
//!
//! A save erases the slot that does not hold the newest valid state, writes the
//! payload, the CRC and the header last. A write cut at any byte leaves that slot
//! invalid (its CRC fails) and the other slot, holding the previous state, is
//! restored: recovery yields the old or the new state, never a corrupt one.

use bitvec::field::BitField;
use embedded_storage::nor_flash::NorFlash;

use crate::chip::Chip;
use crate::digest::Digest;
use crate::image::{self, crc32_update, ImageError, Writer};
use crate::memory::Memory;
use crate::prng::Prng;
use crate::semantic::{self, Invalid};
use crate::ChipConfig;

const MAGIC: [u8; 4] = *b"NCSS";
/// Kind code of a snapshot.
pub const KIND_SNAPSHOT: u16 = 2;
const HEAD: usize = 16;
const CHUNK: usize = 64;

/// Why a save or restore failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PersistError {
    /// The flash driver failed.
    #[error("flash driver error")]
    Flash,
    /// The state does not fit a slot.
    #[error("state of {needed} bytes does not fit a {slot}-byte slot")]
    TooLarge {
        /// Bytes needed.
        needed: usize,
        /// Slot size.
        slot: usize,
    },
    /// No slot holds a valid snapshot.
    #[error("no valid snapshot in either slot")]
    NoValidSlot,
    /// The snapshot was saved by a chip with another configuration.
    #[error("the snapshot belongs to a chip with another configuration")]
    OtherConfig,
    /// The memory given does not match the snapshot.
    #[error("the snapshot's memories do not match the chip")]
    Layout,
    /// The snapshot holds a value no chip can ([`crate::semantic`]); the memory then
    /// holds the snapshot's words unchecked.
    #[error("snapshot {0}")]
    Invalid(Invalid),
}

/// A hash of a configuration (CRC-32 of its image encoding).
pub fn config_hash(cfg: &ChipConfig) -> u32 {
    let mut buf = [0u8; 96];
    let mut w = Writer::new(&mut buf);
    image::put_config(&mut w, cfg);
    let n = w.len().min(96);
    image::crc32(buf.get(..n).unwrap_or(&[]))
}

/// Bytes of a snapshot payload for `mem`.
pub fn payload_len(mem: &Memory<'_>) -> usize {
    let l = mem.layout;
    // hash, PRNG, steps, digest, user word, three arena lengths, then the arenas.
    40usize
        .saturating_add(l.words16().saturating_mul(2))
        .saturating_add(l.words32().saturating_add(l.wordsu()).saturating_mul(4))
}

/// Streams bytes into flash in `CHUNK`-sized aligned writes, computing the CRC.
struct FlashWriter<'f, F: NorFlash> {
    flash: &'f mut F,
    at: u32,
    buf: [u8; CHUNK],
    n: usize,
    crc: u32,
    err: bool,
}

impl<F: NorFlash> FlashWriter<'_, F> {
    fn put(&mut self, bytes: &[u8]) {
        self.crc = crc32_update(self.crc, bytes);
        for &b in bytes {
            if let Some(slot) = self.buf.get_mut(self.n) {
                *slot = b;
            }
            self.n = self.n.saturating_add(1);
            if self.n == CHUNK {
                self.flush();
            }
        }
    }
    fn flush(&mut self) {
        if self.n == 0 {
            return;
        }
        // Pad to the write size with the erased value.
        let ws = F::WRITE_SIZE.max(1);
        let len = self.n.div_ceil(ws).saturating_mul(ws).min(CHUNK);
        for b in self.buf.iter_mut().take(len).skip(self.n) {
            *b = 0xFF;
        }
        if self
            .flash
            .write(self.at, self.buf.get(..len).unwrap_or(&[]))
            .is_err()
        {
            self.err = true;
        }
        self.at = self.at.saturating_add(self.n as u32);
        self.n = 0;
    }
}

fn write_state<F: NorFlash>(
    w: &mut FlashWriter<'_, F>,
    hash: u32,
    chip: &Chip,
    mem: &Memory<'_>,
    user: u32,
) {
    w.put(&hash.to_le_bytes());
    w.put(&chip.prng().state().to_le_bytes());
    w.put(&chip.steps().to_le_bytes());
    w.put(&chip.digest().to_le_bytes());
    w.put(&user.to_le_bytes());
    let l = mem.layout;
    for n in [l.words16(), l.words32(), l.wordsu()] {
        w.put(&(n as u32).to_le_bytes());
    }
    for s in [&*mem.w_in, &*mem.w_rec, &*mem.w_out, &*mem.b_fb] {
        for &x in s {
            w.put(&x.to_le_bytes());
        }
    }
    for_each_i32(mem, |x| w.put(&x.to_le_bytes()));
    for_each_u32(mem, |x| w.put(&x.to_le_bytes()));
}

/// Every `i32` word of the memory in arena order.
fn for_each_i32(mem: &Memory<'_>, mut f: impl FnMut(i32)) {
    for s in [
        &*mem.v,
        &*mem.thr,
        &*mem.beta,
        &*mem.refr,
        &*mem.acc_in,
        &*mem.acc_rec,
        &*mem.y,
        &*mem.bias,
        &*mem.acc_out,
        &*mem.l,
        &*mem.err,
        &*mem.ebar_in,
        &*mem.ebar_rec,
        &*mem.eps_in,
        &*mem.eps_rec,
        &*mem.g_in,
        &*mem.g_rec,
        &*mem.g_out,
        &*mem.g_bias,
    ] {
        for &x in s {
            f(x);
        }
    }
}

fn for_each_u32(mem: &Memory<'_>, mut f: impl FnMut(u32)) {
    for s in [&*mem.alpha, &*mem.rho, &*mem.b, &*mem.kappa] {
        for &x in s {
            f(x);
        }
    }
    for bits in [
        &*mem.z,
        &*mem.exc,
        &*mem.mask_in,
        &*mem.mask_rec,
        &*mem.mask_out,
    ] {
        for c in bits.chunks(32) {
            f(c.load_le::<u32>());
        }
    }
    for s in [
        &*mem.xbar,
        &*mem.zbar,
        &*mem.zk,
        &*mem.psi,
        &*mem.psi_gain,
        &*mem.rbar,
        &*mem.tclass,
        &*mem.kclass,
    ] {
        for &x in s {
            f(x);
        }
    }
}

/// A slot's header if the slot is valid (magic, version, kind, length, CRC).
fn slot_valid<F: NorFlash>(flash: &mut F, base: u32, slot: usize) -> Option<(u32, u32)> {
    let mut h = [0u8; HEAD];
    flash.read(base, &mut h).ok()?;
    let le32 = |i: usize| {
        let mut a = [0u8; 4];
        a.copy_from_slice(h.get(i..i.saturating_add(4))?);
        Some(u32::from_le_bytes(a))
    };
    if h.get(..4)? != MAGIC
        || h.get(4..6)? != image::VERSION.to_le_bytes()
        || h.get(6..8)? != KIND_SNAPSHOT.to_le_bytes()
    {
        return None;
    }
    let seq = le32(8)?;
    let len = le32(12)?;
    if (len as usize).saturating_add(HEAD + 4) > slot {
        return None;
    }
    let mut crc = crc32_update(0, &h);
    let mut buf = [0u8; CHUNK];
    let mut off = 0u32;
    while off < len {
        let n = (len.saturating_sub(off) as usize).min(CHUNK);
        let chunk = buf.get_mut(..n)?;
        flash
            .read(base.saturating_add(HEAD as u32).saturating_add(off), chunk)
            .ok()?;
        crc = crc32_update(crc, chunk);
        off = off.saturating_add(n as u32);
    }
    let mut c = [0u8; 4];
    flash
        .read(base.saturating_add(HEAD as u32).saturating_add(len), &mut c)
        .ok()?;
    (u32::from_le_bytes(c) == crc).then_some((seq, len))
}

/// The newest valid slot: `(base offset, sequence, payload length)`.
pub fn newest<F: NorFlash>(flash: &mut F, slot: usize) -> Option<(u32, u32, u32)> {
    let a = slot_valid(flash, 0, slot).map(|(s, l)| (0u32, s, l));
    let b = slot_valid(flash, slot as u32, slot).map(|(s, l)| (slot as u32, s, l));
    match (a, b) {
        (Some(x), Some(y)) => Some(if (y.1.wrapping_sub(x.1) as i32) > 0 {
            y
        } else {
            x
        }),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Save the chip state into the slot that does not hold the newest valid snapshot.
/// Returns the sequence number written.
pub fn save<F: NorFlash>(
    flash: &mut F,
    slot: usize,
    chip: &Chip,
    mem: &Memory<'_>,
) -> Result<u32, PersistError> {
    save_with(flash, slot, chip, mem, 0)
}

/// [`save`] with a caller word stored beside the state (the host stores its position
/// in a training plan there).
pub fn save_with<F: NorFlash>(
    flash: &mut F,
    slot: usize,
    chip: &Chip,
    mem: &Memory<'_>,
    user: u32,
) -> Result<u32, PersistError> {
    let len = payload_len(mem);
    let needed = len.saturating_add(HEAD + 4);
    if needed > slot || slot.saturating_mul(2) > flash.capacity() {
        return Err(PersistError::TooLarge { needed, slot });
    }
    let (base, seq) = match newest(flash, slot) {
        Some((b, s, _)) => (if b == 0 { slot as u32 } else { 0 }, s.wrapping_add(1)),
        None => (0, 1),
    };
    flash
        .erase(base, base.saturating_add(slot as u32))
        .map_err(|_| PersistError::Flash)?;
    let mut head = [0u8; HEAD];
    head[..4].copy_from_slice(&MAGIC);
    head[4..6].copy_from_slice(&image::VERSION.to_le_bytes());
    head[6..8].copy_from_slice(&KIND_SNAPSHOT.to_le_bytes());
    head[8..12].copy_from_slice(&seq.to_le_bytes());
    head[12..16].copy_from_slice(&(len as u32).to_le_bytes());
    let mut w = FlashWriter {
        flash,
        at: base.saturating_add(HEAD as u32),
        buf: [0; CHUNK],
        n: 0,
        crc: crc32_update(0, &head),
        err: false,
    };
    write_state(&mut w, config_hash(chip.config()), chip, mem, user);
    w.flush();
    let crc = w.crc;
    let err = w.err;
    let flash = w.flash;
    if err {
        return Err(PersistError::Flash);
    }
    flash
        .write(
            base.saturating_add(len.saturating_add(HEAD) as u32),
            &crc.to_le_bytes(),
        )
        .map_err(|_| PersistError::Flash)?;
    // The header last: until it is written the slot reads as erased.
    flash.write(base, &head).map_err(|_| PersistError::Flash)?;
    Ok(seq)
}

struct FlashReader<'f, F: NorFlash> {
    flash: &'f mut F,
    at: u32,
    err: bool,
}

impl<F: NorFlash> FlashReader<'_, F> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        if self.flash.read(self.at, &mut b).is_err() {
            self.err = true;
        }
        self.at = self.at.saturating_add(N as u32);
        b
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take::<4>())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take::<8>())
    }
}

/// Restore the newest valid snapshot into `mem` and return the chip registers.
pub fn restore<F: NorFlash>(
    flash: &mut F,
    slot: usize,
    cfg: ChipConfig,
    mem: &mut Memory<'_>,
) -> Result<Chip, PersistError> {
    restore_with(flash, slot, cfg, mem).map(|(c, _)| c)
}

/// [`restore`], also returning the caller word given to [`save_with`].
pub fn restore_with<F: NorFlash>(
    flash: &mut F,
    slot: usize,
    cfg: ChipConfig,
    mem: &mut Memory<'_>,
) -> Result<(Chip, u32), PersistError> {
    let (base, _, len) = newest(flash, slot).ok_or(PersistError::NoValidSlot)?;
    if len as usize != payload_len(mem) || mem.layout != cfg.layout() {
        return Err(PersistError::Layout);
    }
    let mut r = FlashReader {
        flash,
        at: base.saturating_add(HEAD as u32),
        err: false,
    };
    if r.u32() != config_hash(&cfg) {
        return Err(PersistError::OtherConfig);
    }
    let prng = Prng::from_state(r.u32());
    let steps = r.u64();
    let digest = Digest::from_value(r.u64());
    let user = r.u32();
    let l = mem.layout;
    if [r.u32(), r.u32(), r.u32()] != [l.words16() as u32, l.words32() as u32, l.wordsu() as u32] {
        return Err(PersistError::Layout);
    }
    for s in [
        &mut *mem.w_in,
        &mut *mem.w_rec,
        &mut *mem.w_out,
        &mut *mem.b_fb,
    ] {
        for x in s.iter_mut() {
            *x = i16::from_le_bytes(r.take::<2>());
        }
    }
    for s in [
        &mut *mem.v,
        &mut *mem.thr,
        &mut *mem.beta,
        &mut *mem.refr,
        &mut *mem.acc_in,
        &mut *mem.acc_rec,
        &mut *mem.y,
        &mut *mem.bias,
        &mut *mem.acc_out,
        &mut *mem.l,
        &mut *mem.err,
        &mut *mem.ebar_in,
        &mut *mem.ebar_rec,
        &mut *mem.eps_in,
        &mut *mem.eps_rec,
        &mut *mem.g_in,
        &mut *mem.g_rec,
        &mut *mem.g_out,
        &mut *mem.g_bias,
    ] {
        for x in s.iter_mut() {
            *x = r.u32() as i32;
        }
    }
    for s in [&mut *mem.alpha, &mut *mem.rho, &mut *mem.b, &mut *mem.kappa] {
        for x in s.iter_mut() {
            *x = r.u32();
        }
    }
    let mut padding = Ok(());
    let (_, names) = l.bit_vectors();
    for (bits, (key, len)) in [
        &mut *mem.z,
        &mut *mem.exc,
        &mut *mem.mask_in,
        &mut *mem.mask_rec,
        &mut *mem.mask_out,
    ]
    .into_iter()
    .zip(names)
    {
        for c in bits.chunks_mut(32) {
            let word = r.u32();
            // Bits past the vector's end, in its last word, are 0 (`check_padding`).
            let pad = word.checked_shr(c.len() as u32).unwrap_or(0);
            if pad != 0 && padding.is_ok() {
                padding = Err(semantic::padding(key, len, pad));
            }
            c.store_le::<u32>(word);
        }
    }
    for s in [
        &mut *mem.xbar,
        &mut *mem.zbar,
        &mut *mem.zk,
        &mut *mem.psi,
        &mut *mem.psi_gain,
        &mut *mem.rbar,
        &mut *mem.tclass,
        &mut *mem.kclass,
    ] {
        for x in s.iter_mut() {
            *x = r.u32();
        }
    }
    if r.err {
        return Err(PersistError::Flash);
    }
    padding
        .and_then(|()| semantic::check_memory(&cfg, mem))
        .map_err(PersistError::Invalid)?;
    Ok((Chip::from_registers(cfg, prng, steps, digest), user))
}

/// Decode errors of images reuse [`ImageError`]; kept here for one import path.
pub type Error = ImageError;
