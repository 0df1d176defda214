//! Shared helpers for the example programs: a generic tokio + rustls driver for the Sans-IO
//! sessions, and rustls set-up.

pub mod driver;
pub mod mx;
pub mod submit;
pub mod tls;
