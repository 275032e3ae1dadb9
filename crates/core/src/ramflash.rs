//! NOR flash in RAM, for [`crate::persist`] where there is no flash chip: the host
//! keeps it in a `Vec<u8>`, the firmware in a static array that survives a reset.
//!
//! It behaves like NOR flash: an erase sets bytes to 0xFF, a write can only clear
//! bits (the byte written is and-ed in), reads, writes and erases go byte by byte.
//! An access outside the buffer fails with [`OutOfBounds`]; nothing else fails.

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// NOR flash over the byte buffer `B` (`Vec<u8>`, `&mut [u8; N]`, ...).
pub struct RamFlash<B>(pub B);

/// An access outside a [`RamFlash`]'s buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfBounds;

impl NorFlashError for OutOfBounds {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::OutOfBounds
    }
}

/// `len` bytes from `offset`, or `OutOfBounds` when that passes the end of memory.
fn bytes_at(offset: u32, len: usize) -> Result<core::ops::Range<usize>, OutOfBounds> {
    let start = offset as usize;
    let end = start.checked_add(len).ok_or(OutOfBounds)?;
    Ok(start..end)
}

impl<B> ErrorType for RamFlash<B> {
    type Error = OutOfBounds;
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> ReadNorFlash for RamFlash<B> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), OutOfBounds> {
        let src = self
            .0
            .as_ref()
            .get(bytes_at(offset, bytes.len())?)
            .ok_or(OutOfBounds)?;
        for (d, s) in bytes.iter_mut().zip(src) {
            *d = *s;
        }
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.0.as_ref().len()
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> NorFlash for RamFlash<B> {
    const WRITE_SIZE: usize = 1;
    const ERASE_SIZE: usize = 1;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), OutOfBounds> {
        self.0
            .as_mut()
            .get_mut(from as usize..to as usize)
            .ok_or(OutOfBounds)?
            .fill(0xFF);
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), OutOfBounds> {
        let dst = self
            .0
            .as_mut()
            .get_mut(bytes_at(offset, bytes.len())?)
            .ok_or(OutOfBounds)?;
        for (d, b) in dst.iter_mut().zip(bytes) {
            *d &= *b;
        }
        Ok(())
    }
}
