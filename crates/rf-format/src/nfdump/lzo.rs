//! A bounded LZO1X decompressor for nfdump's LZO blocks.
//!
//! nfdump writes each block with `lzo1x_1_compress` and no length prefix. The pure-Rust
//! `lzokay-native` decoder panics on some corrupt input (back-references before the start of
//! the output) and grows its output without limit, so blocks are decoded here instead: every
//! back-reference and literal run is checked against the data present, and the output is
//! capped (nfdump's 5 MiB block buffer), so damaged files give an error, never a panic or a
//! runaway allocation. The instruction set is the one of `lzo1x_decompress_safe`.

/// Why a stream could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LzoError {
    /// The input ended inside an instruction or before the end marker.
    InputEnded,
    /// The output would exceed the cap.
    OutputTooLarge,
    /// A match refers to data before the start of the output.
    MatchBeforeStart,
}

impl std::fmt::Display for LzoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LzoError::InputEnded => "input ends inside the stream",
            LzoError::OutputTooLarge => "output larger than the block buffer",
            LzoError::MatchBeforeStart => "match before the start of the output",
        })
    }
}

struct Input<'a> {
    src: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> Result<usize, LzoError> {
        let b = *self.src.get(self.pos).ok_or(LzoError::InputEnded)?;
        self.pos += 1;
        Ok(usize::from(b))
    }

    fn le16(&mut self) -> Result<usize, LzoError> {
        Ok(self.byte()? | self.byte()? << 8)
    }

    /// The extended length of a run: 255 per zero byte, then `base` plus the non-zero byte.
    fn long_len(&mut self, base: usize) -> Result<usize, LzoError> {
        let mut zeros = 0usize;
        while *self.src.get(self.pos).ok_or(LzoError::InputEnded)? == 0 {
            zeros += 1;
            self.pos += 1;
        }
        Ok(zeros * 255 + base + self.byte()?)
    }
}

/// Decodes one LZO1X stream into `out` (cleared first), producing at most `cap` bytes.
pub(crate) fn decompress(src: &[u8], cap: usize, out: &mut Vec<u8>) -> Result<(), LzoError> {
    out.clear();
    let mut inp = Input { src, pos: 0 };
    let literals = |inp: &mut Input, out: &mut Vec<u8>, n: usize| {
        let end = inp.pos.checked_add(n).ok_or(LzoError::InputEnded)?;
        let run = inp.src.get(inp.pos..end).ok_or(LzoError::InputEnded)?;
        if out.len() + n > cap {
            return Err(LzoError::OutputTooLarge);
        }
        out.extend_from_slice(run);
        inp.pos = end;
        Ok(())
    };
    // State = literals copied by the previous instruction (4 meaning "4 or more").
    let mut state = 0usize;
    match src.first().copied().map(usize::from) {
        Some(b) if b >= 22 => {
            inp.pos = 1;
            literals(&mut inp, out, b - 17)?;
            state = 4;
        }
        Some(b) if b >= 18 => {
            inp.pos = 1;
            literals(&mut inp, out, b - 17)?;
            state = b - 17;
        }
        _ => {}
    }
    loop {
        let inst = inp.byte()?;
        let (dist, len, next);
        if inst & 0xc0 != 0 {
            // M2: 3..8 bytes within 2 KiB.
            dist = (inp.byte()? << 3) + ((inst >> 2) & 7) + 1;
            len = (inst >> 5) + 1;
            next = inst & 3;
        } else if inst & 0x20 != 0 {
            // M3: within 16 KiB.
            len = match inst & 0x1f {
                0 => inp.long_len(31)? + 2,
                l => l + 2,
            };
            let v = inp.le16()?;
            dist = (v >> 2) + 1;
            next = v & 3;
        } else if inst & 0x10 != 0 {
            // M4: 16..48 KiB, or the end marker when the distance is 0.
            len = match inst & 7 {
                0 => inp.long_len(7)? + 2,
                l => l + 2,
            };
            let v = inp.le16()?;
            let d = ((inst & 8) << 11) + (v >> 2);
            if d == 0 {
                return if len == 3 {
                    Ok(())
                } else {
                    Err(LzoError::InputEnded)
                };
            }
            dist = d + 16384;
            next = v & 3;
        } else if state == 0 {
            // A literal run of 4 or more bytes.
            let n = match inst {
                0 => inp.long_len(15)? + 3,
                l => l + 3,
            };
            literals(&mut inp, out, n)?;
            state = 4;
            continue;
        } else if state < 4 {
            // 2 bytes within 1 KiB.
            dist = (inst >> 2) + (inp.byte()? << 2) + 1;
            len = 2;
            next = inst & 3;
        } else {
            // 3 bytes at 2..3 KiB.
            dist = (inst >> 2) + (inp.byte()? << 2) + 2049;
            len = 3;
            next = inst & 3;
        }
        let start = out
            .len()
            .checked_sub(dist)
            .ok_or(LzoError::MatchBeforeStart)?;
        if out.len() + len > cap {
            return Err(LzoError::OutputTooLarge);
        }
        // Byte by byte: the source may overlap the bytes being written (run-length copies).
        for i in start..start + len {
            let b = out[i];
            out.push(b);
        }
        literals(&mut inp, out, next)?;
        state = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_reference_encoder() {
        let data: Vec<u8> = (0..200_000u32)
            .map(|i| (i % 251) as u8 ^ (i / 997) as u8)
            .chain(std::iter::repeat_n(7, 70_000))
            .collect();
        let packed = lzokay_native::compress(&data).unwrap();
        let mut out = Vec::new();
        decompress(&packed, 1 << 20, &mut out).unwrap();
        assert_eq!(out, data);
        assert_eq!(
            decompress(&packed, 1000, &mut out),
            Err(LzoError::OutputTooLarge)
        );
        assert_eq!(
            decompress(&packed[..packed.len() - 3], 1 << 20, &mut out),
            Err(LzoError::InputEnded)
        );
    }

    #[test]
    fn rejects_lookbehind_before_start() {
        // One literal run of 4 bytes, then an M2 match 2 KiB back.
        let src = [21, b'a', b'b', b'c', b'd', 0xff, 0xff, 0x11, 0, 0];
        let mut out = Vec::new();
        assert_eq!(
            decompress(&src, 1 << 20, &mut out),
            Err(LzoError::MatchBeforeStart)
        );
    }
}
