//! The names smtp-proto had before client and server followed one scheme still compile, as
//! deprecated aliases of the new ones (ARCHITECTURE.md, Names).
#![allow(deprecated)]

use smtp_proto::types::Domain;
use smtp_proto::{ClientError, ClientSendError, Config, Event, Limits};

#[test]
fn old_names_are_aliases_of_the_new_ones() {
    let config: smtp_proto::ServerConfig = Config::strict(Domain::try_from("mx.example").unwrap());
    let limits: Limits = config.limits;
    assert_eq!(limits, smtp_proto::ServerLimits::default());
    let event: Option<Event> = None::<smtp_proto::ServerEvent>;
    assert!(event.is_none());
    let error: ClientError = smtp_proto::Error::Timeout { seconds: 1 };
    assert_eq!(error.to_string(), "timed out after 1 seconds");
    let refused: ClientSendError = smtp_proto::SendError::Closed;
    assert_eq!(refused, smtp_proto::SendError::Closed);
}
