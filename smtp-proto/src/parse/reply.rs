//! Reply-line grammar (RFC 5321 §4.2) and enhanced status codes (RFC 3463 §2), with nom.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while_m_n};
use nom::character::complete::one_of;
use nom::combinator::{eof, map_res, value};
use nom::{IResult, Parser};

fn digits(min: usize, max: usize) -> impl Fn(&[u8]) -> IResult<&[u8], u16> {
    move |input| {
        map_res(
            take_while_m_n(min, max, |b: u8| b.is_ascii_digit()),
            |d: &[u8]| {
                std::str::from_utf8(d)
                    .map_err(|_| ())
                    .and_then(|s| s.parse::<u16>().map_err(|_| ()))
            },
        )
        .parse(input)
    }
}

/// ```text
/// Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
/// Reply-code = %x32-35 %x30-35 %x30-39
/// ```
/// On a line without its CRLF: (code, whether it is the last line, text).
pub(crate) fn reply_line(line: &[u8]) -> Option<(u16, bool, &[u8])> {
    let code = (one_of("2345"), one_of("012345"), one_of("0123456789"));
    let sep = alt((
        value(false, tag(&b"-"[..])),
        value(true, tag(&b" "[..])),
        value(true, eof),
    ));
    let parsed: IResult<&[u8], _> = (code, sep).parse(line);
    let (text, ((a, b, c), last)) = parsed.ok()?;
    let d = |ch: char| ch.to_digit(10).unwrap_or(0) as u16;
    Some((d(a) * 100 + d(b) * 10 + d(c), last, text))
}

/// ```text
/// status-code = class "." subject "." detail
/// class       = "2" / "4" / "5"
/// subject     = 1*3digit
/// detail      = 1*3digit
/// ```
/// Followed by SP or the end of the text. Returns (class, subject, detail, rest after the SP).
pub(crate) fn enhanced_code(text: &[u8]) -> Option<(u8, u16, u16, &[u8])> {
    let sep = alt((tag(&b" "[..]), eof));
    let parsed: IResult<&[u8], _> = (
        one_of("245"),
        tag(&b"."[..]),
        digits(1, 3),
        tag(&b"."[..]),
        digits(1, 3),
        sep,
    )
        .parse(text);
    let (rest, (class, _, subject, _, detail, _)) = parsed.ok()?;
    let class = class.to_digit(10).unwrap_or(0) as u8;
    Some((class, subject, detail, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(reply_line(b"250 ok"), Some((250, true, &b"ok"[..])));
        assert_eq!(reply_line(b"250-ok"), Some((250, false, &b"ok"[..])));
        assert_eq!(reply_line(b"334"), Some((334, true, &b""[..])));
        assert_eq!(reply_line(b"2500 x"), None);
        assert_eq!(reply_line(b"250x"), None);
        assert_eq!(reply_line(b"25"), None);
        assert_eq!(reply_line(b"099 x"), None);
        assert_eq!(enhanced_code(b"5.7.0 no"), Some((5, 7, 0, &b"no"[..])));
        assert_eq!(enhanced_code(b"2.1.5"), Some((2, 1, 5, &b""[..])));
        assert_eq!(enhanced_code(b"2.1.5x"), None);
        assert_eq!(enhanced_code(b"3.1.5 x"), None);
    }
}
