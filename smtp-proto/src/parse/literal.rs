//! RFC 5321 §4.1.3 address literals: `[192.0.2.1]`, `[IPv6:2001:db8::1]`.
//!
//! Stricter than plain `dcontent` on purpose: a literal that is not an address (`[300.1.1.1]`,
//! `[$(id)]`) would otherwise reach the application as a validated domain.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{ParseError, ParseErrorKind};

use super::path::MAX_DOMAIN;

fn syntax(offset: usize, rule: &'static str) -> ParseError {
    ParseError::new(ParseErrorKind::Syntax, offset, rule)
}

/// ```text
/// address-literal         = "[" ( IPv4-address-literal / IPv6-address-literal /
///                                 General-address-literal ) "]"
/// General-address-literal = Standardized-tag ":" 1*dcontent
/// Standardized-tag        = Ldh-str  ; registered with IANA
/// dcontent                = %d33-90 / %d94-126
/// ```
/// Returns the length including the brackets, and the address.
///
/// A general literal is rejected even when its tag is well formed: IANA's Address Literal Tags
/// registry holds only `IPv6`, so no conforming peer can send another tag, and an unknown tag
/// would reach the application as an opaque "validated" domain it cannot route to.
pub(crate) fn address_literal(input: &[u8]) -> Result<(usize, IpAddr), ParseError> {
    if input.first() != Some(&b'[') {
        return Err(syntax(0, "address-literal"));
    }
    let mut end = 1;
    loop {
        match input.get(end) {
            Some(b']') if end > 1 => break,
            Some(33..=90 | 94..=126) => end += 1,
            _ => return Err(syntax(end, "address-literal")),
        }
    }
    let len = end + 1;
    if len > MAX_DOMAIN {
        return Err(ParseError::new(
            ParseErrorKind::TooLong {
                what: "domain",
                limit: MAX_DOMAIN,
            },
            0,
            "address-literal",
        ));
    }
    let inner = input.get(1..end).unwrap_or_default();
    let at = |offset: usize| offset + 1;
    let Some(colon) = inner.iter().position(|&b| b == b':') else {
        return match ipv4(inner) {
            Ok((ip, n)) if n == inner.len() => Ok((len, IpAddr::V4(ip))),
            Ok((_, n)) | Err(n) => Err(syntax(at(n), "IPv4-address-literal")),
        };
    };
    let (tag, content) = inner.split_at(colon);
    if tag.eq_ignore_ascii_case(b"IPv6") {
        let content = content.get(1..).unwrap_or_default();
        return ipv6(content)
            .map(|ip| (len, IpAddr::V6(ip)))
            .map_err(|n| syntax(at(colon + 1 + n), "IPv6-address-literal"));
    }
    let ldh = !tag.is_empty()
        && tag.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        && tag.last() != Some(&b'-');
    if !ldh {
        return Err(syntax(at(0), "Standardized-tag"));
    }
    if content.len() < 2 {
        return Err(syntax(at(colon + 1), "General-address-literal"));
    }
    Err(syntax(at(0), "Standardized-tag"))
}

/// ```text
/// IPv4-address-literal = Snum 3("." Snum)
/// Snum                 = 1*3DIGIT  ; representing a decimal integer value in the range 0-255
/// ```
/// Returns the address and its length, or the offset of the error.
///
/// A `Snum` with a leading zero (`010`) is rejected although the ABNF allows it: C's
/// `inet_aton` and others read it as octal, so the same literal would name two addresses.
pub(crate) fn ipv4(input: &[u8]) -> Result<(Ipv4Addr, usize), usize> {
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, octet) in octets.iter_mut().enumerate() {
        if n > 0 {
            if input.get(i) != Some(&b'.') {
                return Err(i);
            }
            i += 1;
        }
        let start = i;
        let mut value: u16 = 0;
        while let Some(&b) = input.get(i).filter(|b| b.is_ascii_digit()) {
            if i - start == 3 || (i > start && value == 0) {
                return Err(i);
            }
            value = value * 10 + u16::from(b - b'0');
            i += 1;
        }
        *octet = u8::try_from(value).map_err(|_| start)?;
        if i == start {
            return Err(i);
        }
    }
    Ok((Ipv4Addr::from(octets), i))
}

/// ```text
/// IPv6-addr   = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp
/// IPv6-hex    = 1*4HEXDIG
/// IPv6-full   = IPv6-hex 7(":" IPv6-hex)
/// IPv6-comp   = [IPv6-hex *5(":" IPv6-hex)] "::" [IPv6-hex *5(":" IPv6-hex)]
///               ; no more than 6 groups in addition to the "::"
/// IPv6v4-full = IPv6-hex 5(":" IPv6-hex) ":" IPv4-address-literal
/// IPv6v4-comp = [IPv6-hex *3(":" IPv6-hex)] "::" [IPv6-hex *3(":" IPv6-hex) ":"]
///               IPv4-address-literal
///               ; no more than 4 groups in addition to the "::" and IPv4-address-literal
/// ```
/// The whole of `input`; returns the address or the offset of the error.
///
/// RFC 5321 lets `::` stand for two or more zero groups, never one (RFC 4291 allows one; RFC
/// 5952 output never uses it), so `1:2:3:4:5:6:7::` is refused. The RFC prints IPv6v4-comp's
/// tail as `IPv6-hex *3(":" IPv6-hex ":")`, which cannot match `::ffff:1.2.3.4`; the grammar
/// above is the intended one, every group followed by a colon.
pub(crate) fn ipv6(input: &[u8]) -> Result<Ipv6Addr, usize> {
    // Groups before the "::" (or all of them), then after it.
    let mut groups = [[0u16; 8]; 2];
    let mut count = [0usize; 2];
    let mut gap = false;
    let mut i = 0;
    if input == b"::" {
        return Ok(Ipv6Addr::UNSPECIFIED);
    }
    if input.starts_with(b"::") {
        gap = true;
        i = 2;
    }
    loop {
        let start = i;
        let mut value: u16 = 0;
        while let Some(d) = input.get(i).and_then(|&b| char::from(b).to_digit(16)) {
            if i - start == 4 {
                return Err(i);
            }
            value = (value << 4) | u16::try_from(d).unwrap_or(0);
            i += 1;
        }
        if i == start {
            return Err(i);
        }
        let side = usize::from(gap);
        let total = count[0] + count[1];
        let slot = count.get_mut(side).ok_or(start)?;
        let out = groups.get_mut(side).ok_or(start)?;
        if input.get(i) == Some(&b'.') {
            let (v4, n) = ipv4(input.get(start..).unwrap_or_default()).map_err(|e| start + e)?;
            i = start + n;
            if i != input.len() || total > 6 {
                return Err(i);
            }
            let [a, b, c, d] = v4.octets();
            for pair in [[a, b], [c, d]] {
                *out.get_mut(*slot).ok_or(start)? = u16::from_be_bytes(pair);
                *slot += 1;
            }
            break;
        }
        if total == 8 {
            return Err(start);
        }
        *out.get_mut(*slot).ok_or(start)? = value;
        *slot += 1;
        match input.get(i) {
            None => break,
            Some(b':') if input.get(i + 1) == Some(&b':') && !gap => {
                gap = true;
                i += 2;
                if i == input.len() {
                    break;
                }
            }
            Some(b':') => i += 1,
            Some(_) => return Err(i),
        }
    }
    let [head, tail] = count;
    let total = head + tail;
    if (gap && total > 6) || (!gap && total != 8) {
        return Err(input.len());
    }
    let mut words = [0u16; 8];
    let [before, after] = groups;
    for (k, w) in words.iter_mut().enumerate() {
        *w = if k < head {
            before.get(k).copied().unwrap_or(0)
        } else if k >= 8 - tail {
            after.get(k + tail - 8).copied().unwrap_or(0)
        } else {
            0
        };
    }
    Ok(Ipv6Addr::from(words))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Option<IpAddr> {
        match address_literal(s.as_bytes()) {
            Ok((n, ip)) => {
                assert_eq!(n, s.len(), "{s}");
                Some(ip)
            }
            Err(_) => None,
        }
    }

    #[test]
    fn known_answers() {
        let good = [
            ("[127.0.0.1]", "127.0.0.1"),
            ("[0.0.0.0]", "0.0.0.0"),
            ("[255.255.255.255]", "255.255.255.255"),
            ("[IPv6:::1]", "::1"),
            ("[ipv6:::]", "::"),
            ("[IPV6:2001:db8::1]", "2001:db8::1"),
            ("[IPv6:::ffff:1.2.3.4]", "::ffff:1.2.3.4"),
            ("[IPv6:::1.2.3.4]", "::1.2.3.4"),
            ("[IPv6:1:2:3:4:5:6:7:8]", "1:2:3:4:5:6:7:8"),
            ("[IPv6:1:2:3:4:5:6:1.2.3.4]", "1:2:3:4:5:6:102:304"),
            ("[IPv6:1:2:3::4:5:6]", "1:2:3::4:5:6"),
            ("[IPv6:1:2:3:4:5:6::]", "1:2:3:4:5:6::"),
            ("[IPv6:::1:2:3:4:5:6]", "::1:2:3:4:5:6"),
            ("[IPv6:1:2::3:4:1.2.3.4]", "1:2::3:4:102:304"),
            ("[IPv6:1:2:3:4::1.2.3.4]", "1:2:3:4::102:304"),
            ("[IPv6:ABCD:ef01::]", "abcd:ef01::"),
        ];
        for (s, ip) in good {
            assert_eq!(lit(s), Some(ip.parse().unwrap()), "{s}");
        }
        let bad = [
            "[300.1.1.1]",
            "[1.2.3]",
            "[1.2.3.4.5]",
            "[a]",
            "[$(id)]",
            "[IPv6:zzzz]",
            "[]",
            "[1.2.3.4",
            "[1.2.3.4 ]",
            "[010.0.0.1]",
            "[1.2.3.00]",
            "[1.2.3.256]",
            "[1.2.3.1000]",
            "[1..2.3]",
            "[.1.2.3.4]",
            "[1.2.3.4.]",
            "[IPv6:]",
            "[IPv6:1:2:3:4:5:6:7::]",
            "[IPv6:::1:2:3:4:5:6:7]",
            "[IPv6:1:2:3:4::5:6:7]",
            "[IPv6:1:2:3:4:5:6:7]",
            "[IPv6:1:2:3:4:5:6:7:8:9]",
            "[IPv6:1:2:3:4:5::1.2.3.4]",
            "[IPv6:1:2:3:4:5:1.2.3.4]",
            "[IPv6:1.2.3.4]",
            "[IPv6:1.2.3.4::]",
            "[IPv6:::1.2.3.4:1]",
            "[IPv6:1:::2]",
            "[IPv6:1::2::3]",
            "[IPv6::1]",
            "[IPv6:1:]",
            "[IPv6:12345::]",
            "[IPv6:::ffff:01.2.3.4]",
            "[IPv6 :::1]",
            "[x-tag:foo]",
            "[x-tag:]",
            "[-x:foo]",
            "[x-:foo]",
            "[:foo]",
        ];
        for s in bad {
            assert_eq!(lit(s), None, "{s}");
        }
        let long = format!("[IPv6:{}::]", "0:".repeat(130));
        assert!(matches!(
            address_literal(long.as_bytes()).unwrap_err().kind,
            ParseErrorKind::TooLong { .. }
        ));
    }

    #[test]
    fn error_rules_and_offsets() {
        let e = |s: &str| {
            let e = address_literal(s.as_bytes()).unwrap_err();
            (e.rule, e.offset)
        };
        assert_eq!(e("[300.1.1.1]"), ("IPv4-address-literal", 1));
        assert_eq!(e("[1.2.3]"), ("IPv4-address-literal", 6));
        assert_eq!(e("[1.2.3.4.5]"), ("IPv4-address-literal", 8));
        assert_eq!(e("[IPv6:zzzz]"), ("IPv6-address-literal", 6));
        assert_eq!(e("[x-tag:foo]"), ("Standardized-tag", 1));
        assert_eq!(e("[$(id)]"), ("IPv4-address-literal", 1));
        assert_eq!(e("[a b]"), ("address-literal", 2));
    }

    /// What RFC 5321 accepts, from std's RFC 4291 parser: it agrees except that RFC 5321's
    /// "::" stands for at least two groups, and std already refuses leading zeros in IPv4.
    fn reference_v6(s: &[u8]) -> Option<Ipv6Addr> {
        let text = std::str::from_utf8(s).ok()?;
        let ip: Ipv6Addr = text.parse().ok()?;
        let groups: usize = text
            .split(':')
            .filter(|g| !g.is_empty())
            .map(|g| if g.contains('.') { 2 } else { 1 })
            .sum();
        (!text.contains("::") || groups <= 6).then_some(ip)
    }

    /// Every string of up to eight bytes over the bytes that matter: the hand-written IPv4 and
    /// IPv6 scanners agree with std's parsers (IPv6 with RFC 5321's "::" rule).
    #[test]
    fn scanners_agree_with_std() {
        const ALPHABET: &[u8] = b"0f:.12";
        let mut s = Vec::new();
        let mut accepted = (0, 0);
        for len in 0..=8u32 {
            for mut n in 0..ALPHABET.len().pow(len) {
                s.clear();
                for _ in 0..len {
                    s.push(ALPHABET[n % ALPHABET.len()]);
                    n /= ALPHABET.len();
                }
                let v4 = ipv4(&s)
                    .ok()
                    .filter(|&(_, n)| n == s.len())
                    .map(|(ip, _)| ip);
                let std_v4 = std::str::from_utf8(&s).ok().and_then(|t| t.parse().ok());
                assert_eq!(v4, std_v4, "{:?}", String::from_utf8_lossy(&s));
                let v6 = ipv6(&s).ok();
                assert_eq!(v6, reference_v6(&s), "{:?}", String::from_utf8_lossy(&s));
                accepted.0 += usize::from(v4.is_some());
                accepted.1 += usize::from(v6.is_some());
            }
        }
        assert!(accepted.0 > 50 && accepted.1 > 1000, "{accepted:?}");
    }

    proptest::proptest! {
        /// Longer strings than the exhaustive test reaches (full forms, group counts), over
        /// the same bytes and in groups that look like addresses.
        #[test]
        fn scanners_agree_with_std_on_long_input(
            s in "([0-9a-fA-F]{0,5}[:.]{0,2}){0,10}",
        ) {
            proptest::prop_assert_eq!(ipv6(s.as_bytes()).ok(), reference_v6(s.as_bytes()), "{}", s);
            let v4 = ipv4(s.as_bytes()).ok().filter(|&(_, n)| n == s.len()).map(|(ip, _)| ip);
            proptest::prop_assert_eq!(v4, s.parse().ok(), "{}", s);
        }
    }
}
