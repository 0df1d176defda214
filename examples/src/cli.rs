//! What the example clients share on the command line: exit codes, `HOST[:PORT]` and
//! `ADDR[:PORT]` parsing, the ports that imply TLS, and how a failure is reported.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

/// The exit codes of `smtp-send`, `pop3-client`, `imap-client` and `mx-lookup` (the
/// `sysexits.h` values, so that an MTA or a script can tell a permanent failure from one worth
/// retrying).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done (sent to every recipient, the command ran, a mail exchanger was found).
    Ok,
    /// 64 (`EX_USAGE`): bad command line.
    Usage,
    /// 66 (`EX_NOINPUT`): the message file or the `--ca` file cannot be read.
    NoInput,
    /// 69 (`EX_UNAVAILABLE`): refused for good: a 5yz reply, `-ERR` or a tagged `NO`, a
    /// greeting that refuses the session, TLS required but not offered, a domain without mail
    /// exchanger.
    Unavailable,
    /// 75 (`EX_TEMPFAIL`): try again later: a 4yz reply, 421, no connection, no greeting,
    /// a timeout (TLS handshake included), a temporary DNS failure.
    TempFail,
    /// 76 (`EX_PROTOCOL`): the server does not speak the protocol: not an SMTP, POP3 or IMAP
    /// greeting, a malformed reply, plaintext injected after STARTTLS, a broken TLS handshake.
    Protocol,
    /// 77 (`EX_NOPERM`): authentication failed, or the password was not sent because it
    /// would have travelled without TLS.
    NoPerm,
    /// 78 (`EX_CONFIG`): the server's certificate is not trusted (`--ca FILE` or
    /// `--insecure`), or no DNS resolver is configured.
    Config,
}

/// The exit codes, for `--help` texts (the same in every client).
pub const EXIT_CODES: &str = "\
exit status:
  0   done
  64  bad usage
  66  a file given on the command line cannot be read
  69  refused for good (5yz, -ERR, NO, TLS not offered, no mail exchanger)
  75  temporary failure: try again later (4yz, no connection, no greeting, timeout)
  76  the server does not speak the protocol (not a greeting, malformed reply)
  77  authentication failed, or credentials not sent without TLS
  78  certificate not trusted (use --ca FILE or --insecure), or no resolver
errors go to stderr; peer text is printed with control characters escaped (\\x1b)";

impl Exit {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Usage => 64,
            Self::NoInput => 66,
            Self::Unavailable => 69,
            Self::TempFail => 75,
            Self::Protocol => 76,
            Self::NoPerm => 77,
            Self::Config => 78,
        }
    }

    /// Of two outcomes (recipients or domains that fared differently), the one to exit with:
    /// a temporary failure wins, since a retry may still succeed; then the configuration and
    /// permission problems, the protocol errors, and the permanent refusals.
    pub fn worst(self, other: Self) -> Self {
        fn rank(e: Exit) -> u8 {
            match e {
                Exit::Ok => 0,
                Exit::Unavailable => 1,
                Exit::Protocol => 2,
                Exit::NoPerm => 3,
                Exit::Config => 4,
                Exit::NoInput => 5,
                Exit::TempFail => 6,
                Exit::Usage => 7,
            }
        }
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}

/// A failure to report on stderr, with the exit code it maps to. The message is already
/// safe to print (peer text in it went through [`crate::display`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// How the program exits.
    pub exit: Exit,
    /// What to print (may span lines: a reason, then what to do).
    pub message: String,
}

impl Failure {
    /// A failure with this exit code and message.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }

    /// Prints the message on stderr, each line prefixed with the program name, and returns
    /// the exit code.
    pub fn report(&self, program: &str) -> Exit {
        for line in self.message.lines() {
            eprintln!("{program}: {line}");
        }
        self.exit
    }
}

/// Prints a usage error and the usage text on stderr; exit 64.
pub fn usage_error(program: &str, why: &str, usage: &str) -> ExitCode {
    eprintln!("{program}: {why}");
    eprintln!("{usage}");
    eprintln!("(`{program} --help` for more)");
    Exit::Usage.into()
}

/// The refusal to send a password without TLS (exit 77), the same in every client: with
/// `--tls dangerous-plaintext` (or opportunistic TLS that did not happen) credentials go out
/// only with a second opt-in, `--dangerous-plaintext-auth`.
pub fn plaintext_refusal() -> Failure {
    Failure::new(
        Exit::NoPerm,
        "not sending the password: there is no TLS, so it would travel in clear\n\
         add --dangerous-plaintext-auth to send it anyway (only on a network you trust)",
    )
}

/// `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT` (a bare IPv6 address takes the default port).
pub fn host_port(s: &str, default_port: u16) -> Result<(String, u16), String> {
    let port = |p: &str| p.parse::<u16>().map_err(|_| format!("bad port in {s:?}"));
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("missing ] in {s:?}"))?;
        return match after {
            "" => Ok((host.to_owned(), default_port)),
            _ => match after.strip_prefix(':') {
                Some(p) => Ok((host.to_owned(), port(p)?)),
                None => Err(format!("bad address {s:?}")),
            },
        };
    }
    match s.rsplit_once(':') {
        Some((h, _)) if h.contains(':') => Ok((s.to_owned(), default_port)),
        Some((h, p)) if !h.is_empty() => Ok((h.to_owned(), port(p)?)),
        Some(_) => Err(format!("no host in {s:?}")),
        None if s.is_empty() => Err("empty host".to_owned()),
        None => Ok((s.to_owned(), default_port)),
    }
}

/// A resolver address: `ADDR` (port 53), `ADDR:PORT`, `[V6]:PORT` or a bare IPv6 address.
/// The one parser of `--dns` for `smtp-send` and `mx-lookup`.
pub fn resolver(s: &str) -> Result<SocketAddr, String> {
    s.parse::<SocketAddr>()
        .or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .or_else(|_| {
            s.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|ip| ip.parse::<IpAddr>().ok())
                .map(|ip| SocketAddr::new(ip, 53))
                .ok_or(())
        })
        .map_err(|()| format!("bad resolver address {s:?} (want ADDR[:PORT], an IP address)"))
}

/// Ports where TLS starts at once (no greeting in plaintext): 465 (submissions), 993
/// (IMAPS), 995 (POP3S), and the example server's 2465, 2993 and 2995.
pub const IMPLICIT_TLS_PORTS: [u16; 6] = [465, 993, 995, 2465, 2993, 2995];

/// Whether `port` is one of [`IMPLICIT_TLS_PORTS`].
pub fn implies_tls(port: u16) -> bool {
    IMPLICIT_TLS_PORTS.contains(&port)
}

/// A `--tls-timeout` or `--greeting-timeout` value in seconds (fractions allowed, above 0).
pub fn seconds(name: &str, s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{name} wants seconds between 0 and 3600, not {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port() {
        assert_eq!(host_port("mx.test", 25), Ok(("mx.test".into(), 25)));
        assert_eq!(host_port("mx.test:2525", 25), Ok(("mx.test".into(), 2525)));
        assert_eq!(host_port("[::1]:2587", 25), Ok(("::1".into(), 2587)));
        assert_eq!(host_port("[::1]", 25), Ok(("::1".into(), 25)));
        assert_eq!(host_port("::1", 25), Ok(("::1".into(), 25)));
        assert!(host_port("mx.test:x", 25).is_err());
        assert!(host_port(":25", 25).is_err());
    }

    #[test]
    fn resolvers() {
        assert_eq!(resolver("127.0.0.1"), Ok("127.0.0.1:53".parse().unwrap()));
        assert_eq!(
            resolver("127.0.0.1:5353"),
            Ok("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(resolver("::1"), Ok("[::1]:53".parse().unwrap()));
        assert_eq!(resolver("[::1]"), Ok("[::1]:53".parse().unwrap()));
        assert_eq!(resolver("[::1]:5353"), Ok("[::1]:5353".parse().unwrap()));
        assert!(resolver("dns.test").is_err());
    }

    #[test]
    fn worst_prefers_temporary() {
        assert_eq!(Exit::Ok.worst(Exit::Unavailable), Exit::Unavailable);
        assert_eq!(Exit::TempFail.worst(Exit::Unavailable), Exit::TempFail);
        assert_eq!(Exit::Unavailable.worst(Exit::TempFail), Exit::TempFail);
    }
}
