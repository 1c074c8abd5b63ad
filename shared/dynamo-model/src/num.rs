//! DynamoDB numbers: decimal strings of up to 38 significant digits, compared and added
//! exactly (never through f64, which would lose digits).

use std::cmp::Ordering;

/// A parsed number: `0.d1 d2 … dn × 10^exp`, digits without leading or trailing zeros
/// (zero has no digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Num {
    negative: bool,
    digits: Vec<u8>,
    exp: i32,
}

/// DynamoDB's precision and magnitude limits.
const MAX_DIGITS: usize = 38;
const MAX_EXP: i32 = 126; // below 1E+126
const MIN_EXP: i32 = -129; // at least 1E-130

impl Num {
    /// Parses a number as DynamoDB accepts it; `None` for anything else.
    pub fn parse(text: &str) -> Option<Num> {
        let s = text.trim();
        let (negative, s) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
            None => (s, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let mut exp = i32::try_from(int.len()).ok()?.checked_add(exponent)?;
        let leading = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..leading);
        exp -= i32::try_from(leading).ok()?;
        Num::normalized(negative, digits, exp)
    }

    /// A number from big-endian digits without leading zeros and its exponent: trailing zeros
    /// dropped, zero made canonical, `None` outside DynamoDB's range.
    fn normalized(negative: bool, mut digits: Vec<u8>, exp: i32) -> Option<Num> {
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Some(Num::zero());
        }
        let num = Num {
            negative,
            digits,
            exp,
        };
        num.in_range().then_some(num)
    }

    pub fn zero() -> Num {
        Num {
            negative: false,
            digits: Vec::new(),
            exp: 0,
        }
    }

    fn in_range(&self) -> bool {
        self.digits.is_empty()
            || (self.digits.len() <= MAX_DIGITS && self.exp <= MAX_EXP && self.exp >= MIN_EXP)
    }

    /// Significant digits, for the item size (one byte per two digits, plus one).
    pub fn significant_digits(&self) -> usize {
        self.digits.len()
    }

    fn cmp_magnitude(&self, other: &Num) -> Ordering {
        match (self.digits.is_empty(), other.digits.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        // Lexicographic order of normalized digits is numeric order at equal exponents.
        self.exp
            .cmp(&other.exp)
            .then_with(|| self.digits.cmp(&other.digits))
    }

    /// Digits little-endian from position `low` (value = Σ d × 10^(low + i)).
    fn spread(&self, low: i32, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        for (i, d) in self.digits.iter().enumerate() {
            let pos = self.exp - 1 - i as i32 - low;
            if let Some(slot) = usize::try_from(pos).ok().and_then(|p| out.get_mut(p)) {
                *slot = *d;
            }
        }
        out
    }

    /// The exact sum, or `None` when it exceeds DynamoDB's precision or range.
    pub fn add(&self, other: &Num) -> Option<Num> {
        if self.digits.is_empty() {
            return Some(other.clone());
        }
        if other.digits.is_empty() {
            return Some(self.clone());
        }
        let low = (self.exp - self.digits.len() as i32).min(other.exp - other.digits.len() as i32);
        let high = self.exp.max(other.exp);
        let len = usize::try_from(high - low + 1).ok()?;
        let (a, b) = (self.spread(low, len), other.spread(low, len));
        let (negative, mut out) = if self.negative == other.negative {
            let mut out = vec![0u8; len];
            let mut carry = 0;
            for i in 0..len {
                let s = a[i] + b[i] + carry;
                out[i] = s % 10;
                carry = s / 10;
            }
            (self.negative, out)
        } else {
            // Subtract the smaller magnitude from the larger; the sign is the larger's.
            let (big, small, negative) = match self.cmp_magnitude(other) {
                Ordering::Equal => return Some(Num::zero()),
                Ordering::Greater => (&a, &b, self.negative),
                Ordering::Less => (&b, &a, other.negative),
            };
            let mut out = vec![0u8; len];
            let mut borrow = 0i8;
            for i in 0..len {
                let mut d = big[i] as i8 - small[i] as i8 - borrow;
                borrow = 0;
                if d < 0 {
                    d += 10;
                    borrow = 1;
                }
                out[i] = d as u8;
            }
            (negative, out)
        };
        // Back to big-endian normalized digits.
        out.reverse();
        let leading = out.iter().take_while(|d| **d == 0).count();
        let digits = out.split_off(leading);
        Num::normalized(negative, digits, high + 1 - leading as i32)
    }

    pub fn negate(&self) -> Num {
        let mut n = self.clone();
        if !n.digits.is_empty() {
            n.negative = !n.negative;
        }
        n
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Num {
    /// Plain decimal notation, as DynamoDB answers numbers.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.digits.is_empty() {
            return f.write_str("0");
        }
        let mut s = String::new();
        if self.negative {
            s.push('-');
        }
        let digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let n = self.digits.len() as i32;
        if self.exp <= 0 {
            s.push_str("0.");
            s.extend(std::iter::repeat_n('0', (-self.exp) as usize));
            s.push_str(&digits);
        } else if self.exp >= n {
            s.push_str(&digits);
            s.extend(std::iter::repeat_n('0', (self.exp - n) as usize));
        } else {
            let (int, frac) = digits.split_at(self.exp as usize);
            s.push_str(int);
            s.push('.');
            s.push_str(frac);
        }
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Num {
        Num::parse(s).expect("number")
    }

    #[test]
    fn parses_compares_and_prints() {
        assert_eq!(n("1.0"), n("01"));
        assert_eq!(n("-0"), Num::zero());
        assert!(n("10") > n("9"));
        assert!(n("-10") < n("-9"));
        assert!(n("0.001") < n("0.01"));
        assert!(n("1e3") == n("1000"));
        assert_eq!(n("123.4500").to_string(), "123.45");
        assert_eq!(n("0.0012").to_string(), "0.0012");
        assert_eq!(n("12e2").to_string(), "1200");
        assert!(Num::parse("abc").is_none());
        assert!(Num::parse("1e200").is_none());
        assert!(Num::parse("").is_none());
        assert!(Num::parse("1.2.3").is_none());
        let big = "12345678901234567890123456789012345678";
        assert_eq!(n(big).to_string(), big);
        assert!(Num::parse(&format!("{big}9")).is_none());
    }

    #[test]
    fn adds_exactly() {
        assert_eq!(n("1").add(&n("2")), Some(n("3")));
        assert_eq!(n("0.1").add(&n("0.2")), Some(n("0.3")));
        assert_eq!(n("5").add(&n("-7")), Some(n("-2")));
        assert_eq!(n("-5").add(&n("5")), Some(Num::zero()));
        assert_eq!(n("999").add(&n("1")), Some(n("1000")));
        assert_eq!(n("1000").add(&n("-0.001")), Some(n("999.999")));
        assert_eq!(
            n("99999999999999999999999999999999999999").add(&n("0.1")),
            None,
            "39 digits"
        );
    }
}
