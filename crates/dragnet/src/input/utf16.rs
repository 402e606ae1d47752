//! Reading UTF-16 text as UTF-8.
//!
//! Windows PowerShell 5.1 writes UTF-16LE with a byte-order mark from `Out-File` and the `>`
//! redirection operator, so an audit log saved with `Search-UnifiedAuditLog ... > audit.json`
//! arrives in that encoding. Every record reader expects UTF-8.

use std::io::{self, BufRead, Read};

/// Bytes read from the inner reader per refill.
const CHUNK_BYTES: usize = 8 * 1024;

/// The byte order of a UTF-16 stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ByteOrder {
    Little,
    Big,
}

/// Returns the byte order that `head` announces with a UTF-16 byte-order mark, or `None`
/// when it starts with no such mark. `FF FE 00 00`, the UTF-32LE mark, is not UTF-16.
pub(super) fn byte_order_mark(head: &[u8]) -> Option<ByteOrder> {
    match head {
        [0xff, 0xfe, 0x00, 0x00, ..] => None,
        [0xff, 0xfe, ..] => Some(ByteOrder::Little),
        [0xfe, 0xff, ..] => Some(ByteOrder::Big),
        _ => None,
    }
}

/// A reader that decodes UTF-16 from `inner` and returns it as UTF-8. A byte-order mark at
/// the start is dropped, an unpaired surrogate or a trailing odd byte becomes U+FFFD.
pub(super) struct Utf16Reader<R> {
    inner: R,
    order: ByteOrder,
    /// UTF-8 bytes decoded but not yet returned, from `pending_start` on.
    pending: Vec<u8>,
    pending_start: usize,
    /// The first byte of a code unit whose second byte is in the next chunk.
    odd_byte: Option<u8>,
    /// A high surrogate whose low surrogate is in the next chunk.
    high_surrogate: Option<u16>,
    at_start: bool,
    at_end: bool,
}

impl<R: BufRead> Utf16Reader<R> {
    pub(super) fn new(inner: R, order: ByteOrder) -> Utf16Reader<R> {
        Utf16Reader {
            inner,
            order,
            pending: Vec::new(),
            pending_start: 0,
            odd_byte: None,
            high_surrogate: None,
            at_start: true,
            at_end: false,
        }
    }

    /// Decodes the next chunk of `inner` into `pending`. At the end of `inner`, it writes
    /// U+FFFD for a code unit or surrogate pair left incomplete.
    fn refill(&mut self) -> io::Result<()> {
        self.pending.clear();
        self.pending_start = 0;
        let chunk = self.inner.fill_buf()?;
        if chunk.is_empty() {
            self.at_end = true;
            if self.high_surrogate.take().is_some() {
                self.push_char(char::REPLACEMENT_CHARACTER);
            }
            if self.odd_byte.take().is_some() {
                self.push_char(char::REPLACEMENT_CHARACTER);
            }
            return Ok(());
        }
        let length = chunk.len().min(CHUNK_BYTES);
        let mut bytes = Vec::with_capacity(length + 1);
        bytes.extend(self.odd_byte.take());
        bytes.extend_from_slice(&chunk[..length]);
        self.inner.consume(length);

        let mut pairs = bytes.chunks_exact(2);
        for pair in pairs.by_ref() {
            let unit = match self.order {
                ByteOrder::Little => u16::from_le_bytes([pair[0], pair[1]]),
                ByteOrder::Big => u16::from_be_bytes([pair[0], pair[1]]),
            };
            self.push_unit(unit);
        }
        self.odd_byte = pairs.remainder().first().copied();
        Ok(())
    }

    fn push_unit(&mut self, unit: u16) {
        if std::mem::take(&mut self.at_start) && unit == 0xfeff {
            return;
        }
        if let Some(high) = self.high_surrogate.take() {
            if (0xdc00..=0xdfff).contains(&unit) {
                let code =
                    0x10000 + ((u32::from(high) - 0xd800) << 10) + (u32::from(unit) - 0xdc00);
                self.push_char(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                return;
            }
            self.push_char(char::REPLACEMENT_CHARACTER);
        }
        if (0xd800..=0xdbff).contains(&unit) {
            self.high_surrogate = Some(unit);
            return;
        }
        // A low surrogate here has no high surrogate before it, and `from_u32` rejects it.
        self.push_char(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER));
    }

    fn push_char(&mut self, c: char) {
        let mut utf8 = [0; 4];
        self.pending.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
    }
}

impl<R: BufRead> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // A chunk may decode to nothing (a lone byte, a pending surrogate), so refill until
        // there is output or the input ends.
        while self.pending_start == self.pending.len() && !self.at_end {
            self.refill()?;
        }
        let available = &self.pending[self.pending_start..];
        let count = available.len().min(buf.len());
        buf[..count].copy_from_slice(&available[..count]);
        self.pending_start += count;
        Ok(count)
    }
}
