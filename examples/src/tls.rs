//! rustls set-up for the example programs: certificates from PEM files, a self-signed
//! certificate for a local server, and client configurations (the system store is not read:
//! the public roots, a CA file, or an explicit `--insecure`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Reads every certificate of a PEM file.
pub fn load_certs(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let pem = fs::read(path)?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice()).collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(invalid(format!("no certificate in {}", path.display())));
    }
    Ok(certs)
}

/// Reads the first private key of a PEM file.
pub fn load_key(path: &Path) -> io::Result<PrivateKeyDer<'static>> {
    let pem = fs::read(path)?;
    rustls_pemfile::private_key(&mut pem.as_slice())?
        .ok_or_else(|| invalid(format!("no private key in {}", path.display())))
}

/// Where [`self_signed`] keeps its files.
#[derive(Debug, Clone)]
pub struct CertFiles {
    /// The certificate (PEM); give it to clients as their CA file.
    pub cert: PathBuf,
    /// The private key (PEM).
    pub key: PathBuf,
    /// Whether the files were created by this call.
    pub created: bool,
}

/// A self-signed certificate for `names` (DNS names or IP addresses), made once with rcgen
/// and kept in `dir` (`cert.pem`, `key.pem`, the key readable by the owner only).
pub fn self_signed(dir: &Path, names: &[String]) -> io::Result<CertFiles> {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    if cert.exists() && key.exists() {
        return Ok(CertFiles {
            cert,
            key,
            created: false,
        });
    }
    fs::create_dir_all(dir)?;
    let made = rcgen::generate_simple_self_signed(names.to_vec()).map_err(invalid)?;
    write_private(&key, made.key_pair.serialize_pem().as_bytes())?;
    fs::write(&cert, made.cert.pem())?;
    Ok(CertFiles {
        cert,
        key,
        created: true,
    })
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    fs::write(path, bytes)
}

/// A TLS acceptor for a server certificate chain and key in PEM files.
pub fn acceptor(cert: &Path, key: &Path) -> io::Result<TlsAcceptor> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(load_certs(cert)?, load_key(key)?)
        .map_err(invalid)?;
    // No TLS 1.3 session tickets. rustls queues them at the end of the handshake and sends
    // them with the first reply, in the same segment; a client that polls its socket for
    // readiness (offlineimap's imaplib2) then finds the reply already inside OpenSSL's buffer
    // and waits forever. The servers keep no resumption state worth a ticket anyway.
    config.send_tls13_tickets = 0;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A TLS connector that trusts the certificates of a PEM file (`--ca FILE`).
pub fn connector_with_ca(ca: &Path) -> io::Result<TlsConnector> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(ca)? {
        roots.add(cert).map_err(invalid)?;
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .dangerous()
        .with_custom_certificate_verifier(explaining(roots)?)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// A TLS connector that trusts the public web PKI roots (the Mozilla set of `webpki-roots`).
pub fn connector_public() -> io::Result<TlsConnector> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .dangerous()
        .with_custom_certificate_verifier(explaining(roots)?)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The connector a client's `--ca FILE` / `--insecure` flags ask for; the public roots
/// without either.
pub fn connector(ca: Option<&Path>, insecure: bool) -> io::Result<TlsConnector> {
    match (ca, insecure) {
        (Some(ca), _) => connector_with_ca(ca),
        (None, true) => connector_insecure(),
        (None, false) => connector_public(),
    }
}

/// The name to check a server certificate against: a DNS name or an IP address.
pub fn server_name(host: &str) -> io::Result<rustls::pki_types::ServerName<'static>> {
    rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(invalid)
}

/// A TLS connector that accepts any certificate (`--insecure`): encrypted, but open to an
/// active attacker. Only for self-signed test servers.
pub fn connector_insecure() -> io::Result<TlsConnector> {
    let provider = provider();
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider)))
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Accepts every certificate but still checks the handshake signatures.
#[derive(Debug)]
struct AcceptAnything(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `octets` random bytes from the TLS library's cryptographic random source, base64-encoded:
/// the fresh CRAM-MD5 challenges and SCRAM nonces a server owes every AUTH exchange (the
/// Sans-IO machines make up no randomness themselves).
pub fn random_base64(octets: usize) -> Result<String, rustls::Error> {
    use base64::Engine as _;
    let mut bytes = vec![0u8; octets];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| rustls::Error::FailedToGetRandomBytes)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The usual certificate check (`webpki`), but a refused certificate carries an
/// [`Untrusted`] that says whether it is self-signed, so that the error can tell a
/// self-signed certificate from one issued by an unknown CA.
fn explaining(
    roots: RootCertStore,
) -> io::Result<Arc<dyn rustls::client::danger::ServerCertVerifier>> {
    let inner =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(invalid)?;
    Ok(Arc::new(Explaining(inner)))
}

#[derive(Debug)]
struct Explaining(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for Explaining {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        self.0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| match e {
                rustls::Error::InvalidCertificate(error) => {
                    let why = Untrusted {
                        error,
                        self_signed: is_self_issued(end_entity),
                    };
                    rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
                        rustls::OtherError(Arc::new(why)),
                    ))
                }
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// A server certificate that the check refused, and whether it names itself as its issuer.
#[derive(Debug)]
pub struct Untrusted {
    /// What the check found.
    pub error: rustls::CertificateError,
    /// The certificate's issuer is its own subject (a self-signed certificate).
    pub self_signed: bool,
}

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.self_signed { "self-signed " } else { "" };
        write!(f, "{kind}certificate refused: {}", self.error)
    }
}

impl std::error::Error for Untrusted {}

/// Whether a certificate's issuer name is its subject name (DER: Certificate → TBSCertificate
/// → [version], serial, signature, issuer, validity, subject).
fn is_self_issued(cert: &[u8]) -> bool {
    /// One DER element: (tag, content, rest).
    fn element(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = bytes.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let (digits, rest) = rest.split_at(n);
            let len = digits
                .iter()
                .fold(0usize, |acc, &d| (acc << 8) | usize::from(d));
            (len, rest)
        };
        if rest.len() < len {
            return None;
        }
        let (content, rest) = rest.split_at(len);
        Some((tag, content, rest))
    }
    let names = || -> Option<bool> {
        let (_, certificate, _) = element(cert)?;
        let (_, tbs, _) = element(certificate)?;
        let (tag, _, mut rest) = element(tbs)?;
        if tag == 0xa0 {
            rest = element(rest)?.2; // the version came first: skip the serial
        }
        let (_, _, rest) = element(rest)?; // signature algorithm
        let (_, issuer, rest) = element(rest)?;
        let (_, _, rest) = element(rest)?; // validity
        let (_, subject, _) = element(rest)?;
        Some(issuer == subject)
    };
    names().unwrap_or(false)
}

/// A name as rustls presents it (`DnsName("mx.test")`, `IpAddress(127.0.0.1)`), bare.
fn bare_name(presented: &str) -> &str {
    ["DnsName(", "IpAddress("]
        .iter()
        .find_map(|p| presented.strip_prefix(p)?.strip_suffix(')'))
        .map_or(presented, |inner| inner.trim_matches('"'))
}

/// `seconds` since the UNIX epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn human_time(seconds: u64) -> String {
    let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX / 2);
    let secs = seconds % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// What to tell the user about a failed TLS handshake with `host`: what is wrong and what
/// to do. `ca` is the `--ca FILE` in use, if any. Everything quoted from the peer (the names
/// in its certificate) is escaped.
pub fn explain_handshake(e: &io::Error, host: &str, ca: Option<&Path>) -> crate::cli::Failure {
    use crate::cli::{Exit, Failure};
    use crate::display::safe;
    use rustls::CertificateError as C;

    let rustls_error = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    let trust_hint = match ca {
        Some(ca) => format!(
            "the certificates in --ca {} do not vouch for it: give the server's own \
             certificate or its CA's with --ca FILE, or --insecure (encrypted, not authenticated)",
            ca.display()
        ),
        None => "give the server's certificate (or its CA's) with --ca FILE, \
                 or use --insecure (encrypted, but not authenticated)"
            .to_owned(),
    };
    let untrusted = match rustls_error {
        Some(rustls::Error::InvalidCertificate(C::Other(other))) => {
            other.0.downcast_ref::<Untrusted>()
        }
        _ => None,
    };
    let (error, self_signed) = match (untrusted, rustls_error) {
        (Some(u), _) => (Some(&u.error), u.self_signed),
        (None, Some(rustls::Error::InvalidCertificate(c))) => (Some(c), false),
        _ => (None, false),
    };
    let of = if self_signed {
        format!("{host}'s self-signed certificate")
    } else {
        format!("{host}'s certificate")
    };
    let trusted_where = match ca {
        Some(ca) => format!("in --ca {}", ca.display()),
        None => "among the public roots".to_owned(),
    };
    if let Some(error) = error {
        let message = match error {
            C::UnknownIssuer if self_signed => format!(
                "{host}'s certificate is self-signed (it is its own issuer) and is not \
                 {trusted_where}\n{trust_hint}"
            ),
            C::UnknownIssuer => format!(
                "{host}'s certificate was issued by a CA that is not {trusted_where}\n{trust_hint}"
            ),
            C::ExpiredContext { time, not_after } => format!(
                "{of} expired on {} (it is now {})\nthe server must renew it; --insecure skips \
                 the check",
                human_time(not_after.as_secs()),
                human_time(time.as_secs())
            ),
            C::Expired => {
                format!("{of} has expired\nthe server must renew it; --insecure skips the check")
            }
            C::NotValidYetContext { time, not_before } => format!(
                "{of} is not valid before {} (it is now {})\ncheck this machine's clock and the \
                 server's; --insecure skips the check",
                human_time(not_before.as_secs()),
                human_time(time.as_secs())
            ),
            C::NotValidYet => format!("{of} is not valid yet\ncheck the clocks"),
            C::NotValidForNameContext { presented, .. } => {
                let names: Vec<String> = presented.iter().map(|n| safe(bare_name(n))).collect();
                format!(
                    "{of} is not valid for the name {host:?}; it names {}\nconnect by one of \
                     those names, or --insecure (encrypted, not authenticated)",
                    if names.is_empty() {
                        "nothing".to_owned()
                    } else {
                        names.join(", ")
                    }
                )
            }
            C::NotValidForName => format!(
                "{of} is not valid for the name {host:?}\nconnect by a name the certificate \
                 holds, or --insecure"
            ),
            other => format!(
                "{of} is refused: {}\n{trust_hint}",
                safe(&format!("{other:?}"))
            ),
        };
        return Failure::new(Exit::Config, message);
    }
    match rustls_error {
        Some(rustls::Error::AlertReceived(alert)) => Failure::new(
            Exit::Protocol,
            format!("{host} ended the TLS handshake (alert: {alert:?})"),
        ),
        Some(rustls::Error::InvalidMessage(_))
        | Some(rustls::Error::InappropriateMessage { .. }) => Failure::new(
            Exit::Protocol,
            format!(
                "{host} does not answer with TLS: is this a plaintext port? \
                     (--tls required uses STARTTLS)"
            ),
        ),
        Some(other) => Failure::new(
            Exit::Protocol,
            format!("TLS with {host} failed: {}", safe(&other.to_string())),
        ),
        None if e.kind() == io::ErrorKind::UnexpectedEof => Failure::new(
            Exit::TempFail,
            format!("{host} closed the connection during the TLS handshake"),
        ),
        None => Failure::new(
            Exit::TempFail,
            format!("TLS with {host} failed: {}", safe(&e.to_string())),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_names() {
        assert_eq!(bare_name("DnsName(\"mx.test\")"), "mx.test");
        assert_eq!(bare_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(bare_name("odd"), "odd");
    }

    #[test]
    fn dates() {
        assert_eq!(human_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(human_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(human_time(1_700_000_000), "2023-11-14 22:13:20 UTC");
    }

    #[test]
    fn self_issued() {
        let made = rcgen::generate_simple_self_signed(vec!["a.test".to_owned()]).unwrap();
        assert!(is_self_issued(made.cert.der()));
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["a.test".to_owned()])
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        assert!(!is_self_issued(leaf.der()));
        assert!(is_self_issued(ca.der()));
        assert!(!is_self_issued(b"\x30\x03garbage"));
    }
}
