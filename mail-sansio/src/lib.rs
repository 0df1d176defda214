//! Shared Sans-IO building blocks for the mail protocol crates.
//!
//! # Overview
//!
//! `smtp-proto`, `pop3-proto`, `imap-proto` and `mx-resolve` are state machines that never touch
//! a socket, a clock or a thread: bytes and time go in, events and bytes to send come out. This
//! crate holds what they have in common:
//!
//! - [`Session`]: the verbs every connection state machine speaks (`handle_input`,
//!   `poll_event`, `poll_transmit`, ...), and [`Parsed`], the result of decoding one message.
//! - [`line`](mod@line): CRLF line framing with a length limit and a bare CR/LF policy.
//! - [`dot`]: dot-stuffing for sending bodies and streaming unstuffing for receiving them,
//!   immune to SMTP smuggling.
//! - [`sasl`]: SASL mechanisms as step machines, independent of any protocol's framing.
//! - [`Secret`]: keeps credentials out of logs.
//! - `testing` (feature): a fake clock, an in-memory client/server pair driver, a `.trace`
//!   file runner and proptest strategies for splitting input.
//!
//! # Example: reading a command and a body
//!
//! ```
//! use bytes::BytesMut;
//! use mail_sansio::dot::{BareNewline, BodyFrame, DotUnstuffer};
//! use mail_sansio::line::{Frame, LineFramer};
//!
//! // What a server might have received in one read.
//! let mut input = BytesMut::from(&b"DATA\r\nSubject: hi\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n"[..]);
//!
//! let mut framer = LineFramer::new(512);
//! assert_eq!(framer.next_frame(&mut input), Some(Frame::Line("DATA".into())));
//!
//! let mut body = Vec::new();
//! let mut unstuffer = DotUnstuffer::new(BareNewline::Reject);
//! while let Some(frame) = unstuffer.next_frame(&mut input) {
//!     match frame {
//!         BodyFrame::Chunk(bytes) => body.extend_from_slice(&bytes),
//!         BodyFrame::End => break,
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//! assert_eq!(body, b"Subject: hi\r\n\r\n.leading dot\r\n");
//! assert_eq!(framer.next_frame(&mut input), Some(Frame::Line("QUIT".into())));
//! ```
#![forbid(unsafe_code)]

pub mod dot;
pub mod line;
pub mod sasl;
mod secret;
mod session;
#[cfg(feature = "testing")]
pub mod testing;

pub use secret::Secret;
pub use session::{Parsed, Session};

/// Implements tokio-util's `Encoder` for a codec, for each listed message type by reference and
/// by value, through the type's own `encode(&self, &mut BytesMut)`: validated values cannot fail
/// to encode. Used by the `tokio-codec` features of the protocol crates, whose manifests bring
/// `tokio-util` and `bytes`.
#[macro_export]
macro_rules! line_encoders {
    ($codec:ty, $error:ty: $($item:ty),+ $(,)?) => {$(
        impl ::tokio_util::codec::Encoder<&$item> for $codec {
            type Error = $error;

            fn encode(&mut self, item: &$item, dst: &mut ::bytes::BytesMut) -> Result<(), $error> {
                item.encode(dst);
                Ok(())
            }
        }

        impl ::tokio_util::codec::Encoder<$item> for $codec {
            type Error = $error;

            fn encode(&mut self, item: $item, dst: &mut ::bytes::BytesMut) -> Result<(), $error> {
                item.encode(dst);
                Ok(())
            }
        }
    )+};
}
