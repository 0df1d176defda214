//! Test-only: the previous nom-based reader, as a reference for the hand-written one.
#![allow(
    clippy::all,
    clippy::use_self,
    missing_docs,
    unreachable_pub,
    dead_code
)]
use crate::ehlo::Capability;
use crate::error::{ParseError, ParseErrorKind};
use crate::parse;
use crate::reply::{EnhancedStatusCode, ReplyCode, ReplyLimits};
use crate::types::MechanismName;
use bytes::Bytes;
use mail_sansio::Parsed;

mod nomp {
    // Reply-line grammar (RFC 5321 §4.2) and enhanced status codes (RFC 3463 §2), with nom.

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
    pub(super) fn reply_line(line: &[u8]) -> Option<(u16, bool, &[u8])> {
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
    pub(super) fn enhanced_code(text: &[u8]) -> Option<(u8, u16, u16, &[u8])> {
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: ReplyCode,
    pub enhanced: Option<EnhancedStatusCode>,
    pub lines: Vec<Bytes>,
}
impl Reply {
    pub fn decode_with(input: &[u8], limits: &ReplyLimits) -> Result<Parsed<Reply>, ParseError> {
        let mut assembler = ReplyAssembler::new(*limits);
        let mut pos = 0;
        loop {
            let rest = input.get(pos..).unwrap_or_default();
            let Some(lf) = memchr::memchr(b'\n', rest) else {
                if rest.len() >= limits.max_line {
                    return Err(ParseError::new(
                        ParseErrorKind::TooLong {
                            what: "line",
                            limit: limits.max_line,
                        },
                        pos,
                        "Reply-line",
                    ));
                }
                return Ok(Parsed::Incomplete);
            };
            if lf + 1 > limits.max_line {
                return Err(ParseError::new(
                    ParseErrorKind::TooLong {
                        what: "line",
                        limit: limits.max_line,
                    },
                    pos,
                    "Reply-line",
                ));
            }
            let Some(line) = lf
                .checked_sub(1)
                .and_then(|end| rest.get(..end))
                .filter(|_| rest.get(lf.wrapping_sub(1)) == Some(&b'\r'))
            else {
                return Err(ParseError::new(
                    ParseErrorKind::BareNewline,
                    pos + lf,
                    "Reply-line",
                ));
            };
            let done = assembler.push_line(line).map_err(|e| e.shifted(pos))?;
            pos += lf + 1;
            if let Some(reply) = done {
                return Ok(Parsed::Complete {
                    value: reply,
                    consumed: pos,
                });
            }
        }
    }
}
#[derive(Debug, Clone)]
pub struct ReplyAssembler {
    limits: ReplyLimits,
    code: Option<ReplyCode>,
    enhanced: Option<EnhancedStatusCode>,
    lines: Vec<Bytes>,
    total: usize,
}

impl ReplyAssembler {
    /// An assembler with the given caps.
    pub fn new(limits: ReplyLimits) -> Self {
        Self {
            limits,
            code: None,
            enhanced: None,
            lines: Vec::new(),
            total: 0,
        }
    }

    /// Whether a reply has been started and not finished.
    pub fn is_partial(&self) -> bool {
        self.code.is_some()
    }

    /// Feeds one line without its CRLF; returns the reply when this was its last line. On an
    /// error the assembler is reset.
    pub fn push_line(&mut self, line: &[u8]) -> Result<Option<Reply>, ParseError> {
        let result = self.push_inner(line);
        if !matches!(result, Ok(None)) {
            self.code = None;
            self.enhanced = None;
            self.lines.clear();
            self.total = 0;
        }
        result
    }

    fn push_inner(&mut self, line: &[u8]) -> Result<Option<Reply>, ParseError> {
        let rule = "Reply-line";
        if line.len() + 2 > self.limits.max_line {
            return Err(ParseError::new(
                ParseErrorKind::TooLong {
                    what: "line",
                    limit: self.limits.max_line,
                },
                0,
                rule,
            ));
        }
        if let Some(i) = memchr::memchr2(b'\r', 0, line) {
            let byte = line.get(i).copied().unwrap_or(0);
            return Err(ParseError::new(
                if byte == b'\r' {
                    ParseErrorKind::BareNewline
                } else {
                    ParseErrorKind::ForbiddenByte(0)
                },
                i,
                rule,
            ));
        }
        let (code, last, text) = nomp::reply_line(line).ok_or(ParseError::new(
            ParseErrorKind::InvalidReplyCode,
            0,
            rule,
        ))?;
        let code = ReplyCode::new_unchecked(code);
        let first = match self.code {
            None => {
                self.code = Some(code);
                true
            }
            Some(expected) if expected != code => {
                return Err(ParseError::new(
                    ParseErrorKind::CodeMismatch {
                        expected: expected.get(),
                        found: code.get(),
                    },
                    0,
                    rule,
                ));
            }
            Some(_) => false,
        };
        self.total += line.len() + 2;
        if self.lines.len() >= self.limits.max_lines {
            return Err(ParseError::new(
                ParseErrorKind::TooManyLines {
                    limit: self.limits.max_lines,
                },
                0,
                rule,
            ));
        }
        if self.total > self.limits.max_total {
            return Err(ParseError::new(
                ParseErrorKind::TooLong {
                    what: "reply",
                    limit: self.limits.max_total,
                },
                0,
                rule,
            ));
        }
        let mut text = text;
        if first {
            if let Some((c, s, d, rest)) = nomp::enhanced_code(text)
                && u16::from(c) == code.get() / 100
            {
                self.enhanced = Some(EnhancedStatusCode::new_unchecked(c, s, d));
                text = rest;
            }
        } else if let Some(e) = self.enhanced
            && let Some((c, s, d, rest)) = nomp::enhanced_code(text)
            && (c, s, d) == (e.class(), e.subject(), e.detail())
        {
            text = rest;
        }
        self.lines.push(Bytes::copy_from_slice(text));
        if last {
            let reply = Reply {
                code,
                enhanced: self.enhanced,
                lines: std::mem::take(&mut self.lines),
            };
            return Ok(Some(reply));
        }
        Ok(None)
    }
}

pub fn cap_parse(line: &[u8]) -> Option<Capability> {
    Capability::old_parse(line)
}
impl Capability {
    /// `ehlo-line = ehlo-keyword *( SP ehlo-param )`.
    pub(crate) fn old_parse(line: &[u8]) -> Option<Self> {
        let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
        let keyword = words.next()?;
        if !keyword
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return None;
        }
        type Make = fn() -> Capability;
        const SIMPLE: [(&[u8], Make); 9] = [
            (b"PIPELINING", || Capability::Pipelining),
            (b"8BITMIME", || Capability::EightBitMime),
            (b"SMTPUTF8", || Capability::SmtpUtf8),
            (b"CHUNKING", || Capability::Chunking),
            (b"BINARYMIME", || Capability::BinaryMime),
            (b"DSN", || Capability::Dsn),
            (b"ENHANCEDSTATUSCODES", || Capability::EnhancedStatusCodes),
            (b"STARTTLS", || Capability::StartTls),
            (b"REQUIRETLS", || Capability::RequireTls),
        ];
        // Fixed since: the offset of the keyword's end, also after leading spaces.
        let rest_start = keyword.as_ptr() as usize - line.as_ptr() as usize + keyword.len();
        let has_params = line
            .get(rest_start..)
            .is_some_and(|r| r.iter().any(|&b| b != b' '));
        if !has_params {
            for (word, cap) in SIMPLE {
                if keyword.len() == word.len() && keyword.eq_ignore_ascii_case(word) {
                    return Some(cap());
                }
            }
        }
        let rest: Vec<&[u8]> = words.collect();
        if keyword.eq_ignore_ascii_case(b"SIZE") {
            return match rest.as_slice() {
                [] => Some(Capability::Size(None)),
                // Saturate rather than fail the whole EHLO reply (security-anchors §8 item 28).
                [n] => Some(Capability::Size(Some(
                    parse::number(n, 20, "SIZE", "size").unwrap_or(u64::MAX),
                ))),
                _ => None,
            };
        }
        if keyword.eq_ignore_ascii_case(b"AUTH") {
            return Some(Self::Auth(
                rest.iter()
                    .filter_map(|m| MechanismName::parse(m))
                    .collect(),
            ));
        }
        if keyword.eq_ignore_ascii_case(b"LIMITS") {
            let (mut rcpt_max, mut mail_max, mut rcpt_domain_max) = (None, None, None);
            for p in &rest {
                let (k, v) = p.split_at_checked(memchr::memchr(b'=', p)?)?;
                let n = parse::number(v.get(1..)?, 20, "LIMITS", "limit-value").ok()?;
                if k.eq_ignore_ascii_case(b"RCPTMAX") {
                    rcpt_max = Some(n);
                } else if k.eq_ignore_ascii_case(b"MAILMAX") {
                    mail_max = Some(n);
                } else if k.eq_ignore_ascii_case(b"RCPTDOMAINMAX") {
                    rcpt_domain_max = Some(n);
                }
            }
            return Some(Self::Limits {
                rcpt_max,
                mail_max,
                rcpt_domain_max,
            });
        }
        let keyword = String::from_utf8_lossy(keyword).to_ascii_uppercase();
        let params = rest
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        Some(Self::Other { keyword, params })
    }
}
pub fn ehlo(input: &[u8]) -> Result<Parsed<(String, Option<String>, Vec<Capability>)>, ParseError> {
    match Reply::decode_with(input, &ReplyLimits::default())? {
        Parsed::Incomplete => Ok(Parsed::Incomplete),
        Parsed::Complete {
            value: reply,
            consumed,
        } => {
            if reply.code != ReplyCode::OK {
                return Err(ParseError::new(
                    ParseErrorKind::InvalidReplyCode,
                    0,
                    "ehlo-ok-rsp",
                ));
            }
            let mut lines = reply.lines.iter().map(|l| &l[..]);
            let first = lines.next().unwrap_or_default();
            let (domain, greet) = parse::split_word(first);
            let clean = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            let domain = clean(domain);
            let greeting = (!greet.is_empty()).then(|| clean(greet));
            let caps = if reply.enhanced.is_some() {
                Vec::new()
            } else {
                lines.filter_map(Capability::old_parse).collect()
            };
            Ok(Parsed::Complete {
                value: (domain, greeting, caps),
                consumed,
            })
        }
    }
}
