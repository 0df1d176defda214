//! Command-line flags, parsed by hand (no dependency needed for a dozen flags).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

pub(crate) const USAGE: &str = "\
usage: mailserver [FLAGS]            serve SMTP, submission and POP3
       mailserver [FLAGS] purge NAME erase the mailbox of user NAME

flags (a port of 0 turns that service off):
  --listen ADDR          address to listen on            (default 127.0.0.1)
  --data DIR             mailboxes, spool, certificate   (default ./mail-data)
  --domain NAME          the local mail domain           (default example.test)
  --users FILE           name:password lines             (default: a demo user)
  --cert FILE --key FILE TLS certificate chain and key   (default: self-signed, in DIR/tls)
  --smtp-port N          SMTP, STARTTLS offered          (default 2525)
  --submission-port N    submission, STARTTLS + AUTH     (default 2587)
  --smtps-port N         submission over implicit TLS    (default 2465)
  --pop3-port N          POP3, STLS required before login (default 2110)
  --pop3s-port N         POP3 over implicit TLS          (default 2995)
  --imap-port N, --imaps-port N   accepted and ignored until IMAP exists
  --dns ADDR[:PORT]      resolver for outbound MX lookups (default: /etc/resolv.conf)
  --relay-port N         port to deliver to at MX hosts  (default 25; for tests)";

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Serve,
    Purge(String),
}

/// Every flag with its default.
#[derive(Debug, Clone)]
pub(crate) struct Args {
    pub(crate) listen: IpAddr,
    pub(crate) data: PathBuf,
    pub(crate) domain: String,
    pub(crate) users: Option<PathBuf>,
    pub(crate) cert: Option<PathBuf>,
    pub(crate) key: Option<PathBuf>,
    pub(crate) smtp_port: u16,
    pub(crate) submission_port: u16,
    pub(crate) smtps_port: u16,
    pub(crate) pop3_port: u16,
    pub(crate) pop3s_port: u16,
    pub(crate) dns: Option<SocketAddr>,
    pub(crate) relay_port: u16,
    pub(crate) command: Command,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            listen: IpAddr::V4(Ipv4Addr::LOCALHOST),
            data: PathBuf::from("./mail-data"),
            domain: "example.test".to_owned(),
            users: None,
            cert: None,
            key: None,
            smtp_port: 2525,
            submission_port: 2587,
            smtps_port: 2465,
            pop3_port: 2110,
            pop3s_port: 2995,
            dns: None,
            relay_port: 25,
            command: Command::Serve,
        }
    }
}

fn port(value: &str) -> Result<u16, String> {
    value.parse().map_err(|_| format!("bad port {value:?}"))
}

fn dns(value: &str) -> Result<SocketAddr, String> {
    value
        .parse::<SocketAddr>()
        .or_else(|_| value.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| format!("bad resolver address {value:?}"))
}

impl Args {
    /// Parses the arguments after the program name; `Err` carries the message to print.
    pub(crate) fn parse(mut it: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut a = Self::default();
        let mut positional = Vec::new();
        while let Some(arg) = it.next() {
            if arg == "-h" || arg == "--help" {
                return Err(USAGE.to_owned());
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
                _ => (arg.clone(), None),
            };
            if !flag.starts_with("--") {
                positional.push(arg);
                continue;
            }
            let value = match inline {
                Some(v) => v,
                None => it
                    .next()
                    .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))?,
            };
            match flag.as_str() {
                "--listen" => {
                    a.listen = value
                        .parse()
                        .map_err(|_| format!("bad listen address {value:?}"))?
                }
                "--data" => a.data = PathBuf::from(value),
                "--domain" => a.domain = value.to_ascii_lowercase(),
                "--users" => a.users = Some(PathBuf::from(value)),
                "--cert" => a.cert = Some(PathBuf::from(value)),
                "--key" => a.key = Some(PathBuf::from(value)),
                "--smtp-port" => a.smtp_port = port(&value)?,
                "--submission-port" => a.submission_port = port(&value)?,
                "--smtps-port" => a.smtps_port = port(&value)?,
                "--pop3-port" => a.pop3_port = port(&value)?,
                "--pop3s-port" => a.pop3s_port = port(&value)?,
                "--imap-port" | "--imaps-port" => {
                    port(&value)?;
                }
                "--dns" => a.dns = Some(dns(&value)?),
                "--relay-port" => a.relay_port = port(&value)?,
                _ => return Err(format!("unknown flag {flag}\n\n{USAGE}")),
            }
        }
        match positional.as_slice() {
            [] => {}
            [cmd, name] if cmd == "purge" => a.command = Command::Purge(name.clone()),
            _ => return Err(format!("unexpected arguments {positional:?}\n\n{USAGE}")),
        }
        if a.cert.is_some() != a.key.is_some() {
            return Err("--cert and --key go together".to_owned());
        }
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        Args::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_and_flags() {
        let a = parse(&[]).unwrap();
        assert_eq!(a.smtp_port, 2525);
        assert_eq!(a.pop3s_port, 2995);
        let a = parse(&[
            "--smtp-port",
            "0",
            "--imap-port=2143",
            "--domain",
            "Mail.Test",
            "--dns",
            "127.0.0.1:5353",
        ])
        .unwrap();
        assert_eq!(a.smtp_port, 0);
        assert_eq!(a.domain, "mail.test");
        assert_eq!(a.dns, Some("127.0.0.1:5353".parse().unwrap()));
        let a = parse(&["purge", "alice"]).unwrap();
        assert_eq!(a.command, Command::Purge("alice".into()));
        assert!(parse(&["--bogus", "1"]).is_err());
        assert!(parse(&["--cert", "x"]).is_err());
        assert!(parse(&["--smtp-port", "70000"]).is_err());
    }
}
