//! RFC 4226 HOTP and RFC 6238 TOTP (HMAC-SHA-1, 30 s steps, 6 digits), and
//! RFC 4648 base32 decoding, as used for credential `totp_secret`s.
//!
//! ```
//! // The code a user would read from an authenticator app for the default
//! // sites' secret, to submit to `totp.example`:
//! let code = kernel_mock::totp::code_now(kernel_mock::sites::TOTP_SECRET).unwrap();
//! assert_eq!(code.len(), 6);
//! assert_eq!(kernel_mock::totp::code_at("JBSWY3DPEHPK3PXP", 59).unwrap(), "996554");
//! ```

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// The TOTP time step in seconds.
pub const STEP_SECONDS: u64 = 30;
/// Digits of a TOTP code.
pub const DIGITS: u32 = 6;

/// A `totp_secret` that is not valid base32.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidSecret(String);

impl fmt::Display for InvalidSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid base32 TOTP secret: {}", self.0)
    }
}

impl std::error::Error for InvalidSecret {}

/// Decodes RFC 4648 base32: case-insensitive, `=` padding optional, spaces
/// and `-` ignored. An empty secret is invalid.
pub fn decode_base32(secret: &str) -> Result<Vec<u8>, InvalidSecret> {
    let mut bits: u64 = 0;
    let mut nbits = 0u32;
    let mut out = Vec::new();
    let mut seen_padding = false;
    let mut symbols = 0usize;
    for c in secret.chars() {
        if c.is_whitespace() || c == '-' {
            continue;
        }
        if c == '=' {
            seen_padding = true;
            continue;
        }
        if seen_padding {
            return Err(InvalidSecret("data after padding".into()));
        }
        let value = match c.to_ascii_uppercase() {
            u @ 'A'..='Z' => u as u64 - 'A' as u64,
            d @ '2'..='7' => d as u64 - '2' as u64 + 26,
            other => return Err(InvalidSecret(format!("unexpected character {other:?}"))),
        };
        symbols += 1;
        bits = (bits << 5) | value;
        nbits += 5;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    if symbols == 0 {
        return Err(InvalidSecret("empty secret".into()));
    }
    // A final group of 1, 3 or 6 symbols cannot encode whole bytes.
    if matches!(symbols % 8, 1 | 3 | 6) {
        return Err(InvalidSecret("truncated final group".into()));
    }
    Ok(out)
}

/// RFC 4226 HOTP of `key` at `counter` with `digits` digits (HMAC-SHA-1).
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(key) else {
        return "0".repeat(digits as usize);
    };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[hash.len() - 1] & 0x0f) as usize;
    let binary = (u32::from(hash[offset]) & 0x7f) << 24
        | u32::from(hash[offset + 1]) << 16
        | u32::from(hash[offset + 2]) << 8
        | u32::from(hash[offset + 3]);
    let modulus = 10u64.pow(digits);
    format!(
        "{:0width$}",
        u64::from(binary) % modulus,
        width = digits as usize
    )
}

/// RFC 6238 TOTP of raw `key` at Unix time `unix_secs` with `digits` digits.
pub fn totp_raw(key: &[u8], unix_secs: u64, digits: u32) -> String {
    hotp(key, unix_secs / STEP_SECONDS, digits)
}

/// The 6-digit TOTP code of base32 `secret` at Unix time `unix_secs`.
pub fn code_at(secret: &str, unix_secs: u64) -> Result<String, InvalidSecret> {
    Ok(totp_raw(&decode_base32(secret)?, unix_secs, DIGITS))
}

/// The current 6-digit TOTP code of base32 `secret`.
pub fn code_now(secret: &str) -> Result<String, InvalidSecret> {
    code_at(secret, now_unix())
}

/// `true` when `code` is the code of `secret` at `unix_secs` or one step
/// before or after it.
pub fn verify(secret: &str, code: &str, unix_secs: u64) -> bool {
    let Ok(key) = decode_base32(secret) else {
        return false;
    };
    let code = code.trim();
    [
        unix_secs.saturating_sub(STEP_SECONDS),
        unix_secs,
        unix_secs + STEP_SECONDS,
    ]
    .iter()
    .any(|t| totp_raw(&key, *t, DIGITS) == code)
}

/// Unix time at which the current code of any secret expires.
pub fn current_expiry(unix_secs: u64) -> u64 {
    (unix_secs / STEP_SECONDS + 1) * STEP_SECONDS
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits, key "12345678901234567890").
    #[test]
    fn rfc6238_appendix_b_sha1() {
        let key = b"12345678901234567890";
        let vectors = [
            (59u64, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ];
        for (t, expected) in vectors {
            assert_eq!(totp_raw(key, t, 8), expected, "T = {t}");
        }
    }

    /// RFC 4226 Appendix D.
    #[test]
    fn rfc4226_appendix_d() {
        let key = b"12345678901234567890";
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(key, counter as u64, 6), *code);
        }
    }

    #[test]
    fn base32_rfc4648_vectors() {
        let cases = [
            ("MY======", "f"),
            ("MZXQ====", "fo"),
            ("MZXW6===", "foo"),
            ("MZXW6YQ=", "foob"),
            ("MZXW6YTB", "fooba"),
            ("MZXW6YTBOI======", "foobar"),
        ];
        for (encoded, decoded) in cases {
            assert_eq!(decode_base32(encoded).unwrap(), decoded.as_bytes());
            assert_eq!(
                decode_base32(encoded.trim_end_matches('=')).unwrap(),
                decoded.as_bytes()
            );
            assert_eq!(
                decode_base32(&encoded.to_lowercase()).unwrap(),
                decoded.as_bytes()
            );
        }
        // The RFC 6238 key, base32-encoded, with spaces.
        assert_eq!(
            decode_base32("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ").unwrap(),
            b"12345678901234567890"
        );
        assert!(decode_base32("").is_err());
        assert!(decode_base32("1").is_err());
        assert!(decode_base32("M").is_err());
        assert!(decode_base32("MY=A").is_err());
    }

    #[test]
    fn verify_accepts_one_step_of_skew() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let now = 1_234_567_890;
        let code = code_at(secret, now).unwrap();
        assert!(verify(secret, &code, now));
        assert!(verify(secret, &code, now + STEP_SECONDS));
        assert!(verify(secret, &code, now - STEP_SECONDS));
        assert!(!verify(secret, &code, now + 3 * STEP_SECONDS));
        assert!(!verify("not base32!", &code, now));
        assert_eq!(current_expiry(59), 60);
        assert_eq!(current_expiry(60), 90);
    }
}
