//! The server half of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802 §5, RFC 7677).

use super::credentials::parse_identity;
use super::gs2::{CbindFlag, Gs2Header, ct_eq, unescape_saslname};
use super::scram::{
    KEY_LEN, ScramCredentials, attribute, check_server_params, h, hmac, is_extension, is_printable,
    xor,
};
use super::wire::{decode_base64, encode_challenge};
use super::{ChannelBinding, Mechanism, SaslError, ServerStep};

/// What the server learnt from client-first, kept until the credentials arrive.
struct ClientFirst {
    /// The bytes `c=` must carry: the GS2 header as sent plus the channel binding data.
    cbind_input: Vec<u8>,
    client_first_bare: Vec<u8>,
    client_nonce: Vec<u8>,
    authcid: String,
    authzid: Option<String>,
}

/// Where the server is in the exchange.
enum State {
    AwaitClientFirst,
    AwaitCredentials(ClientFirst),
    AwaitClientFinal {
        first: ClientFirst,
        /// `client-first-message-bare "," server-first-message ","`
        auth_prefix: Vec<u8>,
        nonce: Vec<u8>,
        stored_key: [u8; KEY_LEN],
        server_key: [u8; KEY_LEN],
    },
    Done,
}

/// The SCRAM server machine (states only; [`SaslServer`](super::SaslServer) adds the common
/// failure and completion handling).
pub(crate) struct ScramServer {
    mechanism: Mechanism,
    server_nonce: String,
    bindings: Vec<ChannelBinding>,
    plus_offered: bool,
    max_identity: usize,
    state: State,
}

impl ScramServer {
    pub(crate) fn new(
        mechanism: Mechanism,
        server_nonce: String,
        bindings: Vec<ChannelBinding>,
        plus_offered: bool,
        max_identity: usize,
    ) -> Result<Self, SaslError> {
        if !is_printable(server_nonce.as_bytes()) {
            return Err(SaslError::invalid(
                "scram server nonce",
                "must be printable ascii without a comma",
            ));
        }
        if mechanism == Mechanism::ScramSha256Plus && bindings.is_empty() {
            return Err(SaslError::MissingConfig(
                "channel binding data for scram-sha-256-plus",
            ));
        }
        Ok(Self {
            mechanism,
            server_nonce,
            bindings,
            plus_offered: plus_offered || mechanism == Mechanism::ScramSha256Plus,
            max_identity,
            state: State::AwaitClientFirst,
        })
    }

    /// Feeds one client message to whichever half of the exchange is due.
    pub(crate) fn step(&mut self, message: &[u8]) -> Result<ServerStep, SaslError> {
        match self.state {
            State::AwaitClientFirst => self.client_first(message),
            State::AwaitClientFinal { .. } => self.client_final(message),
            State::AwaitCredentials(_) => Err(SaslError::OutOfSequence(
                "client message while the server waits for scram credentials",
            )),
            State::Done => Err(SaslError::AlreadyComplete),
        }
    }

    /// Parses client-first and asks the application for the user's credentials.
    ///
    /// ```text
    /// client-first-message      = gs2-header client-first-message-bare
    /// client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
    /// username = "n=" saslname
    /// nonce    = "r=" c-nonce [s-nonce]
    /// ```
    fn client_first(&mut self, message: &[u8]) -> Result<ServerStep, SaslError> {
        if !matches!(self.state, State::AwaitClientFirst) {
            return Err(SaslError::OutOfSequence("scram client-first message"));
        }
        let mechanism = self.mechanism;
        let bad = |reason| SaslError::malformed(mechanism, reason);
        let (header, bare) = Gs2Header::parse(message, mechanism)?;
        let header_len = message.len() - bare.len();
        let header_bytes = message.get(..header_len).unwrap_or_default();

        let binding = self.check_binding(&header.cbind)?;
        let mut cbind_input = header_bytes.to_vec();
        if let Some(binding) = binding {
            cbind_input.extend_from_slice(binding.data());
        }

        let mut parts = bare.split(|&b| b == b',');
        let first = parts.next().unwrap_or_default();
        if attribute(first, b'm').is_some() {
            return Err(bad("unsupported mandatory extension"));
        }
        let username = attribute(first, b'n').ok_or(bad("client-first must start with n="))?;
        let username = unescape_saslname(username).map_err(bad)?;
        let authcid = parse_identity(username.as_bytes(), self.max_identity, mechanism)?;
        let client_nonce = parts
            .next()
            .and_then(|part| attribute(part, b'r'))
            .ok_or(bad("client-first lacks r= after the username"))?;
        if !is_printable(client_nonce) {
            return Err(bad("nonce must be printable without a comma"));
        }
        if !parts.all(is_extension) {
            return Err(bad("malformed extension attribute"));
        }
        if let Some(authzid) = &header.authzid {
            parse_identity(authzid.as_bytes(), self.max_identity, mechanism)?;
        }
        let step = ServerStep::NeedScramCredentials {
            authcid: authcid.clone(),
            authzid: header.authzid.clone(),
        };
        self.state = State::AwaitCredentials(ClientFirst {
            cbind_input,
            client_first_bare: bare.to_vec(),
            client_nonce: client_nonce.to_vec(),
            authcid,
            authzid: header.authzid,
        });
        Ok(step)
    }

    /// RFC 5802 §6: which binding the client's flag selects, and whether the flag is allowed.
    fn check_binding(&self, flag: &CbindFlag) -> Result<Option<&ChannelBinding>, SaslError> {
        let plus = self.mechanism == Mechanism::ScramSha256Plus;
        match flag {
            CbindFlag::Used(name) if plus => self
                .bindings
                .iter()
                .find(|binding| binding.name() == name)
                .map(Some)
                .ok_or(SaslError::ChannelBinding(
                    "unsupported channel binding type",
                )),
            CbindFlag::Used(_) => Err(SaslError::ChannelBinding(
                "channel binding requested with a mechanism without -plus",
            )),
            _ if plus => Err(SaslError::ChannelBinding(
                "-plus mechanism without channel binding",
            )),
            CbindFlag::SupportedNotUsed if self.plus_offered => {
                Err(SaslError::ChannelBindingDowngrade)
            }
            _ => Ok(None),
        }
    }

    /// Builds server-first from the application's stored credentials.
    ///
    /// ```text
    /// server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count
    ///                        ["," extensions]
    /// ```
    pub(crate) fn provide(&mut self, creds: ScramCredentials) -> Result<ServerStep, SaslError> {
        check_server_params(&creds.salt, creds.iterations)?;
        let state = std::mem::replace(&mut self.state, State::Done);
        let State::AwaitCredentials(first) = state else {
            self.state = state;
            return Err(SaslError::OutOfSequence("scram credentials"));
        };
        let mut nonce = first.client_nonce.clone();
        nonce.extend_from_slice(self.server_nonce.as_bytes());
        let server_first = format!(
            "r={},s={},i={}",
            String::from_utf8_lossy(&nonce),
            encode_challenge(&creds.salt),
            creds.iterations
        )
        .into_bytes();
        let mut auth_prefix = first.client_first_bare.clone();
        auth_prefix.push(b',');
        auth_prefix.extend_from_slice(&server_first);
        auth_prefix.push(b',');
        self.state = State::AwaitClientFinal {
            first,
            auth_prefix,
            nonce,
            stored_key: creds.stored_key,
            server_key: creds.server_key,
        };
        Ok(ServerStep::Challenge(server_first))
    }

    /// Checks client-final; on success returns server-final.
    ///
    /// ```text
    /// client-final-message-without-proof = channel-binding "," nonce ["," extensions]
    /// client-final-message = client-final-message-without-proof "," proof
    /// channel-binding = "c=" base64
    /// proof = "p=" base64
    /// ```
    fn client_final(&mut self, message: &[u8]) -> Result<ServerStep, SaslError> {
        let State::AwaitClientFinal {
            first,
            auth_prefix,
            nonce,
            stored_key,
            server_key,
        } = &self.state
        else {
            return Err(SaslError::OutOfSequence("scram client-final message"));
        };
        let mechanism = self.mechanism;
        let bad = |reason| SaslError::malformed(mechanism, reason);
        let proof_at = memchr::memmem::rfind(message, b",p=")
            .ok_or(bad("client-final lacks the proof p= at the end"))?;
        let (without_proof, proof) = message
            .split_at_checked(proof_at)
            .ok_or(bad("client-final lacks the proof p= at the end"))?;
        let proof = proof.get(3..).unwrap_or_default();

        let mut parts = without_proof.split(|&b| b == b',');
        let cbind = parts
            .next()
            .and_then(|part| attribute(part, b'c'))
            .ok_or(bad("client-final must start with c="))?;
        let client_nonce = parts
            .next()
            .and_then(|part| attribute(part, b'r'))
            .ok_or(bad("client-final lacks r= after c="))?;
        if !parts.all(is_extension) {
            return Err(bad("malformed extension attribute"));
        }
        let cbind = decode_base64(cbind, message.len())?;
        if !ct_eq(&cbind, &first.cbind_input) {
            return Err(SaslError::ChannelBindingMismatch);
        }
        if !ct_eq(client_nonce, nonce) {
            return Err(SaslError::NonceMismatch);
        }
        let proof = decode_base64(proof, message.len())?;
        let proof: [u8; KEY_LEN] = proof
            .as_slice()
            .try_into()
            .map_err(|_| bad("proof must be 32 octets"))?;

        let mut auth_message = auth_prefix.clone();
        auth_message.extend_from_slice(without_proof);
        let client_signature = hmac(stored_key, &auth_message)?;
        let client_key = xor(&proof, &client_signature);
        if !ct_eq(&h(&client_key), stored_key) {
            return Err(SaslError::InvalidProof);
        }
        let server_signature = hmac(server_key, &auth_message)?;
        let server_final = format!("v={}", encode_challenge(&server_signature)).into_bytes();
        let step = ServerStep::Success {
            authzid: first.authzid.clone(),
            authcid: first.authcid.clone(),
            server_final: Some(server_final),
        };
        self.state = State::Done;
        Ok(step)
    }
}
