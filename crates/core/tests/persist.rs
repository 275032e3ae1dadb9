//! Learned state survives a reset: A/B slots on an in-memory NOR flash with fault
//! injection. A save is cut at every byte it writes or erases; after the "reset" the
//! restored state is always the old one or the new one, never a corrupt one.

use bitvec::prelude::*;
use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use neurochip_core::learning::{Apply, Engine, Learning};
use neurochip_core::persist::{restore, save, PersistError};
use neurochip_core::{Chip, ChipConfig, ConfigBuilder, Memory, Target};

mod common;
use common::{Arenas, SHIFTS};

#[derive(Debug)]
struct Cut;
impl NorFlashError for Cut {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::Other
    }
}

/// NOR flash in memory: erase sets bytes to 0xFF, a write can only clear bits.
/// `budget` bytes of erase or write go through, then power is "lost".
struct Flash {
    mem: Vec<u8>,
    budget: Option<usize>,
    spent: usize,
}

impl ErrorType for Flash {
    type Error = Cut;
}
impl ReadNorFlash for Flash {
    const READ_SIZE: usize = 1;
    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Cut> {
        let o = offset as usize;
        bytes.copy_from_slice(&self.mem[o..o + bytes.len()]);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.mem.len()
    }
}
impl Flash {
    /// Flash holding `mem`, power lost after `budget` bytes (never when `None`).
    fn new(mem: Vec<u8>, budget: Option<usize>) -> Self {
        Self {
            mem,
            budget,
            spent: 0,
        }
    }

    fn spend(&mut self) -> bool {
        self.spent += 1;
        match &mut self.budget {
            None => true,
            Some(0) => false,
            Some(b) => {
                *b -= 1;
                true
            }
        }
    }
}
impl NorFlash for Flash {
    const WRITE_SIZE: usize = 1;
    const ERASE_SIZE: usize = 1;
    fn erase(&mut self, from: u32, to: u32) -> Result<(), Cut> {
        for i in from as usize..to as usize {
            if !self.spend() {
                return Err(Cut);
            }
            self.mem[i] = 0xFF;
        }
        Ok(())
    }
    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Cut> {
        for (i, &b) in bytes.iter().enumerate() {
            if !self.spend() {
                return Err(Cut);
            }
            self.mem[offset as usize + i] &= b;
        }
        Ok(())
    }
}

fn config() -> ChipConfig {
    ConfigBuilder::new(4, 6, 2)
        .shifts(SHIFTS)
        .refractory(1)
        .learning(Learning {
            engine: Engine::Exact,
            apply: Apply::Sample,
            shift_in: 20,
            shift_rec: 20,
            shift_out: 20,
            shift_bias: 24,
            ..Learning::DEFAULT
        })
        .seed(5)
        .build()
        .unwrap()
}

/// A chip of `cfg` on default parameters, the weights `weights` writes and a fixed
/// eligibility gain, with its memory.
fn start(cfg: ChipConfig, weights: impl FnOnce(&mut Memory<'_>)) -> (Arenas, Chip) {
    let mut st = Arenas::with_defaults(&cfg);
    let mut mem = st.mem(&cfg);
    weights(&mut mem);
    mem.psi_gain.fill(19_661);
    let chip = Chip::new(cfg, &mem).unwrap();
    (st, chip)
}

fn advance(chip: &mut Chip, mem: &mut Memory<'_>, steps: u32, seed: u32) {
    let mut x = bitvec![u32, Lsb0; 0; 4];
    for t in 0..steps {
        for (c, mut b) in x.iter_mut().enumerate() {
            *b = (t.wrapping_mul(2_654_435_761).wrapping_add(seed) >> (c * 3)) & 3 == 0;
        }
        chip.step(mem, &x).unwrap();
        chip.learn(mem, Target::Class((t % 2) as usize)).unwrap();
    }
    chip.end_sample(mem).unwrap();
}

#[test]
fn every_cut_recovers_old_or_new_state() {
    let cfg = config();
    let (mut st, mut chip) = start(cfg, |mem| {
        for (k, w) in mem.w_in.iter_mut().chain(mem.w_rec.iter_mut()).enumerate() {
            *w = (k as i16 * 37) % 90 - 45;
        }
    });
    let slot = 4096;
    let mut flash = Flash::new(vec![0xFF; 2 * slot], None);
    // Nothing saved yet.
    {
        let mut other = Arenas::new(&cfg);
        let mut m = other.mem(&cfg);
        assert_eq!(
            restore(&mut flash, slot, cfg, &mut m).unwrap_err(),
            PersistError::NoValidSlot
        );
    }
    // The old state, saved twice so both slots hold a snapshot.
    advance(&mut chip, &mut st.mem(&cfg), 50, 1);
    save(&mut flash, slot, &chip, &st.mem(&cfg)).unwrap();
    advance(&mut chip, &mut st.mem(&cfg), 10, 2);
    save(&mut flash, slot, &chip, &st.mem(&cfg)).unwrap();
    let old = (chip.digest(), st.w16.clone(), st.w32.clone(), st.wu.clone());
    // The new state.
    advance(&mut chip, &mut st.mem(&cfg), 40, 3);
    let new = (chip.digest(), st.w16.clone(), st.w32.clone(), st.wu.clone());
    assert_ne!(old.0, new.0);
    // Count the bytes a full save touches.
    let mut probe = Flash::new(flash.mem.clone(), None);
    save(&mut probe, slot, &chip, &st.mem(&cfg)).unwrap();
    let touched = probe.spent;
    let (mut saw_old, mut saw_new) = (0, 0);
    for cut in 0..=touched {
        let mut f = Flash::new(flash.mem.clone(), Some(cut));
        let _ = save(&mut f, slot, &chip, &st.mem(&cfg));
        f.budget = None; // power back
        let mut back = Arenas::new(&cfg);
        let restored =
            restore(&mut f, slot, cfg, &mut back.mem(&cfg)).expect("a valid slot survives");
        let got = (restored.digest(), back.w16, back.w32, back.wu);
        if got == old {
            saw_old += 1;
        } else if got == new {
            saw_new += 1;
        } else {
            panic!("cut at byte {cut}: restored state is neither the old nor the new one");
        }
    }
    eprintln!("{touched} cut points: {saw_old} recovered the old state, {saw_new} the new one");
    assert!(saw_old > 0 && saw_new > 0, "old {saw_old} new {saw_new}");
}

#[test]
fn resumed_chip_continues_bit_identically() {
    let cfg = config();
    let (mut a, mut chip) = start(cfg, |mem| {
        for (k, w) in mem.w_in.iter_mut().enumerate() {
            *w = (k as i16 * 29) % 100 - 50;
        }
    });
    advance(&mut chip, &mut a.mem(&cfg), 30, 7);
    let slot = 4096;
    let mut flash = Flash::new(vec![0xFF; 2 * slot], None);
    save(&mut flash, slot, &chip, &a.mem(&cfg)).unwrap();
    // Uninterrupted: 30 more steps.
    advance(&mut chip, &mut a.mem(&cfg), 30, 8);
    // Reset, restore, the same 30 steps.
    let mut b = Arenas::new(&cfg);
    let mut resumed = restore(&mut flash, slot, cfg, &mut b.mem(&cfg)).unwrap();
    advance(&mut resumed, &mut b.mem(&cfg), 30, 8);
    assert_eq!(resumed.digest(), chip.digest());
    assert_eq!((a.w16, a.w32, a.wu), (b.w16, b.w32, b.wu));
    // A snapshot from another configuration is refused.
    let other = config().to_builder().seed(6).build().unwrap();
    let mut c = Arenas::new(&other);
    assert_eq!(
        restore(&mut flash, slot, other, &mut c.mem(&other)).unwrap_err(),
        PersistError::OtherConfig
    );
}
