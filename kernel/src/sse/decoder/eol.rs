//! Finding where a line ends, and learning on the way whether the bytes
//! before it are all ASCII: one pass that does what a line-end search and a
//! UTF-8 check did in two (measured: together they were a third of the cost
//! of a 1 KiB event). An ASCII line is valid UTF-8 without further checks.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// What [`find_eol`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Scan {
    /// Index of the first CR or LF; the length of the input if there is
    /// none (`found` is then `false`).
    pub(super) at: usize,
    pub(super) found: bool,
    /// Every byte before `at` is ASCII. `false` says nothing: the bytes
    /// must then be checked.
    pub(super) ascii: bool,
}

impl Scan {
    #[inline(always)]
    fn found(at: usize, ascii: bool) -> Self {
        Self {
            at,
            found: true,
            ascii,
        }
    }

    #[inline(always)]
    fn none(len: usize, ascii: bool) -> Self {
        Self {
            at: len,
            found: false,
            ascii,
        }
    }
}

/// The first CR or LF in `bytes`.
#[inline(always)] // measured: 12% of a tiny event's cost as a call
pub(super) fn find_eol(bytes: &[u8]) -> Scan {
    // Lines are often short (blank lines, `id: 7`, `data: x`): test the
    // first 16 bytes a word at a time before paying the setup cost of the
    // vectorized search.
    let Some((head, tail)) = bytes.split_first_chunk::<16>() else {
        return find_eol_short(bytes);
    };
    let mut high = 0;
    for (i, word) in head.as_chunks::<8>().0.iter().enumerate() {
        let word = u64::from_le_bytes(*word);
        let mask = eol_mask(word);
        if mask != 0 {
            // The lowest flag is the top bit of the line end's byte.
            let end = mask.trailing_zeros() - 7;
            let before = (1u64 << end) - 1;
            let at = i * 8 + (end / 8) as usize;
            return Scan::found(at, (high | word & before) & HI == 0);
        }
        high |= word;
    }
    let scan = find_eol_long(tail);
    Scan {
        at: scan.at + 16,
        ascii: scan.ascii && high & HI == 0,
        ..scan
    }
}

/// [`find_eol`] byte by byte, for fewer bytes than a vector.
#[inline]
fn find_eol_short(bytes: &[u8]) -> Scan {
    match bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
        Some(at) => Scan::found(at, bytes.get(..at).is_some_and(<[u8]>::is_ascii)),
        None => Scan::none(bytes.len(), bytes.is_ascii()),
    }
}

/// Marks (with the byte's top bit) the bytes of `word` equal to LF or CR.
/// Classic zero-byte test; it may also flag a byte just above a real match
/// (borrow propagation), but the lowest flag is always exact, and only the
/// lowest is used.
#[inline]
fn eol_mask(word: u64) -> u64 {
    let lf = word ^ (LO * u64::from(b'\n'));
    let cr = word ^ (LO * u64::from(b'\r'));
    ((lf.wrapping_sub(LO) & !lf) | (cr.wrapping_sub(LO) & !cr)) & HI
}

/// Bytes per vector of the AVX2 search; shorter input is scanned byte by
/// byte.
const VECTOR: usize = 32;

#[inline]
fn find_eol_long(bytes: &[u8]) -> Scan {
    if bytes.len() < VECTOR {
        return find_eol_short(bytes);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, just checked, and `bytes` holds at
        // least a vector.
        return unsafe { avx2::find_eol(bytes) };
    }
    // Without SIMD of our own, `memchr` finds the end; the line is then
    // checked as UTF-8, which is as fast as checking it for ASCII.
    match memchr::memchr2(b'\n', b'\r', bytes) {
        Some(at) => Scan::found(at, false),
        None => Scan::none(bytes.len(), false),
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Scan, VECTOR as BLOCK};
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8, _mm256_setzero_si256,
    };

    /// [`super::find_eol`] a vector at a time.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2, and `bytes` must hold at least [`BLOCK`]
    /// bytes.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn find_eol(bytes: &[u8]) -> Scan {
        let len = bytes.len();
        debug_assert!(len >= BLOCK);
        let lf = _mm256_set1_epi8(b'\n' as i8);
        let cr = _mm256_set1_epi8(b'\r' as i8);
        let eols = |v: __m256i| _mm256_or_si256(_mm256_cmpeq_epi8(v, lf), _mm256_cmpeq_epi8(v, cr));
        // SAFETY (every load): `at + BLOCK <= len`, unaligned loads.
        let load = |at: usize| unsafe { _mm256_loadu_si256(bytes.as_ptr().add(at).cast()) };
        // The top bits of every byte before the current vector.
        let mut high = _mm256_setzero_si256();
        let mut at = 0;
        // Two vectors a turn while no line end is in sight.
        while at + 2 * BLOCK <= len {
            let (a, b) = (load(at), load(at + BLOCK));
            if _mm256_movemask_epi8(_mm256_or_si256(eols(a), eols(b))) != 0 {
                break;
            }
            high = _mm256_or_si256(high, _mm256_or_si256(a, b));
            at += 2 * BLOCK;
        }
        loop {
            // The last vector ends at the end of `bytes`, overlapping bytes
            // already seen: they hold no line end, and their top bits are
            // already in `high`.
            let start = at.min(len - BLOCK);
            let v = load(start);
            let found = _mm256_movemask_epi8(eols(v)) as u32;
            if found != 0 {
                let end = found.trailing_zeros();
                let before = (1u32 << end) - 1;
                let ascii = _mm256_movemask_epi8(high) == 0
                    && (_mm256_movemask_epi8(v) as u32) & before == 0;
                return Scan::found(start + end as usize, ascii);
            }
            if start + BLOCK >= len {
                let ascii = _mm256_movemask_epi8(_mm256_or_si256(high, v)) == 0;
                return Scan::none(len, ascii);
            }
            high = _mm256_or_si256(high, v);
            at = start + BLOCK;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `find_eol` must say, byte by byte.
    fn reference(bytes: &[u8]) -> Scan {
        let at = bytes
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(bytes.len());
        Scan {
            at,
            found: at < bytes.len(),
            ascii: bytes[..at].is_ascii(),
        }
    }

    fn check(bytes: &[u8]) {
        let got = find_eol(bytes);
        let want = reference(bytes);
        assert_eq!((got.at, got.found), (want.at, want.found), "{bytes:?}");
        // `ascii` may be too cautious, never wrong.
        assert!(
            !got.ascii || want.ascii,
            "non-ASCII taken for ASCII: {bytes:?}"
        );
        // Our own scans are exact; only a long line without AVX2 is left
        // to the UTF-8 check.
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            assert_eq!(got.ascii, want.ascii, "{bytes:?}");
        }
    }

    #[test]
    fn every_line_end_and_high_byte_position() {
        for len in 0..200 {
            let line = vec![b'x'; len];
            check(&line);
            for high in 0..len {
                let mut with = line.clone();
                with[high] = 0xC3;
                check(&with);
            }
            for end in 0..len {
                for eol in [b'\n', b'\r'] {
                    let mut bytes = line.clone();
                    bytes[end] = eol;
                    check(&bytes);
                    // One byte with its top bit set, before, at and after
                    // the line end, and a second line end after it.
                    for high in [end.saturating_sub(1), end + 1, 0, len - 1, end / 2] {
                        let mut with = bytes.clone();
                        if high < len && high != end {
                            with[high] = 0xC3;
                            check(&with);
                            with.push(b'\n');
                            check(&with);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn random_lines() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 300) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| match next() % 64 {
                    0 => b'\n',
                    1 => b'\r',
                    2 => 0x80 | (next() as u8),
                    _ => b' ' + (next() % 90) as u8,
                })
                .collect();
            check(&bytes);
        }
    }
}
