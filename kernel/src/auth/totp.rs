//! RFC 6238 time-based one-time passwords, generated locally from a base32
//! secret, or fetched from Kernel for a stored credential.

use crate::error::{Error, Result};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A TOTP generator (SHA-1, 6 digits, 30 s steps: what sites use).
///
/// ```
/// let totp = kernel::auth::Totp::from_base32("JBSWY3DPEHPK3PXP").unwrap();
/// let code = totp.code_at(std::time::UNIX_EPOCH + std::time::Duration::from_secs(59));
/// assert_eq!(code.len(), 6);
/// ```
#[derive(Clone)]
pub struct Totp {
    /// The raw key. `Debug` is written by hand below and never shows it.
    key: Vec<u8>,
    digits: u32,
    step: Duration,
}

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Totp")
            .field("key", &"[redacted]")
            .field("digits", &self.digits)
            .field("step", &self.step)
            .finish()
    }
}

impl Totp {
    /// A generator for a base32 secret (RFC 4648; case, spaces, dashes and
    /// padding ignored), as sites show it next to their QR code.
    pub fn from_base32(secret: &str) -> Result<Self> {
        let key = base32_decode(secret)
            .ok_or_else(|| Error::InvalidRequest("the TOTP secret is not valid base32".into()))?;
        Ok(Self::from_key(key))
    }

    /// A generator for a raw key.
    pub fn from_key(key: Vec<u8>) -> Self {
        Self {
            key,
            digits: 6,
            step: Duration::from_secs(30),
        }
    }

    /// Codes with `digits` digits (6 to 8).
    pub fn digits(mut self, digits: u32) -> Self {
        self.digits = digits.clamp(6, 8);
        self
    }

    /// The code for time `at`.
    pub fn code_at(&self, at: SystemTime) -> String {
        let counter = at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
            / self.step.as_secs().max(1);
        self.hotp(counter)
    }

    /// The code for now.
    pub fn now(&self) -> String {
        self.code_at(SystemTime::now())
    }

    /// RFC 4226 HOTP for `counter`.
    fn hotp(&self, counter: u64) -> String {
        let mut mac =
            <Hmac<Sha1> as Mac>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(&counter.to_be_bytes());
        let hash = mac.finalize().into_bytes();
        let offset = (hash[hash.len() - 1] & 0x0f) as usize;
        let binary = u32::from_be_bytes([
            hash[offset] & 0x7f,
            hash[offset + 1],
            hash[offset + 2],
            hash[offset + 3],
        ]);
        let code = binary % 10u32.pow(self.digits);
        format!("{code:0width$}", width = self.digits as usize)
    }
}

/// RFC 4648 base32 (no `=` needed), case-insensitive; spaces and dashes
/// ignored. `None` on any other character.
pub(crate) fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars() {
        let value = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u32 - 'A' as u32,
            c @ '2'..='7' => c as u32 - '2' as u32 + 26,
            ' ' | '-' | '=' => continue,
            _ => return None,
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits, key "12345678901234567890").
    #[test]
    fn rfc6238_vectors() {
        let totp = Totp::from_key(b"12345678901234567890".to_vec()).digits(8);
        for (secs, code) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(
                totp.code_at(UNIX_EPOCH + Duration::from_secs(secs)),
                code,
                "T={secs}"
            );
        }
    }

    /// RFC 4226 Appendix D: HOTP values for counters 0..9 (6 digits).
    #[test]
    fn rfc4226_vectors() {
        let totp = Totp::from_key(b"12345678901234567890".to_vec());
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(totp.hotp(counter as u64), *code);
        }
    }

    #[test]
    fn base32_forms() {
        // "12345678901234567890" in base32.
        let b32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(base32_decode(b32).unwrap(), b"12345678901234567890");
        assert_eq!(
            base32_decode(&b32.to_lowercase()).unwrap(),
            b"12345678901234567890"
        );
        assert_eq!(
            base32_decode("GEZD GNBV-GY3T QOJQ GEZD GNBV GY3T QOJQ").unwrap(),
            b"12345678901234567890"
        );
        assert_eq!(base32_decode("MZXW6===").unwrap(), b"foo");
        assert!(base32_decode("not base32!").is_none());
        assert!(Totp::from_base32("1111").is_err());
    }

    #[test]
    fn debug_redacts_the_key() {
        let totp = Totp::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let debug = format!("{totp:?}");
        assert!(
            !debug.contains("JBSWY3DPEHPK3PXP") && !debug.contains("48656c6c6f"),
            "{debug}"
        );
    }
}
