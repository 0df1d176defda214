//! Server configuration: the TLS mode, the codec's limits and leniency, the extensions
//! offered, the SASL mechanisms, the bad-command budgets and the autologout timers.

use std::time::Duration;

use mail_sansio::sasl::{Mechanism, MechanismName};

use crate::config::{Leniency, Limits, TlsMode};
use crate::response::{Capability, Text};
use crate::types::Atom;

/// Which extensions the server offers, each one implemented by the machine (with the
/// application's help where it owns the data).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Extensions {
    /// `IMAP4rev2` beside `IMAP4rev1` (RFC 9051 §7.2.2). A client that sends
    /// `ENABLE IMAP4rev2` gets rev2 behaviour: UTF-8, no `RECENT`, no `UNSEEN` code.
    pub imap4rev2: bool,
    /// `LITERAL+` (RFC 7888): non-synchronising literals of any size up to
    /// [`Limits::literal`]. Off: `LITERAL-`, non-synchronising literals up to
    /// [`Limits::non_sync_literal`] (4096); a larger one gets `BAD [TOOBIG]`.
    pub literal_plus: bool,
    /// `IDLE` (RFC 2177).
    pub idle: bool,
    /// `ENABLE` (RFC 5161), with the capabilities below that it can turn on.
    pub enable: bool,
    /// `CONDSTORE` (RFC 7162): the application answers `MODSEQ` items and `UNCHANGEDSINCE`.
    pub condstore: bool,
    /// `QRESYNC` (RFC 7162): once enabled, expunges go out as `VANISHED`, never `EXPUNGE`.
    pub qresync: bool,
    /// `UTF8=ACCEPT` (RFC 6855): once enabled, mailbox names and strings are raw UTF-8.
    pub utf8_accept: bool,
    /// `UIDPLUS` (RFC 4315): the application gives `APPENDUID`/`COPYUID` codes.
    pub uidplus: bool,
    /// `MOVE` (RFC 6851).
    pub r#move: bool,
    /// `UNSELECT` (RFC 3691).
    pub unselect: bool,
    /// `NAMESPACE` (RFC 2342).
    pub namespace: bool,
    /// `ID` (RFC 2971).
    pub id: bool,
    /// `MULTIAPPEND` (RFC 3502): several messages in one APPEND.
    pub multiappend: bool,
    /// `COMPRESS=DEFLATE` (RFC 4978): the driver compresses once
    /// [`Server::wants_compression`](super::Server::wants_compression) says so.
    pub compress: bool,
    /// `SASL-IR` (RFC 4959): an initial response on the AUTHENTICATE line.
    pub sasl_ir: bool,
    /// `ESEARCH` (RFC 4731): `SEARCH RETURN (...)` answered with `* ESEARCH`. IMAP4rev2
    /// always has it.
    pub esearch: bool,
    /// `SEARCHRES` (RFC 5182): `SEARCH RETURN (SAVE)` keeps the result in the machine, and
    /// `$` in a later command's sequence set stands for it. Needs [`Extensions::esearch`]
    /// (the result is kept only when it is); IMAP4rev2 clients get it with
    /// [`Extensions::imap4rev2`] whether or not it is listed.
    pub searchres: bool,
    /// `SORT` (RFC 5256): the application answers
    /// [`ServerEvent::Sort`](super::ServerEvent::Sort) with ordered UIDs.
    pub sort: bool,
    /// The `THREAD=` algorithms offered (RFC 5256: `ORDEREDSUBJECT`, `REFERENCES`, ...); the
    /// application answers [`ServerEvent::Thread`](super::ServerEvent::Thread) with a tree
    /// of UIDs. Empty: no THREAD.
    pub thread: Vec<Atom>,
    /// `UNAUTHENTICATE` (RFC 8437): the application confirms
    /// [`ServerEvent::Unauthenticate`](super::ServerEvent::Unauthenticate) and the session
    /// goes back to not authenticated, TLS and COMPRESS kept.
    pub unauthenticate: bool,
    /// More capabilities the application implements itself (`SPECIAL-USE`, `LIST-EXTENDED`,
    /// `QUOTA`, `CHILDREN`, ...), listed after authentication.
    pub other: Vec<Capability>,
}

impl Default for Extensions {
    fn default() -> Self {
        Self {
            imap4rev2: false,
            literal_plus: false,
            idle: true,
            enable: true,
            condstore: true,
            qresync: true,
            utf8_accept: true,
            uidplus: true,
            r#move: true,
            unselect: true,
            namespace: true,
            id: true,
            multiappend: true,
            compress: true,
            sasl_ir: true,
            esearch: true,
            searchres: false,
            sort: false,
            thread: Vec::new(),
            unauthenticate: false,
            other: Vec::new(),
        }
    }
}

/// Server options. Start from [`ServerConfig::strict`] or [`ServerConfig::compatible`] and
/// change the fields that differ.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// How TLS is used. [`TlsMode::Required`] (the default) offers STARTTLS with
    /// `LOGINDISABLED` and no `AUTH=`, and refuses everything but CAPABILITY, STARTTLS, NOOP
    /// and LOGOUT before it (each refusal counts as a bad command).
    pub tls: TlsMode,
    /// The codec's limits: 8 KiB lines before authentication and 64 KiB after (each literal
    /// of a command other than APPEND is held to the same), non-synchronising literals,
    /// literal sizes, the size above which APPEND data streams, nesting depths.
    pub limits: Limits,
    /// Which known client quirks to accept (all off: the RFC grammar only).
    pub leniency: Leniency,
    /// Text of the `* OK` greeting.
    pub greeting: Text,
    /// Extensions offered.
    pub extensions: Extensions,
    /// SASL mechanisms offered with `AUTH=` once login is allowed (PLAIN by default). Add
    /// CRAM-MD5 or SCRAM-SHA-256 only if the application answers
    /// [`ServerEvent::SaslConfig`](super::ServerEvent::SaslConfig) and, for SCRAM,
    /// [`ServerEvent::ScramCredentials`](super::ServerEvent::ScramCredentials).
    pub sasl: Vec<MechanismName>,
    /// Largest APPEND message in octets (RFC 7889 `APPENDLIMIT`): [`Limits::literal`] when
    /// `None`. A larger synchronising literal gets `NO [TOOBIG]` instead of `+`.
    pub append_limit: Option<u64>,
    /// Bad commands tolerated after login before `* BYE` (Dovecot: 20; this crate 10).
    pub bad_commands: u32,
    /// Bad commands tolerated before login (security-anchors §8 item 40: 3, as Dovecot's
    /// imap-login).
    pub bad_commands_before_login: u32,
    /// Failed logins (LOGIN or AUTHENTICATE answered `NO` or `BAD`, a cancelled exchange
    /// included; `NO [UNAVAILABLE]` not counted) tolerated before `* BYE` and
    /// [`Error::LimitExceeded`](crate::Error::LimitExceeded): 3, as POP3's
    /// `Limits::auth_failures`. The count starts again after a successful login.
    pub auth_failures: u32,
    /// SASL challenges answered per AUTHENTICATE: 8.
    pub sasl_steps: u32,
    /// Inactivity autologout once logged in: 30 minutes, the least RFC 9051 §5.4 allows.
    pub autologout: Duration,
    /// Inactivity autologout before login: 3 minutes (RFC 9051 §5.4 lets it be shorter;
    /// an anonymous peer should not hold a connection long).
    pub login_timeout: Duration,
}

impl ServerConfig {
    /// The strict preset: the RFC grammar only, LITERAL-, STARTTLS required unless `tls`
    /// says otherwise.
    pub fn strict(tls: TlsMode) -> Self {
        Self {
            tls,
            limits: Limits::default(),
            leniency: Leniency::strict(),
            greeting: Text::from_wire(bytes::Bytes::from_static(b"IMAP server ready")),
            extensions: Extensions::default(),
            sasl: vec![Mechanism::Plain.into()],
            append_limit: None,
            bad_commands: 10,
            bad_commands_before_login: 3,
            auth_failures: 3,
            sasl_steps: 8,
            autologout: Duration::from_secs(30 * 60),
            login_timeout: Duration::from_secs(3 * 60),
        }
    }

    /// The compatible preset: the strict one plus the quirks real clients send (a bare LF as
    /// a line ending, extra spaces, 8-bit octets in quoted strings, loose dates), and
    /// LITERAL+ so that clients which send `{n+}` without looking (new Outlook, imap-anchors
    /// §6.2 item 21) are not refused.
    pub fn compatible(tls: TlsMode) -> Self {
        let mut config = Self::strict(tls);
        config.leniency.bare_lf = true;
        config.leniency.extra_spaces = true;
        config.leniency.raw_8bit = true;
        config.leniency.loose_date_time = true;
        config.extensions.literal_plus = true;
        config
    }

    /// The APPEND size limit in force.
    pub(crate) fn append_limit(&self) -> u64 {
        self.append_limit
            .unwrap_or(self.limits.literal)
            .min(self.limits.literal)
    }

    /// The capabilities for a session in this state: `tls` (TLS is up), `authenticated`,
    /// `compressed` (COMPRESS is active, so it is not offered again).
    ///
    /// Before login with TLS required and not yet up: `STARTTLS` and `LOGINDISABLED`, no
    /// `AUTH=` and no extension the TLS-required rule refuses until then (RFC 9051 §6.2.3,
    /// ARCHITECTURE.md); otherwise the SASL mechanisms. After login
    /// the full list, which the tagged OK of LOGIN/AUTHENTICATE carries (RFC 9051 §6.2.3).
    pub fn capabilities(
        &self,
        tls: bool,
        authenticated: bool,
        compressed: bool,
    ) -> Vec<Capability> {
        let x = &self.extensions;
        let mut caps = vec![Capability::Imap4Rev1];
        if x.imap4rev2 {
            caps.push(Capability::Imap4Rev2);
        }
        caps.push(if x.literal_plus {
            Capability::LiteralPlus
        } else {
            Capability::LiteralMinus
        });
        if !authenticated {
            if !tls && self.tls == TlsMode::Required {
                // Only what leads to TLS: a command listed here and then refused with
                // PRIVACYREQUIRED (ID, say) breaks clients that send it before STARTTLS
                // because it is offered (offlineimap3 sends ID first).
                caps.push(Capability::StartTls);
                caps.push(Capability::LoginDisabled);
                return caps;
            } else {
                if x.sasl_ir {
                    caps.push(Capability::SaslIr);
                }
                caps.extend(
                    self.sasl
                        .iter()
                        .filter_map(|m| Atom::try_from(m.as_str()).ok())
                        .map(Capability::Auth),
                );
            }
        }
        let flags: [(bool, Capability); 7] = [
            (x.enable, Capability::Enable),
            (x.idle, Capability::Idle),
            (x.id, Capability::Id),
            (x.namespace && authenticated, Capability::Namespace),
            (x.uidplus && authenticated, Capability::UidPlus),
            (x.r#move && authenticated, Capability::Move),
            (x.unselect && authenticated, Capability::Unselect),
        ];
        caps.extend(flags.into_iter().filter(|(on, _)| *on).map(|(_, c)| c));
        if authenticated {
            let more: [(bool, Capability); 6] = [
                (x.condstore, Capability::CondStore),
                (x.qresync, Capability::QResync),
                (x.esearch, Capability::ESearch),
                (x.multiappend, Capability::MultiAppend),
                (x.utf8_accept, Capability::Utf8Accept),
                (
                    true,
                    Capability::AppendLimit(u32::try_from(self.append_limit()).ok()),
                ),
            ];
            caps.extend(more.into_iter().filter(|(on, _)| *on).map(|(_, c)| c));
            let searchres = x.searchres && (x.esearch || x.imap4rev2);
            let searching: [(bool, Capability); 3] = [
                (searchres, Capability::SearchRes),
                (x.sort, Capability::Sort),
                (x.unauthenticate, Capability::Unauthenticate),
            ];
            caps.extend(searching.into_iter().filter(|(on, _)| *on).map(|(_, c)| c));
            caps.extend(x.thread.iter().cloned().map(Capability::Thread));
            if x.compress
                && !compressed
                && let Some(deflate) = Atom::from_static("DEFLATE")
            {
                caps.push(Capability::Compress(deflate));
            }
            caps.extend(x.other.iter().cloned());
        }
        caps
    }

    /// Whether LOGIN and AUTHENTICATE may run: always under TLS, and without it only when
    /// TLS is not required (ARCHITECTURE.md, the TLS-required rule).
    pub(crate) fn login_allowed(&self, tls: bool) -> bool {
        tls || self.tls != TlsMode::Required
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self::strict(TlsMode::Required)
    }
}
