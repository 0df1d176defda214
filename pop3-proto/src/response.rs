//! Responses a server sends: `+OK`/`-ERR` status lines with RFC 2449 response codes, SASL
//! challenges, and the lines of multi-line LIST and UIDL answers.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::{BufMut, BytesMut};
use mail_sansio::Parsed;

use crate::config::MAX_RESPONSE_LINE;
use crate::error::{InvalidValue, ParseError};
use crate::parse;
use crate::types::{MessageNumber, Text, Timestamp, Uid};

/// The status indicator of a response (RFC 1939 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `+OK`: the command succeeded.
    Ok,
    /// `-ERR`: the command failed.
    Err,
}

/// A response code (RFC 2449 §8, RFC 3206, RFC 6856 §3): the bracketed word after the status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseCode {
    /// `[IN-USE]`: the maildrop is locked by another session (RFC 2449 §8.1.1).
    InUse,
    /// `[LOGIN-DELAY]`: logging in again this soon is not allowed (RFC 2449 §8.1.2).
    LoginDelay,
    /// `[SYS/TEMP]`: a temporary system problem; try again later (RFC 3206 §4).
    SysTemp,
    /// `[SYS/PERM]`: a permanent system problem (RFC 3206 §4).
    SysPerm,
    /// `[AUTH]`: the credentials are wrong (RFC 3206 §5).
    Auth,
    /// `[UTF8]`: UTF-8 mode is required or active (RFC 6856 §3).
    Utf8,
    /// Any other code, kept with its hierarchy (`[X-FOO/BAR]` → `["X-FOO", "BAR"]`).
    Other(UnknownCode),
}

/// A response code this crate does not know, as its `/`-separated levels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownCode(Vec<String>);

impl UnknownCode {
    /// Builds a code from its levels; each must be 1*rchar (RFC 2449 §8: printable, no `/`
    /// or `]`).
    pub fn new<S: AsRef<str>>(levels: &[S]) -> Result<Self, InvalidValue> {
        if levels.is_empty() {
            return Err(InvalidValue::Empty {
                what: "response code",
            });
        }
        let mut out = Vec::with_capacity(levels.len());
        for level in levels {
            let level = level.as_ref();
            check_level(level.as_bytes())?;
            out.push(level.to_owned());
        }
        Ok(Self(out))
    }

    /// The levels, outermost first.
    pub fn levels(&self) -> &[String] {
        &self.0
    }
}

fn check_level(level: &[u8]) -> Result<(), InvalidValue> {
    if level.is_empty() {
        return Err(InvalidValue::Empty {
            what: "response code level",
        });
    }
    if level.len() > MAX_RESPONSE_LINE {
        return Err(InvalidValue::TooLong {
            what: "response code level",
            limit: MAX_RESPONSE_LINE,
        });
    }
    match level
        .iter()
        .find(|&&b| !(0x21..=0x7e).contains(&b) || b == b'/' || b == b']')
    {
        Some(&octet) => Err(InvalidValue::ForbiddenOctet {
            what: "response code level",
            octet,
        }),
        None => Ok(()),
    }
}

impl ResponseCode {
    pub(crate) fn from_levels(levels: Vec<&[u8]>) -> Option<Self> {
        for l in &levels {
            check_level(l).ok()?;
        }
        let eq = |i: usize, s: &str| {
            levels
                .get(i)
                .is_some_and(|l| l.eq_ignore_ascii_case(s.as_bytes()))
        };
        let known = match levels.len() {
            1 if eq(0, "IN-USE") => Some(Self::InUse),
            1 if eq(0, "LOGIN-DELAY") => Some(Self::LoginDelay),
            1 if eq(0, "AUTH") => Some(Self::Auth),
            1 if eq(0, "UTF8") => Some(Self::Utf8),
            2 if eq(0, "SYS") && eq(1, "TEMP") => Some(Self::SysTemp),
            2 if eq(0, "SYS") && eq(1, "PERM") => Some(Self::SysPerm),
            _ => None,
        };
        Some(known.unwrap_or_else(|| {
            Self::Other(UnknownCode(
                levels
                    .iter()
                    .map(|l| String::from_utf8_lossy(l).into_owned())
                    .collect(),
            ))
        }))
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InUse => f.write_str("IN-USE"),
            Self::LoginDelay => f.write_str("LOGIN-DELAY"),
            Self::SysTemp => f.write_str("SYS/TEMP"),
            Self::SysPerm => f.write_str("SYS/PERM"),
            Self::Auth => f.write_str("AUTH"),
            Self::Utf8 => f.write_str("UTF8"),
            Self::Other(code) => f.write_str(&code.0.join("/")),
        }
    }
}

/// A single-line response: status, optional response code, and text.
///
/// A text that itself starts with a valid bracketed code is read back as that code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    /// `+OK` or `-ERR`.
    pub status: Status,
    /// The RFC 2449 response code, if any.
    pub code: Option<ResponseCode>,
    /// The human-readable text (may be empty).
    pub text: Text,
}

impl StatusLine {
    /// `+OK text`.
    pub fn ok(text: Text) -> Self {
        Self {
            status: Status::Ok,
            code: None,
            text,
        }
    }

    /// `-ERR [code] text`.
    pub fn err(code: Option<ResponseCode>, text: Text) -> Self {
        Self {
            status: Status::Err,
            code,
            text,
        }
    }

    /// Whether the status is `+OK`.
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// Appends the line, CRLF included.
    pub fn encode(&self, dst: &mut BytesMut) {
        dst.put_slice(match self.status {
            Status::Ok => b"+OK",
            Status::Err => b"-ERR",
        });
        if let Some(code) = &self.code {
            dst.put_slice(b" [");
            dst.put_slice(code.to_string().as_bytes());
            dst.put_u8(b']');
        }
        if !self.text.is_empty() {
            dst.put_u8(b' ');
            dst.put_slice(self.text.as_str().as_bytes());
        }
        dst.put_slice(b"\r\n");
    }

    /// The APOP timestamp in a greeting's text, if there is a valid one (RFC 1939 §7).
    ///
    /// It may appear anywhere in the text, not only right after `+OK`.
    pub fn apop_timestamp(&self) -> Option<Timestamp> {
        let text = self.text.as_str();
        let start = text.find('<')?;
        let len = text.get(start..)?.find('>')?;
        Timestamp::try_from(text.get(start..=start + len)?).ok()
    }

    /// Parses the first two numbers of the text, as in STAT's drop listing
    /// (`+OK nn mm`, RFC 1939 §5).
    pub fn stat(&self) -> Result<Stat, ParseError> {
        let text = self.text.as_str().as_bytes();
        let (count, rest) = parse::split_space(text);
        let rest = rest.ok_or(ParseError::Syntax {
            rule: "drop-listing",
            offset: count.len(),
        })?;
        let (size, _) = parse::split_space(rest);
        Ok(Stat {
            count: parse::number_u64(count, "drop-listing", 0)?,
            size: parse::number_u64(size, "drop-listing", count.len() + 1)?,
        })
    }
}

/// A response line a client reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `+OK …` or `-ERR …`.
    Status(StatusLine),
    /// `+ base64`: a SASL challenge during AUTH (RFC 5034 §4), already decoded.
    Challenge(Vec<u8>),
}

impl Response {
    /// Appends the line, CRLF included.
    pub fn encode(&self, dst: &mut BytesMut) {
        match self {
            Self::Status(s) => s.encode(dst),
            Self::Challenge(data) => {
                dst.put_slice(b"+ ");
                dst.put_slice(STANDARD.encode(data).as_bytes());
                dst.put_slice(b"\r\n");
            }
        }
    }

    /// Decodes one response line (at most 512 octets, RFC 2449 §4) from the front of `src`.
    ///
    /// ```text
    /// response  = status [SP [resp-code SP] text] CRLF   ; RFC 2449 §3, §8
    /// challenge = "+" SP [base64] CRLF                  ; RFC 5034 §4
    /// ```
    pub fn decode(src: &[u8]) -> Result<Parsed<Self>, ParseError> {
        let Some(line) = parse::split_line(src, MAX_RESPONSE_LINE)? else {
            return Ok(Parsed::Incomplete);
        };
        Ok(Parsed::Complete {
            value: Self::parse_line(line.content)?,
            consumed: line.consumed,
        })
    }

    /// Parses a response line whose CRLF was already removed.
    pub fn parse_line(line: &[u8]) -> Result<Self, ParseError> {
        parse::response::response(line)
    }
}

/// The answer to STAT: the drop listing (RFC 1939 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stat {
    /// Number of messages not marked as deleted.
    pub count: u64,
    /// Their total size in octets (as sent, CRLF line endings).
    pub size: u64,
}

/// One scan listing (RFC 1939 §5, LIST): message number and size in octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanListing {
    /// The message number.
    pub number: MessageNumber,
    /// The size in octets.
    pub size: u64,
}

impl ScanListing {
    /// Appends `msg size` (without CRLF: callers add it, as a line of a multi-line answer or
    /// after `+OK `).
    pub fn encode(&self, dst: &mut BytesMut) {
        dst.put_slice(format!("{} {}", self.number, self.size).as_bytes());
    }

    /// Parses `msg SP size`, ignoring anything after a further space (RFC 1939 §5 allows
    /// servers to add information).
    ///
    /// ```text
    /// scan-listing = msg SP size [SP *VCHAR]
    /// ```
    pub fn parse(text: &[u8]) -> Result<Self, ParseError> {
        let (msg, rest) = parse::split_space(text);
        let rest = rest.ok_or(ParseError::Syntax {
            rule: "scan-listing",
            offset: msg.len(),
        })?;
        let (size, _) = parse::split_space(rest);
        Ok(Self {
            number: parse::message_number(msg, "scan-listing", 0)?,
            size: parse::number_u64(size, "scan-listing", msg.len() + 1)?,
        })
    }
}

/// One unique-id listing (RFC 1939 §7, UIDL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueIdListing {
    /// The message number.
    pub number: MessageNumber,
    /// Its unique-id.
    pub uid: Uid,
}

impl UniqueIdListing {
    /// Appends `msg uid` (without CRLF).
    pub fn encode(&self, dst: &mut BytesMut) {
        dst.put_slice(format!("{} {}", self.number, self.uid).as_bytes());
    }

    /// Parses `msg SP unique-id`.
    ///
    /// ```text
    /// unique-id-listing = msg SP 1*70(%x21-7E)   ; RFC 1939 §7
    /// ```
    pub fn parse(text: &[u8]) -> Result<Self, ParseError> {
        let (msg, uid) = parse::split_space(text);
        let uid = uid.ok_or(ParseError::Syntax {
            rule: "unique-id-listing",
            offset: msg.len(),
        })?;
        let number = parse::message_number(msg, "unique-id-listing", 0)?;
        Uid::check(uid).map_err(|source| ParseError::InvalidValue {
            rule: "unique-id-listing",
            source,
        })?;
        let uid = Uid::try_from(String::from_utf8_lossy(uid).into_owned()).map_err(|source| {
            ParseError::InvalidValue {
                rule: "unique-id-listing",
                source,
            }
        })?;
        Ok(Self { number, uid })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(line: &str) -> StatusLine {
        match Response::parse_line(line.as_bytes()).unwrap() {
            Response::Status(s) => s,
            Response::Challenge(_) => panic!("challenge"),
        }
    }

    #[test]
    fn response_codes_typed() {
        let cases = [
            (
                "-ERR [IN-USE] Do you have another POP session running?",
                Some(ResponseCode::InUse),
            ),
            ("-ERR [LOGIN-DELAY] wait", Some(ResponseCode::LoginDelay)),
            ("-ERR [SYS/TEMP] try later", Some(ResponseCode::SysTemp)),
            ("-ERR [SYS/PERM] gone", Some(ResponseCode::SysPerm)),
            ("-ERR [AUTH] bad", Some(ResponseCode::Auth)),
            ("-ERR [UTF8] needed", Some(ResponseCode::Utf8)),
            (
                "-ERR [X-FOO/BAR] odd",
                Some(ResponseCode::Other(
                    UnknownCode::new(&["X-FOO", "BAR"]).unwrap(),
                )),
            ),
            ("-ERR [unterminated", None),
            ("-ERR [] empty", None),
            ("-ERR [A//B] x", None),
        ];
        for (line, code) in cases {
            let s = status(line);
            assert_eq!(s.status, Status::Err);
            assert_eq!(s.code, code, "{line}");
        }
        assert_eq!(status("-ERR [unterminated").text.as_str(), "[unterminated");
        assert_eq!(status("-ERR [IN-USE]").text.as_str(), "");
        assert_eq!(status("+OK").text.as_str(), "");
        assert!(Response::parse_line(b"+OKAY").is_err());
        assert!(Response::parse_line(b"OK").is_err());
        assert!(Response::parse_line(b"").is_err());
    }

    #[test]
    fn challenges() {
        assert_eq!(
            Response::parse_line(b"+ ").unwrap(),
            Response::Challenge(vec![])
        );
        assert_eq!(
            Response::parse_line(b"+").unwrap(),
            Response::Challenge(vec![])
        );
        assert_eq!(
            Response::parse_line(b"+ VXNlcm5hbWU6").unwrap(),
            Response::Challenge(b"Username:".to_vec())
        );
        assert!(Response::parse_line(b"+ !!").is_err());
    }

    #[test]
    fn encode_round_trip() {
        let lines = [
            StatusLine::ok(Text::try_from("2 320").unwrap()),
            StatusLine::ok(Text::default()),
            StatusLine::err(
                Some(ResponseCode::SysTemp),
                Text::try_from("later").unwrap(),
            ),
            StatusLine::err(
                Some(ResponseCode::Other(UnknownCode::new(&["X"]).unwrap())),
                Text::default(),
            ),
        ];
        for l in lines {
            let mut b = BytesMut::new();
            l.encode(&mut b);
            assert_eq!(
                Response::decode(&b).unwrap(),
                Parsed::Complete {
                    value: Response::Status(l),
                    consumed: b.len()
                }
            );
        }
    }

    #[test]
    fn stat_and_listings() {
        assert_eq!(
            status("+OK 2 320").stat().unwrap(),
            Stat {
                count: 2,
                size: 320
            }
        );
        assert_eq!(
            status("+OK 1 5000000000").stat().unwrap(),
            Stat {
                count: 1,
                size: 5_000_000_000
            }
        );
        assert!(status("+OK 1 99999999999999999999").stat().is_err());
        assert!(status("+OK").stat().is_err());
        assert_eq!(ScanListing::parse(b"1 120").unwrap().size, 120);
        assert!(ScanListing::parse(b"-1 100").is_err());
        assert!(ScanListing::parse(b"0 100").is_err());
        assert!(UniqueIdListing::parse(b"1 ").is_err());
        assert!(UniqueIdListing::parse(b"1 a b").is_err());
        assert!(UniqueIdListing::parse(format!("1 {}", "A".repeat(71)).as_bytes()).is_err());
        assert!(UniqueIdListing::parse(format!("1 {}", "A".repeat(10_000)).as_bytes()).is_err());
        assert_eq!(
            UniqueIdListing::parse(b"1 ../x").unwrap().uid.as_str(),
            "../x"
        );
    }

    #[test]
    fn greeting_timestamp() {
        let g = status("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>");
        assert_eq!(
            g.apop_timestamp().unwrap().as_str(),
            "<1896.697170952@dbc.mtview.ca.us>"
        );
        assert_eq!(
            status("+OK <a@b> hello").apop_timestamp().unwrap().as_str(),
            "<a@b>"
        );
        assert!(status("+OK hello").apop_timestamp().is_none());
        assert!(status("+OK <a@b").apop_timestamp().is_none());
        assert!(
            Response::parse_line(b"+OK <\x80\x81@x>")
                .map(|r| match r {
                    Response::Status(s) => s.apop_timestamp(),
                    Response::Challenge(_) => None,
                })
                .unwrap()
                .is_none()
        );
    }
}
