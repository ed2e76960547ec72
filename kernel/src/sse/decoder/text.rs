//! [`SharedStr`], the text of an event field.

use bytes::Bytes;
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// A UTF-8 string in a shared, reference-counted [`Bytes`] buffer, or
/// inline when short: the `data` and `id` of an [`Event`](super::Event).
///
/// A field that arrived whole in one chunk is a slice of that chunk, not a
/// copy; cloning is a reference-count increment. Values of up to
/// [`INLINE`](Self::INLINE) bytes are kept inline instead, which is cheaper
/// than counting references to them (measured: the atomic increment and
/// decrement were 40% of the cost of a tiny event) and never keeps a chunk
/// alive. It dereferences to `str` and compares with `str`, `&str` and
/// `String`.
///
/// Holding a longer one keeps the chunk it came from in memory; convert it
/// to a `String` (`to_string`, `into`) to keep it for long on its own.
///
/// ```
/// use kernel::sse::SharedStr;
///
/// let text = SharedStr::from("héllo");
/// assert_eq!(text, "héllo");
/// assert_eq!(text.len(), 6);
/// let owned: String = text.clone().into();
/// assert_eq!(owned, text);
/// ```
#[derive(Clone)]
pub struct SharedStr(Repr);

// The type is as small as `Bytes` (the tag goes in the niche of its vtable
// pointer), where words are 8 bytes: elsewhere the inline value is larger
// than `Bytes`.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<SharedStr>() == std::mem::size_of::<Bytes>());

#[derive(Clone)]
enum Repr {
    /// `len` bytes, in memory order, at the start of the words. Words
    /// rather than bytes: built in registers and stored whole, an inline
    /// value is then moved without the store-forwarding stalls that a
    /// byte-wise copy caused (measured: 60% of a tiny event's cost through
    /// a `Stream`). The length is a whole word too: a `u8` left seven
    /// bytes that moves copied as two overlapping 4-byte pieces, and a
    /// load over both stalled on store forwarding (measured: a third of a
    /// tiny event's cost through a `Stream`).
    Inline(usize, [u64; 2]),
    Shared(Bytes),
}

impl SharedStr {
    /// Values up to this many bytes are stored inline rather than shared.
    pub const INLINE: usize = 16;

    /// The empty string (no allocation).
    #[must_use]
    pub const fn new() -> Self {
        Self(Repr::Inline(0, [0; 2]))
    }

    /// A string over static text (no allocation).
    #[must_use]
    pub const fn from_static(text: &'static str) -> Self {
        Self(Repr::Shared(Bytes::from_static(text.as_bytes())))
    }

    /// `text` inline, if short enough.
    #[inline]
    fn inline(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let len = bytes.len();
        // Little-endian words of the bytes, zero past the end, read with
        // overlapping loads instead of a loop.
        let le = |at: usize, n: usize| -> u64 {
            let mut word = [0; 8];
            if let (Some(dst), Some(src)) = (word.get_mut(..n), bytes.get(at..at + n)) {
                dst.copy_from_slice(src);
            }
            u64::from_le_bytes(word)
        };
        let words = match len {
            0 => [0, 0],
            1..=3 => {
                let at = |i: usize| u64::from(bytes.get(i).copied().unwrap_or(0)) << (8 * i);
                [at(0) | at(len / 2) | at(len - 1), 0]
            }
            4..=7 => [le(0, 4) | le(len - 4, 4) << (8 * (len - 4)), 0],
            8 => [le(0, 8), 0],
            9..=16 => [le(0, 8), le(len - 8, 8) >> (8 * (16 - len))],
            _ => return None,
        };
        // In memory order whatever the platform's byte order.
        Some(Self(Repr::Inline(len, words.map(u64::to_le))))
    }

    /// The part of `owner` that `text` is, without copying (or inline).
    ///
    /// # Panics
    ///
    /// If `text` is not a part of `owner`.
    #[inline]
    pub(crate) fn slice_of(owner: &Bytes, text: &str) -> Self {
        Self::inline(text).unwrap_or_else(|| Self(Repr::Shared(owner.slice_ref(text.as_bytes()))))
    }

    /// Whether this is a slice of a larger, shared buffer (not inline, not
    /// static).
    pub(crate) fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared(_))
    }

    /// The string as a `&str`.
    #[inline]
    #[must_use]
    pub fn as_str(&self) -> &str {
        let bytes: &[u8] = match &self.0 {
            // SAFETY: `len` <= 16, the size of the words, which are plain
            // bytes in memory order (see `inline`).
            Repr::Inline(len, words) => unsafe {
                std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), *len)
            },
            Repr::Shared(bytes) => bytes,
        };
        // SAFETY: every constructor takes its bytes from a `str` (all of
        // it: `inline` copies the whole value), or checks them
        // (`TryFrom<Bytes>`), and they are never changed.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// The string as [`Bytes`]: the shared buffer, or a copy of an inline
    /// value.
    #[must_use]
    pub fn into_bytes(self) -> Bytes {
        match self.0 {
            Repr::Inline(..) => Bytes::copy_from_slice(self.as_bytes()),
            Repr::Shared(bytes) => bytes,
        }
    }
}

impl Default for SharedStr {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for SharedStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SharedStr {}

impl PartialOrd for SharedStr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SharedStr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Deref for SharedStr {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for SharedStr {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

// Hashed as a `str`, as `Borrow<str>` requires.
impl std::hash::Hash for SharedStr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for SharedStr {
    #[inline]
    fn from(text: &str) -> Self {
        Self::inline(text)
            .unwrap_or_else(|| Self(Repr::Shared(Bytes::copy_from_slice(text.as_bytes()))))
    }
}

impl From<String> for SharedStr {
    fn from(text: String) -> Self {
        Self::inline(&text).unwrap_or_else(|| Self(Repr::Shared(Bytes::from(text))))
    }
}

impl From<SharedStr> for String {
    fn from(text: SharedStr) -> Self {
        text.as_str().to_owned()
    }
}

impl From<SharedStr> for Bytes {
    fn from(text: SharedStr) -> Self {
        text.into_bytes()
    }
}

impl TryFrom<Bytes> for SharedStr {
    type Error = std::str::Utf8Error;
    /// Checks that `bytes` are UTF-8; no copy.
    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        super::parser::utf8(&bytes)?;
        Ok(Self(Repr::Shared(bytes)))
    }
}

macro_rules! eq_str {
    ($($other:ty),*) => {$(
        impl PartialEq<$other> for SharedStr {
            fn eq(&self, other: &$other) -> bool {
                self.as_str() == AsRef::<str>::as_ref(other)
            }
        }
        impl PartialEq<SharedStr> for $other {
            fn eq(&self, other: &SharedStr) -> bool {
                AsRef::<str>::as_ref(self) == other.as_str()
            }
        }
    )*};
}
eq_str!(str, &str, String);

#[cfg(test)]
mod tests {
    use super::SharedStr;
    use bytes::Bytes;

    /// Every length, inline or shared, reads back as the text it was made
    /// from: the inline packing uses overlapping loads per length range.
    #[test]
    fn every_length_reads_back() {
        let text: String = "aé€😀bcdefghijklmnopqrstuvwxyz0123456789".to_owned();
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let part = &text[..end];
            let owner = Bytes::copy_from_slice(text.as_bytes());
            let sliced = SharedStr::slice_of(&owner, std::str::from_utf8(&owner[..end]).unwrap());
            for made in [
                SharedStr::from(part),
                SharedStr::from(part.to_owned()),
                sliced,
            ] {
                assert_eq!(made.as_str(), part, "length {end}");
                assert_eq!(made.len(), end);
                assert_eq!(made.is_shared(), end > SharedStr::INLINE, "length {end}");
            }
        }
    }
}
