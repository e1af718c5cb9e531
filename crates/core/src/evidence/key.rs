//! The pseudonymised NHS number that links one person's events across organisations.
//!
//! A [`PersonKey`] is HMAC-SHA256 (RFC 2104, FIPS 180-4) of the person's NHS number, written
//! as its ten digits without spaces, keyed with a per-deployment [`PseudonymSecret`]. Two
//! organisations holding the same secret derive the same key for the same person, so their
//! extracts link without either seeing the other's identifiers; anyone without the secret
//! cannot test a guessed NHS number against a key (there are only about 10^9 valid NHS
//! numbers, so an unkeyed hash would be reversed by trying them all).
//!
//! The raw NHS number is never kept: [`PseudonymSecret::person_key`] takes a checked
//! [`NhsNumber`] and returns only the digest. Neither type's `Debug` or `Display` shows the
//! secret or the number the key came from.

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Sha256;

use crate::field::FieldError;
use crate::person::NhsNumber;

/// The fewest bytes a secret may have: 32, the output size of SHA-256, as RFC 2104 §3
/// recommends for an HMAC key ("less than L bytes is strongly discouraged").
pub const SECRET_MIN_BYTES: usize = 32;

/// The name of the environment variable the secret is read from by the binary.
pub const SECRET_ENV: &str = "ONEBUDGET_PSEUDONYM_KEY";

/// A deployment's pseudonymisation secret: at least [`SECRET_MIN_BYTES`] random bytes,
/// written as hexadecimal where it is stored. Its `Debug` never shows it.
#[derive(Clone)]
pub struct PseudonymSecret {
    /// The keyed HMAC state, computed once so that each key costs only the message's
    /// compressions.
    mac: Hmac<Sha256>,
}

impl PseudonymSecret {
    /// A secret from raw bytes; refused when shorter than [`SECRET_MIN_BYTES`].
    pub fn from_bytes(bytes: &[u8]) -> Result<PseudonymSecret, FieldError> {
        if bytes.len() < SECRET_MIN_BYTES {
            return Err(FieldError::new(
                SECRET_ENV,
                "(not shown)",
                format!(
                    "the pseudonymisation secret has {} bytes but needs at least \
                     {SECRET_MIN_BYTES}; generate one with `openssl rand -hex 32`",
                    bytes.len()
                ),
            ));
        }
        let mac = Hmac::<Sha256>::new_from_slice(bytes).map_err(|_| {
            FieldError::new(SECRET_ENV, "(not shown)", "the pseudonymisation secret is unusable")
        })?;
        Ok(PseudonymSecret { mac })
    }

    /// A secret written as hexadecimal (64 or more hex digits, surrounding white space
    /// ignored), as `openssl rand -hex 32` prints it. The value is never quoted in errors.
    pub fn from_hex(text: &str) -> Result<PseudonymSecret, FieldError> {
        let bytes = decode_hex(text.trim()).ok_or_else(|| {
            FieldError::new(
                SECRET_ENV,
                "(not shown)",
                "the pseudonymisation secret must be written in hexadecimal (0-9, a-f), an \
                 even number of digits; generate one with `openssl rand -hex 32`",
            )
        })?;
        PseudonymSecret::from_bytes(&bytes)
    }

    /// The person key for `nhs_number` under this secret.
    pub fn person_key(&self, nhs_number: &NhsNumber) -> PersonKey {
        let mut mac = self.mac.clone();
        mac.update(nhs_number.compact().as_bytes());
        PersonKey(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for PseudonymSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymSecret(not shown)")
    }
}

/// A pseudonymised NHS number: 32 bytes, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonKey([u8; 32]);

impl PersonKey {
    /// The key's 32 bytes (for compact storage).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> PersonKey {
        PersonKey(bytes)
    }

    /// The key as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        encode_hex(&self.0)
    }

    /// Parse 64 hex digits (either case) back into a key; `field` names the column.
    pub fn parse_hex(field: &str, text: &str) -> Result<PersonKey, FieldError> {
        let bytes = decode_hex(text)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    text,
                    "a person key is 64 hexadecimal digits (0-9, a-f), as onebudget writes it",
                )
            })?;
        Ok(PersonKey(bytes))
    }
}

impl fmt::Display for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for PersonKey {
    /// The key's first 12 hex digits: enough to tell keys apart in test output. The key is
    /// itself pseudonymous; the NHS number it came from is not held anywhere.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.to_hex();
        write!(f, "PersonKey({}…)", hex.get(..12).unwrap_or(&hex))
    }
}

impl FromStr for PersonKey {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PersonKey::parse_hex("person_key", s)
    }
}

impl Serialize for PersonKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for PersonKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PersonKey::parse_hex("person_key", &text).map_err(serde::de::Error::custom)
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

fn encode_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        for nibble in [byte >> 4, byte & 0x0f] {
            out.push(char::from(HEX_DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0')));
        }
    }
    out
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    let digits: Option<Vec<u8>> =
        text.chars().map(|c| c.to_digit(16).and_then(|d| u8::try_from(d).ok())).collect();
    Some(digits?.chunks(2).map(|pair| pair.iter().fold(0_u8, |acc, d| acc * 16 + d)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(byte: u8) -> PseudonymSecret {
        PseudonymSecret::from_bytes(&[byte; 32]).unwrap()
    }

    #[test]
    fn the_key_is_hmac_sha256_of_the_ten_digits() {
        // An independent computation: HMAC-SHA256 with a 32-byte key of 0x0b over
        // "9434765919", from
        // `printf 9434765919 | openssl dgst -sha256 -mac HMAC -macopt hexkey:0b0b…0b`.
        let key = secret(0x0b).person_key(&NhsNumber::parse("9434765919").unwrap());
        assert_eq!(
            key.to_hex(),
            "7d181f918c6431969efd8482947c447fee6cbb819f0f925f17cf17e1f4363e8a"
        );
    }

    #[test]
    fn the_same_secret_links_and_a_different_secret_does_not() {
        let number = NhsNumber::parse("943 476 5919").unwrap();
        let same = NhsNumber::parse("9434765919").unwrap();
        assert_eq!(secret(1).person_key(&number), secret(1).person_key(&same));
        assert_ne!(secret(1).person_key(&number), secret(2).person_key(&number));
        let other = NhsNumber::synthetic(1).unwrap();
        assert_ne!(secret(1).person_key(&number), secret(1).person_key(&other));
    }

    #[test]
    fn nothing_printed_shows_the_number_or_the_secret() {
        let number = NhsNumber::parse("9434765919").unwrap();
        let key = secret(7).person_key(&number);
        for shown in [format!("{key}"), format!("{key:?}"), format!("{:?}", secret(7))] {
            assert!(!shown.contains("9434765919"), "{shown}");
            assert!(!shown.contains("0707070707"), "{shown}");
        }
        assert_eq!(format!("{:?}", secret(7)), "PseudonymSecret(not shown)");
    }

    #[test]
    fn keys_round_trip_through_hex_and_bad_hex_is_refused() {
        let key = secret(3).person_key(&NhsNumber::synthetic(5).unwrap());
        assert_eq!(PersonKey::parse_hex("k", &key.to_hex()).unwrap(), key);
        assert_eq!(PersonKey::parse_hex("k", &key.to_hex().to_uppercase()).unwrap(), key);
        for bad in ["", "abc", "zz", &"a".repeat(62), &"a".repeat(66)] {
            let error = PersonKey::parse_hex("Person_Key", bad).unwrap_err();
            assert_eq!(error.field, "Person_Key");
            assert!(error.problem.contains("64 hexadecimal digits"), "{error}");
        }
    }

    #[test]
    fn short_or_malformed_secrets_are_refused_without_quoting_them() {
        let error = PseudonymSecret::from_hex(&"ab".repeat(31)).unwrap_err();
        assert!(error.problem.contains("31 bytes but needs at least 32"), "{error}");
        assert!(!error.to_string().contains("abab"), "{error}");
        let error = PseudonymSecret::from_hex(&"g".repeat(64)).unwrap_err();
        assert!(error.problem.contains("hexadecimal"), "{error}");
        assert!(PseudonymSecret::from_hex(&format!(" {}\n", "0b".repeat(32))).is_ok());
    }
}
