//! The client side of AUTH for the example programs: a SASL client for a mechanism named on
//! the command line.

use mail_sansio::sasl::{SaslClient, ScramClientConfig};

/// The mechanisms `--auth` accepts, for usage texts.
pub const MECHANISMS: &str = "plain, login, cram-md5 or scram-sha-256";

/// A SASL client for `mechanism` (case-insensitive; see [`MECHANISMS`]). SCRAM's client nonce
/// comes from rustls' random source.
pub fn sasl_client(mechanism: &str, user: &str, password: String) -> Result<SaslClient, String> {
    let client = match mechanism.to_ascii_lowercase().as_str() {
        "plain" => SaslClient::plain(None, user, password),
        "login" => SaslClient::login(user, password),
        "cram-md5" => SaslClient::cram_md5(user, password),
        "scram-sha-256" => {
            let nonce = crate::tls::random_base64(18).map_err(|e| e.to_string())?;
            SaslClient::scram(ScramClientConfig::new(user, password, &nonce))
        }
        other => return Err(format!("unknown mechanism {other:?} (use {MECHANISMS})")),
    };
    client.map_err(|e| e.to_string())
}
