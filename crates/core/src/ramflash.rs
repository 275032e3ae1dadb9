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

impl<B> ErrorType for RamFlash<B> {
    type Error = OutOfBounds;
}

impl<B: AsMut<[u8]>> RamFlash<B> {
    /// The `len` bytes from `offset`, or `OutOfBounds` when they pass the end.
    fn at(&mut self, offset: u32, len: usize) -> Result<&mut [u8], OutOfBounds> {
        let start = offset as usize;
        let end = start.checked_add(len).ok_or(OutOfBounds)?;
        self.0.as_mut().get_mut(start..end).ok_or(OutOfBounds)
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> ReadNorFlash for RamFlash<B> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), OutOfBounds> {
        let src = self.at(offset, bytes.len())?;
        for (d, s) in bytes.iter_mut().zip(src.iter()) {
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
        let len = to.checked_sub(from).ok_or(OutOfBounds)?;
        self.at(from, len as usize)?.fill(0xFF);
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), OutOfBounds> {
        for (d, b) in self.at(offset, bytes.len())?.iter_mut().zip(bytes) {
            *d &= *b;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_nor_flash_inside_its_buffer() {
        let mut f = RamFlash([0u8; 8]);
        assert_eq!(f.capacity(), 8);
        f.erase(2, 6).unwrap();
        assert_eq!(f.0, [0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0]);
        f.write(3, &[0xF0, 0x0F]).unwrap();
        f.write(3, &[0x3C, 0xFF]).unwrap();
        let mut got = [0u8; 4];
        f.read(2, &mut got).unwrap();
        assert_eq!(got, [0xFF, 0x30, 0x0F, 0xFF]);
        assert_eq!(f.read(6, &mut got), Err(OutOfBounds));
        assert_eq!(f.write(u32::MAX, &[0]), Err(OutOfBounds));
        assert_eq!(f.erase(6, 2), Err(OutOfBounds));
        assert_eq!(f.erase(4, 9), Err(OutOfBounds));
    }
}
