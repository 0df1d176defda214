//! Sending one message with the SMTP client machine: optional AUTH, then MAIL, RCPT, the
//! body, QUIT. Shared by `smtp-send` and the mail server's relay.

use mail_sansio::sasl::SaslClient;
use smtp_proto::{Client, ClientConfig, ClientEvent, Envelope, Error, Reply, Stage};

use crate::driver::{Conn, DriverError, Handler, Runner, TlsUpgrade};

/// What the server said about the message.
#[derive(Debug, Default)]
pub struct Report {
    /// The reply to each RCPT, in envelope order (`None` when never sent or answered).
    pub recipients: Vec<Option<Reply>>,
    /// The final outcome: the reply after the body, or which step failed and how.
    pub result: Option<Result<Reply, (Stage, Reply)>>,
    /// AUTH was refused with this reply.
    pub auth_failed: Option<Reply>,
    /// A call into the client was refused locally (message too large for the server's SIZE,
    /// mechanism not offered, ...).
    pub local_error: Option<String>,
    /// AUTH was not started because it would have sent credentials without TLS.
    pub plaintext_refused: bool,
    /// The server's greeting was received (a session that failed without one met a server
    /// that does not speak SMTP, or none at all).
    pub greeted: bool,
}

impl Report {
    /// Whether the server took the message for at least one recipient.
    pub fn sent(&self) -> bool {
        matches!(self.result, Some(Ok(_)))
    }
}

struct Send<'a> {
    auth: Option<SaslClient>,
    envelope: Option<Envelope>,
    message: &'a [u8],
    report: Report,
}

impl Send<'_> {
    fn mail(&mut self, client: &mut Client) {
        let Some(envelope) = self.envelope.take() else {
            let _ = client.quit();
            return;
        };
        if let Err(e) = client.send_mail(envelope) {
            self.report.local_error = Some(e.to_string());
            let _ = client.quit();
        }
    }
}

impl Handler<Client> for Send<'_> {
    async fn on_event(&mut self, client: &mut Client, event: ClientEvent) {
        match event {
            ClientEvent::Ready => match self.auth.take() {
                Some(sasl) => {
                    if let Err(e) = client.authenticate(sasl) {
                        self.report.plaintext_refused =
                            matches!(e, smtp_proto::SendError::PlaintextCredentials);
                        self.report.local_error = Some(format!("auth: {e}"));
                        let _ = client.quit();
                    }
                }
                None => self.mail(client),
            },
            ClientEvent::Authenticated => self.mail(client),
            ClientEvent::AuthFailed { reply, .. } => {
                self.report.auth_failed = Some(reply);
                let _ = client.quit();
            }
            ClientEvent::Recipient { index, reply, .. } => {
                if let Some(slot) = self.report.recipients.get_mut(index) {
                    *slot = Some(reply);
                }
            }
            ClientEvent::DataReady { .. } => {
                // Never end a body that was not sent whole: let the session fail instead.
                match client.send_data(self.message) {
                    Ok(()) => {
                        let _ = client.finish_data();
                    }
                    Err(e) => self.report.local_error = Some(format!("body: {e}")),
                }
            }
            ClientEvent::MessageSent { reply } => {
                self.report.result = Some(Ok(reply));
                let _ = client.quit();
            }
            ClientEvent::MessageFailed { stage, reply } => {
                self.report.result = Some(Err((stage, reply)));
                let _ = client.quit();
            }
            _ => {}
        }
    }
}

/// Runs one SMTP session over `conn` that sends `message` with `envelope`, after AUTH with
/// `auth` when given. The report is filled as far as the session got, also on error.
pub async fn send(
    conn: Conn,
    upgrade: Option<&TlsUpgrade>,
    config: ClientConfig,
    auth: Option<SaslClient>,
    envelope: Envelope,
    message: &[u8],
    recipients: usize,
) -> (Report, Result<(), DriverError<Error>>) {
    let mut runner = Runner::default();
    let mail = Mail {
        config,
        auth,
        envelope,
        message,
        recipients,
    };
    send_with(&mut runner, conn, upgrade, mail).await
}

/// One message to send: the client configuration, AUTH, the envelope and the content.
#[derive(Debug)]
pub struct Mail<'a> {
    /// The client configuration (name, TLS mode, timeouts).
    pub config: ClientConfig,
    /// AUTH first with this client, if any.
    pub auth: Option<SaslClient>,
    /// MAIL FROM and RCPT TO.
    pub envelope: Envelope,
    /// The message (RFC 5322).
    pub message: &'a [u8],
    /// How many recipients the envelope holds.
    pub recipients: usize,
}

/// [`send`] driven by `runner` (its STARTTLS handshake timeout; it keeps the server's first
/// bytes, for a greeting that is not SMTP).
pub async fn send_with(
    runner: &mut Runner,
    conn: Conn,
    upgrade: Option<&TlsUpgrade>,
    mail: Mail<'_>,
) -> (Report, Result<(), DriverError<Error>>) {
    let Mail {
        config,
        auth,
        envelope,
        message,
        recipients,
    } = mail;
    let mut client = Client::new(config, std::time::Instant::now());
    let mut handler = Send {
        auth,
        envelope: Some(envelope),
        message,
        report: Report {
            recipients: vec![None; recipients],
            ..Report::default()
        },
    };
    let result = runner.run(conn, &mut client, &mut handler, upgrade).await;
    handler.report.greeted = client.greeting().is_some();
    (handler.report, result)
}
