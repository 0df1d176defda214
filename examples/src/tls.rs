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
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(load_certs(cert)?, load_key(key)?)
        .map_err(invalid)?;
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
        .with_root_certificates(roots)
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
        .with_root_certificates(roots)
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
