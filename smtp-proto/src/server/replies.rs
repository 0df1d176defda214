//! The replies the machine sends most, written out in advance: one copy each instead of
//! formatting a code, an enhanced status code and a text for every command.

/// A reply with and without its enhanced status code (RFC 2034), CRLF included.
#[derive(Debug)]
pub(super) struct Canned {
    /// `code class.subject.detail text CRLF`.
    pub(super) enhanced: &'static [u8],
    /// `code text CRLF`.
    pub(super) plain: &'static [u8],
}

/// Writes out a [`Canned`] reply from its code, enhanced status code and text.
macro_rules! canned {
    ($(#[$doc:meta])* $name:ident = $code:literal, $esc:literal, $text:literal) => {
        $(#[$doc])*
        pub(super) const $name: Canned = Canned {
            enhanced: concat!($code, " ", $esc, " ", $text, "\r\n").as_bytes(),
            plain: concat!($code, " ", $text, "\r\n").as_bytes(),
        };
    };
}

canned!(
    /// MAIL accepted.
    MAIL_OK = "250", "2.1.0", "OK"
);
canned!(
    /// RCPT accepted.
    RCPT_OK = "250", "2.1.5", "OK"
);
canned!(
    /// RSET, NOOP, a message accepted.
    OK = "250", "2.0.0", "OK"
);
canned!(
    /// QUIT.
    BYE = "221", "2.0.0", "Bye"
);
canned!(
    /// AUTH accepted.
    AUTH_OK = "235", "2.7.0", "Authentication succeeded"
);
canned!(
    /// VRFY or EXPN accepted without an answer of the application's own.
    CANNOT_VERIFY = "252", "2.5.0", "Cannot verify, will attempt delivery"
);

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::server::write_reply;

    /// Each canned reply is what the reply writer makes of its parts.
    #[test]
    fn canned_replies_are_the_written_ones() {
        type Case = (&'static Canned, u16, (u8, u16, u16), &'static str);
        let cases: [Case; 6] = [
            (&MAIL_OK, 250, (2, 1, 0), "OK"),
            (&RCPT_OK, 250, (2, 1, 5), "OK"),
            (&OK, 250, (2, 0, 0), "OK"),
            (&BYE, 221, (2, 0, 0), "Bye"),
            (&AUTH_OK, 235, (2, 7, 0), "Authentication succeeded"),
            (
                &CANNOT_VERIFY,
                252,
                (2, 5, 0),
                "Cannot verify, will attempt delivery",
            ),
        ];
        for (canned, code, esc, text) in cases {
            let mut out = BytesMut::new();
            write_reply(&mut out, code, Some(esc), text);
            assert_eq!(&out[..], canned.enhanced);
            out.clear();
            write_reply(&mut out, code, None, text);
            assert_eq!(&out[..], canned.plain);
        }
    }
}
