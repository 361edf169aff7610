//! The device secret verifier that Amazon Cognito expects in `ConfirmDevice`.
//!
//! When a user pool tracks devices, a successful `AdminInitiateAuth` hands back
//! `NewDeviceMetadata { DeviceKey, DeviceGroupKey }`. The device only becomes a
//! *remembered* device once the client calls `ConfirmDevice` with a
//! `DeviceSecretVerifierConfig { PasswordVerifier, Salt }`: an SRP-6a password
//! verifier for a password that the client invents for that device. Scenarios
//! such as `forget-remembered-device` need one, so provisioning computes it here.
//!
//! # The rule
//!
//! Cognito documents no formula of its own; the service accepts what its client
//! SDKs compute, and they all compute the same thing (checked against
//! amazon-cognito-identity-js `AuthenticationHelper.generateHashDevice` plus the
//! `ConfirmDevice` call site in `CognitoUser`, Amplify's
//! `AuthenticationHelper.generateHashDevice`, and pycognito's
//! `generate_hash_device`):
//!
//! 1. The group is the 3072-bit group of RFC 5054 appendix A (the same prime
//!    as RFC 3526 group 15), generator `g = 2`.
//! 2. The device password is 40 random bytes, base64-encoded; the resulting
//!    *text* is the password.
//! 3. `hashed = lowercase_hex(SHA-256(utf8(DeviceGroupKey ‖ DeviceKey ‖ ":" ‖ password)))`.
//! 4. The salt is 16 random bytes read as an unsigned big-endian integer and
//!    written in the SDKs' "padded hex" form (`pad_hex` in the tests). Because it goes
//!    through an integer, leading zero bytes disappear and a leading byte of
//!    `0x80` or more gains a `00` byte: the salt sent is 1 to 17 bytes long.
//! 5. `x = SHA-256(hex_decode(padded_salt_hex ‖ hashed))` read as an unsigned
//!    integer, i.e. the hash of the padded salt bytes followed by the 32 raw
//!    bytes of the first hash.
//! 6. `verifier = g^x mod N`.
//! 7. `PasswordVerifier = base64(hex_decode(pad_hex(verifier)))` and
//!    `Salt = base64(hex_decode(padded_salt_hex))`.
//!
//! The tests pin the result to known answers computed independently by a short
//! Python program (reproduced in the test module) and cross-checked against
//! pycognito's own `generate_hash_device`.
//!
//! # Randomness
//!
//! The crate has no direct dependency on an OS random source other than
//! `uuid`'s v4 generator (which draws from the operating system). A v4 UUID
//! carries 122 random bits in 16 bytes (6 bits are fixed version and variant
//! markers), so the random bytes here are SHA-256 digests of three fresh v4
//! UUIDs each (366 bits of entropy in, 256 bits out) rather than raw UUID bytes.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use num_bigint::BigUint;
use sha2::{Digest, Sha256};

/// The RFC 5054 appendix A 3072-bit group prime `N`, upper-case hex, as the
/// Cognito SDKs embed it. The generator is [`G`].
pub(crate) const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

/// The generator of the RFC 5054 3072-bit group.
pub(crate) const G: u32 = 2;

/// Length of the random device password before base64 encoding, in bytes.
const PASSWORD_BYTES: usize = 40;
/// Length of the random salt before padding, in bytes.
const SALT_BYTES: usize = 16;

/// A device password and the `DeviceSecretVerifierConfig` derived from it.
///
/// `salt_b64` and `verifier_b64` go into `ConfirmDevice` as `Salt` and
/// `PasswordVerifier`. `password` is what a client would need later for
/// `DEVICE_SRP_AUTH`; it is a secret and [`Debug`](std::fmt::Debug) never
/// prints it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct DeviceVerifier {
    /// The device password: base64 text of 40 random bytes.
    pub(crate) password: String,
    /// `DeviceSecretVerifierConfig.Salt`: base64 of the padded salt bytes.
    pub(crate) salt_b64: String,
    /// `DeviceSecretVerifierConfig.PasswordVerifier`: base64 of the padded verifier bytes.
    pub(crate) verifier_b64: String,
}

impl std::fmt::Debug for DeviceVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceVerifier")
            .field("password", &"<redacted>")
            .field("salt_b64", &self.salt_b64)
            .field("verifier_b64", &self.verifier_b64)
            .finish()
    }
}

/// A verifier for a fresh random device password and a fresh random salt.
pub(crate) fn device_verifier(device_group_key: &str, device_key: &str) -> DeviceVerifier {
    let password = BASE64.encode(random_bytes(PASSWORD_BYTES));
    let salt = random_bytes(SALT_BYTES);
    device_verifier_with(device_group_key, device_key, &password, &salt)
}

/// The deterministic core of [`device_verifier`]: the verifier for `password`
/// (used as given, as text) and the raw salt bytes `salt`, which are read as an
/// unsigned big-endian integer and padded as described in the module docs.
pub(crate) fn device_verifier_with(
    device_group_key: &str,
    device_key: &str,
    password: &str,
    salt: &[u8],
) -> DeviceVerifier {
    let mut inner = Sha256::new();
    inner.update(device_group_key.as_bytes());
    inner.update(device_key.as_bytes());
    inner.update(b":");
    inner.update(password.as_bytes());
    let hashed = inner.finalize();

    let salt_padded = padded_bytes(&BigUint::from_bytes_be(salt));
    let mut outer = Sha256::new();
    outer.update(&salt_padded);
    outer.update(hashed);
    let x = BigUint::from_bytes_be(&outer.finalize());

    let verifier = BigUint::from(G).modpow(&x, &group_prime());
    DeviceVerifier {
        password: password.to_owned(),
        salt_b64: BASE64.encode(&salt_padded),
        verifier_b64: BASE64.encode(padded_bytes(&verifier)),
    }
}

/// The SDKs' `padHex` rule, applied to `hex` read as a non-negative integer.
///
/// The SDKs apply the rule to the hex form of an integer, which has no leading
/// zeros and is lower case; so this first drops leading `0`s and lower-cases
/// (an empty or all-zero input is the integer zero, `"0"`). Then: odd length →
/// prepend `"0"`; else a first digit of `8`–`f` (top bit set) → prepend `"00"`.
/// The result is an even-length hex string whose bytes read as a two's
/// complement number are never negative.
///
/// `hex` must contain only hex digits; other characters are passed through.
#[cfg(test)]
pub(crate) fn pad_hex(hex: &str) -> String {
    let digits = hex.trim_start_matches('0').to_ascii_lowercase();
    let digits = if digits.is_empty() {
        "0".to_owned()
    } else {
        digits
    };
    if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else if digits.starts_with(['8', '9', 'a', 'b', 'c', 'd', 'e', 'f']) {
        format!("00{digits}")
    } else {
        digits
    }
}

/// `N` as an integer.
fn group_prime() -> BigUint {
    BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("N_HEX is valid hex")
}

/// The bytes of `hex_decode(pad_hex(hex(n)))`, computed directly: the minimal
/// big-endian bytes of `n` (one zero byte for zero), with a `0x00` byte in
/// front when the top bit of the first byte is set.
fn padded_bytes(n: &BigUint) -> Vec<u8> {
    let bytes = n.to_bytes_be();
    if bytes[0] & 0x80 != 0 {
        let mut out = Vec::with_capacity(bytes.len() + 1);
        out.push(0);
        out.extend_from_slice(&bytes);
        out
    } else {
        bytes
    }
}

/// `n` random bytes: SHA-256 digests of three fresh v4 UUIDs per 32 bytes.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n.next_multiple_of(32));
    while out.len() < n {
        let mut h = Sha256::new();
        for _ in 0..3 {
            h.update(uuid::Uuid::new_v4().as_bytes());
        }
        out.extend_from_slice(&h.finalize());
    }
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    //! Known answers below come from this Python 3 program (stdlib only), which
    //! follows the rule in the module docs; it was also cross-checked against
    //! pycognito 2024.5.1 `aws_srp.generate_hash_device` by feeding that
    //! function the same bytes in place of `os.urandom` (all three cases
    //! matched):
    //!
    //! ```text
    //! import base64, hashlib
    //! N = int("FFFFFFFFFFFFFFFFC90FDAA22168C234..." , 16)   # N_HEX, in full
    //! def pad_hex(n):
    //!     h = format(n, "x")
    //!     if len(h) % 2: return "0" + h
    //!     return "00" + h if h[0] in "89abcdef" else h
    //! def verifier(group_key, device_key, password, salt_bytes):
    //!     hashed = hashlib.sha256(f"{group_key}{device_key}:{password}".encode()).hexdigest()
    //!     salt_hex = pad_hex(int.from_bytes(salt_bytes, "big"))
    //!     x = int(hashlib.sha256(bytes.fromhex(salt_hex + hashed)).hexdigest(), 16)
    //!     v_hex = pad_hex(pow(2, x, N))
    //!     return (base64.b64encode(bytes.fromhex(salt_hex)).decode(),
    //!             base64.b64encode(bytes.fromhex(v_hex)).decode())
    //! print(verifier("-4bXrEt9X", "us-east-1_0bd7f9e8-7f1a-4d5c-9c1e-2b6d8a3f4e5d",
    //!                base64.b64encode(bytes(range(40))).decode(), bytes(range(16))))
    //! print(verifier("-Zq8mK2pL", "eu-west-1_a1b2c3d4-e5f6-4789-8abc-def012345678",
    //!                base64.b64encode(bytes(range(200, 240))).decode(),
    //!                bytes.fromhex("f00dfacecafebeef0123456789abcdef")))
    //! print(verifier("group", "device", base64.b64encode(b"\xff" * 40).decode(),
    //!                bytes.fromhex("7f" + "3c" * 15)))
    //! ```

    use super::*;

    fn b64_of(bytes: &[u8]) -> String {
        BASE64.encode(bytes)
    }

    fn hex_decode(hex: &str) -> Vec<u8> {
        assert!(hex.len() % 2 == 0, "odd-length hex {hex:?}");
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit"))
            .collect()
    }

    /// Salt with a leading zero byte: the integer round trip drops it, leaving
    /// 15 bytes; the verifier's top bit is set, so it gains a `00` byte.
    #[test]
    fn known_answer_leading_zero_salt() {
        let password = b64_of(&(0u8..40).collect::<Vec<_>>());
        assert_eq!(
            password,
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJw=="
        );
        let salt: Vec<u8> = (0u8..16).collect();
        let v = device_verifier_with(
            "-4bXrEt9X",
            "us-east-1_0bd7f9e8-7f1a-4d5c-9c1e-2b6d8a3f4e5d",
            &password,
            &salt,
        );
        assert_eq!(v.password, password);
        assert_eq!(v.salt_b64, "AQIDBAUGBwgJCgsMDQ4P");
        assert_eq!(
            v.verifier_b64,
            concat!(
                "AKhGYxiwZX1sS0GtnctwwqQOYtlNLL3jMElB8jjJgacgI2nbFJwV6u0fvhYQE248WxlOc4kBnP785m0f",
                "1pTahWcY9ICg+47dbpMHrgpKDhDi1Z0J+xXNNrSNnjDzeKTV7t1odqwn71J6Tltv2aq9+pg7ueUvIZ4I",
                "S/N/1tbqS3B0XETchD7ChSJPOriOx5kAw8gRFmWe7cxAxoYA9DgdYSULeWDlAtZhoLYl8Ysat/ccvOpU",
                "ghprLSpNxjPWUL4lSr39w16k9NwNflij3/jwDGfuCEZyqOGzqP7FhjUeeSMSnn3FrPWWVAxL1+XsGo0Z",
                "bLHIhHJ3udQXUcn6IZKZg4QnMYwckqdismnwXWHQ70+rWqS4YyDFgtoJguTdn3r86k6wPQexYdNq/pj7",
                "NCQlKxtZhUbtLEqBLHWOVv9GqdeHenYHw0mCQ02FRv22O92LpMK41Nx2z4pIeZPFl0Z8Pu3Zswzx9CQx",
                "cn6/5rjqaDBzRkbQgSIOeKXG+CE3Rko81w==",
            )
        );
    }

    /// Salt whose first hex digit is >= 8: padHex prepends `00` (17 bytes).
    #[test]
    fn known_answer_high_bit_salt() {
        let password = b64_of(&(200u8..240).collect::<Vec<_>>());
        assert_eq!(
            password,
            "yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f4OHi4+Tl5ufo6err7O3u7w=="
        );
        let salt = hex_decode("f00dfacecafebeef0123456789abcdef");
        let v = device_verifier_with(
            "-Zq8mK2pL",
            "eu-west-1_a1b2c3d4-e5f6-4789-8abc-def012345678",
            &password,
            &salt,
        );
        assert_eq!(v.salt_b64, "APAN+s7K/r7vASNFZ4mrze8=");
        assert_eq!(
            v.verifier_b64,
            concat!(
                "XZvF6qYQzNWF95kv17wfhboZEruZSkgi5OEqgjvpdBYCcb5+SFjH7Dt9CbnsN8RwP9kkfgfrSsyHf4D9",
                "aHvQpeUQ4Z7SPv27kivFMnZiPJPV+yzH3dqumQM5uRo5Nj2K2/t4k+V10QmPOxvbnAqcibM46OahzShP",
                "tqQLsrGNm19HL99hFJA/nKIgYHxcS68h2KYQUY/cRFLFDpLI1N+w/om1rM5Jy9JokS1xRa0x4v/eo4pR",
                "7f1lQCCFf+ae0oUQL5ylqyzlVKdecyOzjJEQZbgP9SCp8NAt1fUNkp2QqVMb7eo+sjR3ZWGQ65eCQXy2",
                "9a/3p+pQew8M1QLbRG0n6vnDAA7lSaNw/p3AN/1dWl0R/fwMSn7Y83EfJEDD1LoCAT/W3maYntebZAbr",
                "BrnJsV8Y5VjXS/RLyz9KNbM7P0WSMik2TOnvTp28KCBz93PW1oGIWETc+PQYXXHWmw8Il0L+01dCkKA0",
                "Zu+GHEdPEcUP2uttFHfd/2lW4tt3sTK0",
            )
        );
    }

    /// Salt starting at 0x7f (just below the padding threshold): sent as is.
    #[test]
    fn known_answer_plain_salt() {
        let password = b64_of(&[0xff; 40]);
        let mut salt = vec![0x7f];
        salt.extend_from_slice(&[0x3c; 15]);
        let v = device_verifier_with("group", "device", &password, &salt);
        assert_eq!(v.salt_b64, "fzw8PDw8PDw8PDw8PDw8PA==");
        assert_eq!(
            v.verifier_b64,
            concat!(
                "b8hGzpaNO3vZdEvgFW3+4HZ59TVGIoFZfslCGQVlOveybPqq3OGzHRdsuE1OYy1QUK9Kba9E6NgNKopF",
                "YKOcG55/VcAcT/SITYgc1OYtM6vgJ1GeZwH6DZB5NlT89HNBVsvHkvXVEF6+EYSP/CUgjhffWu9jQezT",
                "hJCDodgSHxVzfJlvlWvPPWKbhJdiuShQl/JIFOFcRdYxp8IgG1HGoWIh1GX+G7G/d/Rn41aGeJ6fG+HM",
                "vnlIPJcp5WkcM8p1RGvrPOwihKQG1sq5qi/j2ZqSC87t520EoXEEMo+BBLNYBkrnFPUFwOC6nS+DMcHc",
                "I2IbSKyDOIso65g908Pf27gZgTGNMSiin6YiqY24PIhdMdYZiZoSNpTzz0tOCHU3/f8Er7m1+MCODHpg",
                "WY5vpYSLb2A3Ck4DUVu/32ChAY+6NmvHELq6uSCW/ltf31VZ6kglqAyIT9/rM3o3wKQHracy7aHmtoM6",
                "dzChLYTo3UJjdxNigCpTMte1fhe+LrKa",
            )
        );
    }

    #[test]
    fn group_prime_is_rfc5054_3072() {
        assert_eq!(N_HEX.len(), 768);
        assert!(N_HEX.starts_with("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"));
        assert!(N_HEX.ends_with("43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"));
        let n = group_prime();
        assert_eq!(n.bits(), 3072);
        assert_eq!(n.to_str_radix(16), N_HEX.to_ascii_lowercase());
        // N is odd and N = 2q + 1 with q odd (a safe prime has this shape);
        // 2 is a generator of the order-q subgroup: 2^q = 1 mod N.
        let one = BigUint::from(1u32);
        let q: BigUint = (&n - &one) >> 1u32;
        assert_eq!(BigUint::from(G).modpow(&q, &n), one);
    }

    /// The RFC 3526 / 5054 definition of the prime:
    /// N = 2^3072 - 2^3008 - 1 + 2^64 * (floor(2^2942 * pi) + 1690314),
    /// with pi from Machin's formula in fixed point. Guards against a typo in
    /// the middle of N_HEX that the first/last digit checks would miss.
    #[test]
    fn group_prime_matches_its_pi_definition() {
        const GUARD: u32 = 64;
        let prec = 2942 + GUARD;
        // atan(1/x) * 2^prec, with the alternating series summed in two halves.
        let atan_inv = |x: u32| -> (BigUint, BigUint) {
            let x2 = BigUint::from(x * x);
            let mut term = (BigUint::from(1u32) << prec) / BigUint::from(x);
            let (mut plus, mut minus) = (BigUint::ZERO, BigUint::ZERO);
            let mut k = 0u32;
            while term > BigUint::ZERO {
                let t = &term / BigUint::from(2 * k + 1);
                if k % 2 == 0 {
                    plus += t;
                } else {
                    minus += t;
                }
                term /= &x2;
                k += 1;
            }
            (plus, minus)
        };
        let (p5, m5) = atan_inv(5);
        let (p239, m239) = atan_inv(239);
        let pi_fixed = (p5 * 16u32 + m239 * 4u32) - (m5 * 16u32 + p239 * 4u32);
        let floor_pi = pi_fixed >> GUARD;
        let one = BigUint::from(1u32);
        let expected = ((&one << 3072u32) - (&one << 3008u32) - &one)
            + ((floor_pi + BigUint::from(1_690_314u32)) << 64u32);
        assert_eq!(group_prime(), expected);
    }

    #[test]
    fn pad_hex_rule() {
        assert_eq!(pad_hex("7f"), "7f");
        assert_eq!(pad_hex("80"), "0080");
        assert_eq!(pad_hex("F00D"), "00f00d");
        assert_eq!(pad_hex("abc"), "0abc");
        assert_eq!(pad_hex("fff"), "0fff");
        assert_eq!(pad_hex("1234"), "1234");
        assert_eq!(pad_hex("0"), "00");
        assert_eq!(pad_hex(""), "00");
        assert_eq!(pad_hex("0000"), "00");
        // Read as an integer: leading zeros go first.
        assert_eq!(pad_hex("000102"), "0102");
        assert_eq!(pad_hex("0012"), "12");
        assert_eq!(pad_hex("00ff"), "00ff");
        assert_eq!(pad_hex("000ff"), "00ff");
    }

    #[test]
    fn padded_bytes_agree_with_pad_hex() {
        for hex in [
            "0", "1", "7f", "80", "ff", "0102", "f00dface", "0000ab", "3c3c",
        ] {
            let n = BigUint::parse_bytes(hex.as_bytes(), 16).unwrap();
            assert_eq!(padded_bytes(&n), hex_decode(&pad_hex(hex)), "for {hex}");
        }
        let n = group_prime();
        assert_eq!(padded_bytes(&n), hex_decode(&pad_hex(N_HEX)));
        assert_eq!(padded_bytes(&n).len(), 385);
    }

    #[test]
    fn random_verifiers_differ_and_are_well_formed() {
        let a = device_verifier("-grp", "us-east-1_dev");
        let b = device_verifier("-grp", "us-east-1_dev");
        assert_ne!(a.password, b.password);
        assert_ne!(a.salt_b64, b.salt_b64);
        assert_ne!(a.verifier_b64, b.verifier_b64);
        for v in [&a, &b] {
            assert_eq!(BASE64.decode(&v.password).unwrap().len(), PASSWORD_BYTES);
            let salt = BASE64.decode(&v.salt_b64).unwrap();
            assert!((1..=SALT_BYTES + 1).contains(&salt.len()));
            let verifier = BASE64.decode(&v.verifier_b64).unwrap();
            assert!(verifier.len() <= 385);
            assert!(
                verifier[0] & 0x80 == 0,
                "padded, so never reads as negative"
            );
            // Random path and deterministic core agree on the same inputs.
            let again = device_verifier_with("-grp", "us-east-1_dev", &v.password, &salt);
            assert_eq!(&again, v);
        }
    }

    #[test]
    fn random_bytes_lengths_and_variety() {
        for n in [0, 1, 16, 31, 32, 33, 40, 100] {
            assert_eq!(random_bytes(n).len(), n);
        }
        assert_ne!(random_bytes(16), random_bytes(16));
    }

    #[test]
    fn debug_redacts_password() {
        let password = "s3cret-device-password-value";
        let v = device_verifier_with("g", "d", password, &[1, 2, 3]);
        let shown = format!("{v:?}");
        let pretty = format!("{v:#?}");
        for s in [&shown, &pretty] {
            assert!(!s.contains(password), "{s}");
            assert!(s.contains("<redacted>"));
            assert!(s.contains(&v.salt_b64));
        }
        let random = device_verifier("g", "d");
        assert!(!format!("{random:?}").contains(&random.password));
    }
}
