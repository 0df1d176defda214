//! Command-line flags, parsed by hand (no dependency needed for a dozen flags).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::abuse::Policy;
use crate::deliver::LmtpTarget;
use crate::users::Scheme;

pub(crate) const USAGE: &str = "\
usage: mailserver [FLAGS]              serve SMTP, submission and POP3
       mailserver [FLAGS] purge NAME   erase the mailbox of user NAME
       mailserver --users FILE adduser NAME   add a user, or set a new password
                              (read from the terminal, or the first line of stdin)
       mailserver --users FILE deluser NAME   remove a user (the mail stays)
       mailserver --users FILE passwd NAME    change a password (old, then new: terminal,
                              or the first two lines of stdin); re-encrypts the user's key
       mailserver [FLAGS] export NAME  the user's mail as mbox (mboxrd) on stdout; asks for
                              the password when the mail is encrypted

flags (a port of 0 turns that service off):
  --listen ADDR          address to listen on            (default 127.0.0.1)
  --data DIR             mailboxes, spool, certificate   (default ./mail-data)
  --domain NAME          the local mail domain           (default example.test)
  --users FILE           Dovecot passwd-file: name:{ARGON2ID}..., name:{SCRAM-SHA-256}...
                         or name:password (plaintext, warned) (default: a demo user)
  --scheme S             adduser's scheme: ARGON2ID or SCRAM-SHA-256 (default ARGON2ID)
  --aliases FILE         more sender addresses: `ADDRESS: USER, ...` lines
  --encrypt              encryption at rest: each user's mail is encrypted to their key,
                         which opens with their password only (adduser makes it)
  --retain-days N        delete messages older than N days (mailboxes, spool), at start
                         and hourly (default: kept until deleted)
  --cert FILE --key FILE TLS certificate chain and key   (default: self-signed, in DIR/tls)
  --smtp-port N          SMTP, STARTTLS offered          (default 2525)
  --submission-port N    submission, STARTTLS + AUTH     (default 2587)
  --smtps-port N         submission over implicit TLS    (default 2465)
  --pop3-port N          POP3, STLS required before login (default 2110)
  --pop3s-port N         POP3 over implicit TLS          (default 2995)
  --imap-port N          IMAP, STARTTLS required before login (default 2143)
  --imaps-port N         IMAP over implicit TLS          (default 2993)
  --lmtp-port N          LMTP (RFC 2033) into the store, on 127.0.0.1 only, for an MTA
                         such as Postfix in front (default 0: off)
  --deliver TARGET       where mail for local users goes: store (default), or
                         lmtp:HOST:PORT, an LMTP server such as Dovecot's (queued, retried)
  --quota BYTES          storage per user (K, M, G suffixes), checked on LMTP delivery:
                         552 5.2.2 for a message that would exceed it (default: no limit)
  --dns ADDR[:PORT]      resolver for outbound MX lookups (default: /etc/resolv.conf)
  --relay-port N         port to deliver to at MX hosts  (default 25; for tests)
  --max-connections N    connections at once, in total   (default 2000)
  --max-per-address N    connections at once per address (default 50)
  --auth-delay T         wait before the reply to a failed login; doubles with each
                         failure from the same address (default 1s)
  --auth-delay-max T     the longest such wait           (default 15s)
  --lockout-after N      failed logins that lock an address out (default 10; 0: never)
  --lockout-time T       how long a lockout lasts        (default 15m)
                         (T: 500ms, 2s, 15m, 1h, or seconds)";

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Serve,
    Purge(String),
    AddUser(String),
    DelUser(String),
    Passwd(String),
    Export(String),
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
    pub(crate) imap_port: u16,
    pub(crate) imaps_port: u16,
    pub(crate) dns: Option<SocketAddr>,
    pub(crate) relay_port: u16,
    pub(crate) aliases: Option<PathBuf>,
    /// `--lmtp-port`: 0 is off.
    pub(crate) lmtp_port: u16,
    /// `--deliver lmtp:...`; `None`: into the store.
    pub(crate) deliver: Option<LmtpTarget>,
    /// `--quota`, in octets.
    pub(crate) quota: Option<u64>,
    pub(crate) scheme: Scheme,
    /// `--encrypt`: encryption at rest.
    pub(crate) encrypt: bool,
    /// `--retain-days`: `None` keeps mail until it is deleted.
    pub(crate) retain_days: Option<u32>,
    pub(crate) policy: Policy,
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
            imap_port: 2143,
            imaps_port: 2993,
            dns: None,
            relay_port: 25,
            aliases: None,
            lmtp_port: 0,
            deliver: None,
            quota: None,
            scheme: Scheme::Argon2id,
            encrypt: false,
            retain_days: None,
            policy: Policy::default(),
            command: Command::Serve,
        }
    }
}

fn port(value: &str) -> Result<u16, String> {
    value.parse().map_err(|_| format!("bad port {value:?}"))
}

fn count(value: &str) -> Result<usize, String> {
    value.parse().map_err(|_| format!("bad number {value:?}"))
}

/// `500ms`, `2s`, `15m`, `1h`, or a number of seconds.
fn duration(value: &str) -> Result<Duration, String> {
    let bad = || format!("bad duration {value:?} (500ms, 2s, 15m, 1h)");
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (n, unit) = value.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let ms = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(bad()),
    };
    n.checked_mul(ms).map(Duration::from_millis).ok_or_else(bad)
}

/// Octets, with an optional K, M or G suffix (powers of 1024).
fn bytes(value: &str) -> Result<u64, String> {
    let bad = || format!("bad size {value:?} (1000000, 500K, 10M, 1G)");
    let (n, shift) = [('k', 10), ('m', 20), ('g', 30)]
        .into_iter()
        .find_map(|(unit, shift)| {
            value
                .strip_suffix([unit, unit.to_ascii_uppercase()])
                .map(|n| (n, shift))
        })
        .unwrap_or((value, 0));
    let n: u64 = n.parse().map_err(|_| bad())?;
    n.checked_mul(1 << shift).ok_or_else(bad)
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
            if flag == "--encrypt" && inline.is_none() {
                a.encrypt = true;
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
                "--imap-port" => a.imap_port = port(&value)?,
                "--imaps-port" => a.imaps_port = port(&value)?,
                "--dns" => a.dns = Some(dns(&value)?),
                "--relay-port" => a.relay_port = port(&value)?,
                "--aliases" => a.aliases = Some(PathBuf::from(value)),
                "--retain-days" => {
                    a.retain_days = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|&d| d > 0)
                            .ok_or_else(|| format!("bad number of days {value:?}"))?,
                    )
                }
                "--lmtp-port" => a.lmtp_port = port(&value)?,
                "--deliver" => a.deliver = LmtpTarget::parse(&value)?,
                "--quota" => a.quota = Some(bytes(&value)?),
                "--scheme" => {
                    a.scheme = Scheme::parse(&value).ok_or_else(|| {
                        format!("bad scheme {value:?} (ARGON2ID or SCRAM-SHA-256)")
                    })?
                }
                "--max-connections" => a.policy.max_connections = count(&value)?.max(1),
                "--max-per-address" => a.policy.max_per_address = count(&value)?.max(1),
                "--auth-delay" => a.policy.delay = duration(&value)?,
                "--auth-delay-max" => a.policy.delay_max = duration(&value)?,
                "--lockout-after" => {
                    a.policy.lockout_after = u32::try_from(count(&value)?)
                        .map_err(|_| format!("bad number {value:?}"))?
                }
                "--lockout-time" => a.policy.lockout_time = duration(&value)?,
                _ => return Err(format!("unknown flag {flag}\n\n{USAGE}")),
            }
        }
        match positional.as_slice() {
            [] => {}
            [cmd, name] if cmd == "purge" => a.command = Command::Purge(name.clone()),
            [cmd, name] if cmd == "adduser" => a.command = Command::AddUser(name.clone()),
            [cmd, name] if cmd == "deluser" => a.command = Command::DelUser(name.clone()),
            [cmd, name] if cmd == "passwd" => a.command = Command::Passwd(name.clone()),
            [cmd, name] if cmd == "export" => a.command = Command::Export(name.clone()),
            _ => return Err(format!("unexpected arguments {positional:?}\n\n{USAGE}")),
        }
        if matches!(
            a.command,
            Command::AddUser(_) | Command::DelUser(_) | Command::Passwd(_)
        ) && a.users.is_none()
        {
            return Err("adduser, deluser and passwd need --users FILE".to_owned());
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
        assert_eq!((a.imap_port, a.imaps_port), (2143, 2993));
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
        let a = parse(&[
            "--users",
            "u",
            "adduser",
            "Bob",
            "--scheme",
            "scram-sha-256",
            "--lockout-time",
            "2s",
            "--auth-delay=250ms",
            "--max-connections",
            "10",
        ])
        .unwrap();
        assert_eq!(a.command, Command::AddUser("Bob".into()));
        assert_eq!(a.scheme, Scheme::ScramSha256);
        assert_eq!(a.policy.lockout_time, Duration::from_secs(2));
        assert_eq!(a.policy.delay, Duration::from_millis(250));
        assert_eq!(a.policy.max_connections, 10);
        assert!(parse(&["deluser", "bob"]).is_err(), "needs --users");
        assert!(parse(&["passwd", "bob"]).is_err(), "needs --users");
        let a = parse(&["--encrypt", "--retain-days", "30", "export", "bob"]).unwrap();
        assert!(a.encrypt);
        assert_eq!(a.retain_days, Some(30));
        assert_eq!(a.command, Command::Export("bob".into()));
        assert!(!parse(&[]).unwrap().encrypt);
        assert!(parse(&["--retain-days", "0"]).is_err());
        assert!(parse(&["--retain-days", "-1"]).is_err());
        assert_eq!(duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(duration("3"), Ok(Duration::from_secs(3)));
        assert!(duration("3x").is_err() && duration("ms").is_err());
        let a = parse(&["--lmtp-port", "2424", "--quota", "10M"]).unwrap();
        assert_eq!(
            (a.lmtp_port, a.quota, a.deliver),
            (2424, Some(10 << 20), None)
        );
        let a = parse(&["--deliver", "lmtp:127.0.0.1:24"]).unwrap();
        assert_eq!(a.deliver.unwrap().to_string(), "lmtp:127.0.0.1:24");
        assert_eq!(parse(&[]).unwrap().lmtp_port, 0, "LMTP is off by default");
        assert_eq!(bytes("1000"), Ok(1000));
        assert_eq!(bytes("2k"), Ok(2048));
        assert!(bytes("").is_err() && bytes("M").is_err() && bytes("99999999999G").is_err());
        assert!(parse(&["--deliver", "smtp:x:25"]).is_err());
    }
}
