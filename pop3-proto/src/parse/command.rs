//! Command line grammar (RFC 1939, RFC 2449 §3, RFC 5034 §4).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mail_sansio::Secret;

use super::{message_number, number_u64, split_space};
use crate::command::Command;
use crate::error::ParseError;
use crate::types::{ApopDigest, MechanismName, Password, Username};

/// Parses one command line without its CRLF.
///
/// ```text
/// command = keyword *(SP param) CRLF     ; RFC 2449 §3
/// keyword = 3*4VCHAR                     ; case-insensitive
/// param   = 1*VCHAR                      ; single SP between parameters
/// ```
pub(crate) fn command(line: &[u8]) -> Result<Command, ParseError> {
    let (keyword, rest) = split_space(line);
    let mut kw = [0u8; 4];
    if !(3..=4).contains(&keyword.len()) {
        return Err(ParseError::UnknownCommand);
    }
    for (d, s) in kw.iter_mut().zip(keyword) {
        *d = s.to_ascii_uppercase();
    }
    let kw = kw.get(..keyword.len()).unwrap_or_default();
    let args_at = keyword.len() + 1;
    let cmd = match kw {
        b"STAT" => no_args(rest, Command::Stat)?,
        b"NOOP" => no_args(rest, Command::Noop)?,
        b"RSET" => no_args(rest, Command::Rset)?,
        b"QUIT" => no_args(rest, Command::Quit)?,
        b"CAPA" => no_args(rest, Command::Capa)?,
        b"STLS" => no_args(rest, Command::Stls)?,
        b"UTF8" => no_args(rest, Command::Utf8)?,
        b"LIST" => Command::List(optional_msg(rest, args_at)?),
        b"UIDL" => Command::Uidl(optional_msg(rest, args_at)?),
        b"RETR" => Command::Retr(one_msg(rest, args_at)?),
        b"DELE" => Command::Dele(one_msg(rest, args_at)?),
        b"TOP" => {
            let rest = rest.ok_or(ParseError::Syntax {
                rule: "top",
                offset: line.len(),
            })?;
            let (msg, lines) = split_space(rest);
            let lines = lines.ok_or(ParseError::Syntax {
                rule: "top",
                offset: line.len(),
            })?;
            let message = message_number(msg, "top", args_at)?;
            let lines = number_u64(lines, "top", args_at + msg.len() + 1)?;
            Command::Top { message, lines }
        }
        b"USER" => {
            let arg = rest.ok_or(ParseError::Syntax {
                rule: "user",
                offset: line.len(),
            })?;
            Command::User(username(arg, "user")?)
        }
        b"PASS" => {
            let arg = rest.ok_or(ParseError::Syntax {
                rule: "pass",
                offset: line.len(),
            })?;
            let pw = std::str::from_utf8(arg).map_err(|e| ParseError::Syntax {
                rule: "pass",
                offset: args_at + e.valid_up_to(),
            })?;
            Command::Pass(
                Password::try_from(pw).map_err(|source| ParseError::InvalidValue {
                    rule: "pass",
                    source,
                })?,
            )
        }
        b"APOP" => {
            let rest = rest.ok_or(ParseError::Syntax {
                rule: "apop",
                offset: line.len(),
            })?;
            let (name, digest) = split_space(rest);
            let digest = digest.ok_or(ParseError::Syntax {
                rule: "apop",
                offset: line.len(),
            })?;
            let digest = std::str::from_utf8(digest)
                .ok()
                .and_then(|d| ApopDigest::try_from(d).ok())
                .ok_or(ParseError::Syntax {
                    rule: "apop",
                    offset: args_at + name.len() + 1,
                })?;
            Command::Apop {
                name: username(name, "apop")?,
                digest,
            }
        }
        b"AUTH" => {
            let rest = rest.ok_or(ParseError::Syntax {
                rule: "auth",
                offset: line.len(),
            })?;
            let (mech, ir) = split_space(rest);
            let mechanism = MechanismName::parse(mech).ok_or(ParseError::Syntax {
                rule: "auth",
                offset: args_at,
            })?;
            let initial_response = match ir {
                None => None,
                Some(b"=") => Some(Secret::new(Vec::new())),
                Some(b"") => {
                    return Err(ParseError::Syntax {
                        rule: "auth",
                        offset: line.len(),
                    });
                }
                Some(data) => Some(Secret::new(base64(
                    data,
                    "initial-response",
                    args_at + mech.len() + 1,
                )?)),
            };
            Command::Auth {
                mechanism,
                initial_response,
            }
        }
        _ => return Err(ParseError::UnknownCommand),
    };
    Ok(cmd)
}

fn no_args(rest: Option<&[u8]>, cmd: Command) -> Result<Command, ParseError> {
    match rest {
        None => Ok(cmd),
        Some(_) => Err(ParseError::Syntax {
            rule: "command",
            offset: 4,
        }),
    }
}

fn optional_msg(
    rest: Option<&[u8]>,
    at: usize,
) -> Result<Option<crate::MessageNumber>, ParseError> {
    rest.map(|r| message_number(r, "msg", at)).transpose()
}

fn one_msg(rest: Option<&[u8]>, at: usize) -> Result<crate::MessageNumber, ParseError> {
    let r = rest.ok_or(ParseError::Syntax {
        rule: "msg",
        offset: at.saturating_sub(1),
    })?;
    message_number(r, "msg", at)
}

fn username(arg: &[u8], rule: &'static str) -> Result<Username, ParseError> {
    let s = std::str::from_utf8(arg).map_err(|e| ParseError::Syntax {
        rule,
        offset: e.valid_up_to(),
    })?;
    Username::try_from(s).map_err(|source| ParseError::InvalidValue { rule, source })
}

/// Decodes strict base64 (RFC 4648 §4, padding required).
///
/// ```text
/// base64 = *(4base64-char) [base64-terminal]   ; RFC 5034 §4
/// ```
pub(crate) fn base64(
    data: &[u8],
    rule: &'static str,
    offset: usize,
) -> Result<Vec<u8>, ParseError> {
    STANDARD
        .decode(data)
        .map_err(|_| ParseError::Syntax { rule, offset })
}
