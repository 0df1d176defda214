//! Byte classes for the command grammar: one table lookup answers every "is this byte allowed
//! here" question of the hot paths.

/// `atext` of RFC 5322 §3.2.3, plus `UTF8-non-ascii` (RFC 6531 §3.3).
pub(crate) const ATEXT: u16 = 1;
/// `Let-dig` and "-" of a domain label, plus `UTF8-non-ascii`.
pub(crate) const LDH: u16 = 1 << 1;
/// `esmtp-value` characters: %d33-60 / %d62-126 / UTF8-non-ascii.
pub(crate) const VALUE: u16 = 1 << 2;
/// `esmtp-keyword` characters after the first: ALPHA / DIGIT / "-".
pub(crate) const KEYWORD: u16 = 1 << 3;
/// ASCII bytes.
pub(crate) const ASCII: u16 = 1 << 4;
/// `xchar` of RFC 3461 §4 that needs no decoding: %d33-126 but "+", "=" and "\\".
pub(crate) const XPLAIN: u16 = 1 << 5;
/// ASCII letters, digits, "-" and ".": what a plain domain is made of.
pub(crate) const DNS: u16 = 1 << 6;
/// ASCII `atext` and ".": what a plain dot-string is made of.
pub(crate) const DOT_ATOM: u16 = 1 << 7;
/// A dot: a hyphen or a dot may not follow it in a domain.
const IS_DOT: u16 = 1 << 8;
/// A dot or hyphen: may not follow a dot in a domain.
const IS_DOT_OR_HYPHEN: u16 = 1 << 9;
/// A hyphen, shifted right by two it becomes [`IS_DOT`]: a dot may not follow it.
const AFTER_HYPHEN: u16 = 1 << 10;
/// A dot, shifted right by two it becomes [`IS_DOT_OR_HYPHEN`], by three [`IS_DOT`].
const AFTER_DOT: u16 = 1 << 11;
/// `(class(prev) >> 2) & class(next) & PAIR_DOMAIN` is nonzero for `..`, `.-` and `-.`.
pub(crate) const PAIR_DOMAIN: u16 = IS_DOT | IS_DOT_OR_HYPHEN;
/// `(class(prev) >> 3) & class(next) & PAIR_LOCAL` is nonzero for `..`.
pub(crate) const PAIR_LOCAL: u16 = IS_DOT;

const _: () = assert!(AFTER_HYPHEN >> 2 == IS_DOT && AFTER_DOT >> 2 == IS_DOT_OR_HYPHEN);
const _: () = assert!(AFTER_DOT >> 3 == IS_DOT && (AFTER_HYPHEN >> 3) & PAIR_LOCAL == 0);

const fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'/'
                | b'='
                | b'?'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
        )
}

#[allow(
    clippy::indexing_slicing,
    reason = "i < 256 while building a constant table"
)]
const fn classes() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let high = b >= 0x80;
        let mut c = 0;
        if is_atext(b) || high {
            c |= ATEXT;
        }
        if b.is_ascii_alphanumeric() || b == b'-' || high {
            c |= LDH;
        }
        if (b >= 33 && b <= 126 && b != b'=') || high {
            c |= VALUE;
        }
        if b.is_ascii_alphanumeric() || b == b'-' {
            c |= KEYWORD;
        }
        if !high {
            c |= ASCII;
        }
        if b >= 33 && b <= 126 && b != b'+' && b != b'=' && b != b'\\' {
            c |= XPLAIN;
        }
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' {
            c |= DNS;
        }
        if b == b'.' || is_atext(b) {
            c |= DOT_ATOM;
        }
        if b == b'.' {
            c |= IS_DOT | IS_DOT_OR_HYPHEN | AFTER_DOT;
        }
        if b == b'-' {
            c |= IS_DOT_OR_HYPHEN | AFTER_HYPHEN;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CLASSES: [u16; 256] = classes();

/// The classes of `b`.
#[inline(always)]
pub(crate) fn class(b: u8) -> u16 {
    CLASSES.get(usize::from(b)).copied().unwrap_or(0)
}
