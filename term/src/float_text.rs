//! Decimal text to `f64`, correctly rounded (to nearest, ties to even),
//! for FLOAT_EXT's `"%.20e"` text.
//!
//! `str::parse::<f64>` would do, but it brings core's tables (the powers of
//! five of its fast path, about 10 KiB) into every guest that links this
//! crate, and a guest's constant data is copied into each of its processes'
//! memories and compared when a process's instance is recycled. FLOAT_EXT
//! is rare (Erlang writes NEW_FLOAT_EXT since OTP R11B) and its text short,
//! so an exact big-integer division, slow but small, does instead: `value =
//! N / D` with `N` and `D` integers, and the 53 bits of the quotient at the
//! right binary exponent, rounded with the remainder.

use alloc::vec;
use alloc::vec::Vec;

/// The value of `text`: `[+-]digits[.digits][(e|E)[+-]digits]`, nothing
/// else. `None` if it is not of that form; infinities for values beyond
/// `f64`'s range, zeros for values below its smallest subnormal's half (as
/// `str::parse` gives).
pub(crate) fn parse(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, rest) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let (mantissa, rest) = split_digits(rest);
    let (fraction, rest) = match rest.split_first() {
        Some((b'.', after)) => split_digits(after),
        _ => (&[][..], rest),
    };
    if mantissa.is_empty() && fraction.is_empty() {
        return None;
    }
    let exponent = match rest.split_first() {
        None => 0,
        Some((b'e' | b'E', after)) => {
            let (exponent_negative, after) = match after.first() {
                Some(b'-') => (true, &after[1..]),
                Some(b'+') => (false, &after[1..]),
                _ => (false, after),
            };
            let (digits, tail) = split_digits(after);
            if digits.is_empty() || !tail.is_empty() {
                return None;
            }
            // Saturates far beyond any exponent that matters.
            let magnitude = digits.iter().fold(0i64, |n, d| (n * 10 + i64::from(d - b'0')).min(1 << 40));
            if exponent_negative { -magnitude } else { magnitude }
        }
        Some(_) => return None,
    };
    let magnitude = decimal_to_f64(mantissa.iter().chain(fraction), exponent - fraction.len() as i64);
    Some(if negative { -magnitude } else { magnitude })
}

/// The leading ASCII digits of `bytes`, and what follows them.
fn split_digits(bytes: &[u8]) -> (&[u8], &[u8]) {
    let n = bytes.iter().position(|b| !b.is_ascii_digit()).unwrap_or(bytes.len());
    bytes.split_at(n)
}

/// `digits × 10^exponent`, rounded to the nearest `f64`.
fn decimal_to_f64<'a>(digits: impl Iterator<Item = &'a u8>, exponent: i64) -> f64 {
    // Leading zeros add nothing; trailing zeros only the exponent's worth.
    let mut n = Big::zero();
    let mut count = 0i64;
    for &d in digits.skip_while(|&&d| d == b'0') {
        n.mul_add(10, u32::from(d - b'0'));
        count += 1;
    }
    if n.is_zero() {
        return 0.0;
    }
    // The value lies in [10^(count + exponent - 1), 10^(count + exponent)):
    // far enough outside f64's range it is infinite or zero without
    // computing powers of ten that size.
    let magnitude = count + exponent;
    if magnitude > 310 {
        return f64::INFINITY;
    }
    if magnitude < -330 {
        return 0.0;
    }
    let mut d = Big::one();
    if exponent >= 0 {
        for _ in 0..exponent {
            n.mul_add(10, 0);
        }
    } else {
        for _ in 0..-exponent {
            d.mul_add(10, 0);
        }
    }
    ratio_to_f64(&n, &d)
}

/// Smallest binary exponent of a result bit: that of the subnormals' unit.
const MIN_EXPONENT: i64 = -1074;
/// Largest binary exponent of a 53-bit significand's unit for a finite f64.
const MAX_EXPONENT: i64 = 971;

/// `n / d` (both non-zero), rounded to the nearest `f64`, ties to even.
fn ratio_to_f64(n: &Big, d: &Big) -> f64 {
    // The unit `2^k` of the significand's last bit: chosen so the quotient
    // has 53 bits (fewer only for subnormals, at the smallest `k`).
    let mut k = (n.bits() as i64 - d.bits() as i64 - 53).max(MIN_EXPONENT);
    loop {
        let (q, twice_remainder_vs_divisor) = divide_scaled(n, d, k);
        if q >= 1 << 53 {
            k += 1;
            continue;
        }
        if q < 1 << 52 && k > MIN_EXPONENT {
            k -= 1;
            continue;
        }
        let round_up = match twice_remainder_vs_divisor {
            core::cmp::Ordering::Greater => true,
            core::cmp::Ordering::Equal => q & 1 == 1,
            core::cmp::Ordering::Less => false,
        };
        let (mut q, mut k) = (q + u64::from(round_up), k);
        if q == 1 << 53 {
            q >>= 1;
            k += 1;
        }
        if k > MAX_EXPONENT {
            return f64::INFINITY;
        }
        return if q >= 1 << 52 {
            // Normal: the exponent field holds k + 52 + 1023 (>= 1, as
            // k >= -1074), the significand drops its implicit bit.
            f64::from_bits((((k + 52 + 1023) as u64) << 52) | (q - (1 << 52)))
        } else {
            // Subnormal (k is -1074): the significand is the value's units.
            f64::from_bits(q)
        };
    }
}

/// `floor(n / (d × 2^k))` (below 2^54 for the `k` the caller tries), and
/// how twice the remainder compares with the divisor.
fn divide_scaled(n: &Big, d: &Big, k: i64) -> (u64, core::cmp::Ordering) {
    let (mut a, b) = if k >= 0 { (n.clone(), d.shifted(k as u32)) } else { (n.shifted((-k) as u32), d.clone()) };
    let mut q = 0u64;
    for bit in (0..55).rev() {
        let part = b.shifted(bit);
        if a.compare(&part) != core::cmp::Ordering::Less {
            a.sub(&part);
            q |= 1 << bit;
        }
    }
    // What is left is below `b` only if the quotient fit 55 bits; larger
    // quotients make the caller raise `k`, so the comparison is moot then.
    (q, a.shifted(1).compare(&b))
}

/// A non-negative big integer: little-endian 32-bit limbs, no leading zero
/// limbs.
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn zero() -> Big {
        Big(Vec::new())
    }

    fn one() -> Big {
        Big(vec![1])
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    /// `self = self × m + a`.
    fn mul_add(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            let x = u64::from(*limb) * u64::from(m) + carry;
            *limb = x as u32;
            carry = x >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// The number of significant bits.
    fn bits(&self) -> u32 {
        match self.0.last() {
            None => 0,
            Some(top) => (self.0.len() as u32 - 1) * 32 + (32 - top.leading_zeros()),
        }
    }

    /// `self × 2^by`.
    fn shifted(&self, by: u32) -> Big {
        if self.is_zero() {
            return Big::zero();
        }
        let (limbs, bits) = ((by / 32) as usize, by % 32);
        let mut out = vec![0u32; limbs];
        let mut carry = 0u32;
        for &limb in &self.0 {
            out.push((limb << bits) | carry);
            carry = if bits == 0 { 0 } else { limb >> (32 - bits) };
        }
        if carry != 0 {
            out.push(carry);
        }
        Big(out)
    }

    fn compare(&self, other: &Big) -> core::cmp::Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// `self -= other` (`other <= self`).
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let x = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(x < 0);
            *limb = x.rem_euclid(1 << 32) as u32;
        }
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use alloc::format;
    use alloc::string::String;

    fn agrees(text: &str) {
        let expected: f64 = text.parse().unwrap();
        let got = parse(text).unwrap_or_else(|| panic!("{text:?} did not parse"));
        assert_eq!(got.to_bits(), expected.to_bits(), "{text:?}: {got:e} against {expected:e}");
    }

    #[test]
    fn agrees_with_str_parse_at_the_edges() {
        for text in [
            "0.00000000000000000000e+00",
            "-0.00000000000000000000e+00",
            "1.50000000000000000000e+00",
            "1.79769313486231570815e+308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "2.22507385850720138309e-308",
            "2.2250738585072011e-308",
            "4.94065645841246544177e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "1e-400",
            "1e400",
            "9007199254740993",
            "9007199254740995",
            "0.1",
            "123",
            "+7.5e-3",
            ".5",
            "5.",
            "1E10",
            "3.14159265358979323846e+00",
        ] {
            agrees(text);
        }
    }

    #[test]
    fn agrees_with_str_parse_on_every_shape_of_erlangs_text() {
        // A deterministic spread of bit patterns, each printed as Erlang's
        // `"%.20e"` (and with fewer digits, near ties).
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let value = f64::from_bits(x);
            if !value.is_finite() {
                continue;
            }
            agrees(&format!("{value:.20e}"));
            agrees(&format!("{value:.16e}"));
            agrees(&format!("{value:.3e}"));
        }
    }

    #[test]
    fn refuses_what_is_no_decimal() {
        for text in ["", "-", "e5", "1e", "1e+", "1.5x", "inf", "NaN", "1..2", " 1"] {
            assert_eq!(parse(text), None, "{text:?}");
        }
        let long: String = core::iter::repeat_n('9', 30).collect();
        agrees(&long);
    }
}
