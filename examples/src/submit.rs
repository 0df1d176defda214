//! Sending one message with the SMTP client machine: optional AUTH, then MAIL, RCPT, the
//! body, QUIT. Shared by `smtp-send` and the mail server's relay.

use mail_sansio::sasl::SaslClient;
use smtp_proto::{Client, ClientConfig, ClientEvent, Envelope, Error, Reply, Stage};

use crate::driver::{self, Conn, DriverError, Handler, TlsUpgrade};

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
    let result = driver::run(conn, &mut client, &mut handler, upgrade).await;
    (handler.report, result)
}
