//! The GS2 header shared by SCRAM (RFC 5802 §7) and OAUTHBEARER (RFC 7628 §3.1), the
//! `saslname` escaping, and a constant-time comparison.

use super::mechanism::is_cb_name;
use super::{Mechanism, SaslError};

/// The channel binding flag that opens a GS2 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CbindFlag {
    /// `n`: the client does not support channel binding.
    No,
    /// `y`: the client supports channel binding but thinks the server does not.
    SupportedNotUsed,
    /// `p=cb-name`: the client uses channel binding of this type.
    Used(String),
}

/// A parsed GS2 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Gs2Header {
    /// The channel binding flag.
    pub(crate) cbind: CbindFlag,
    /// The unescaped `a=` authorization identity.
    pub(crate) authzid: Option<String>,
}

impl Gs2Header {
    /// Encodes the header including its final comma.
    pub(crate) fn encode(&self) -> String {
        let mut out = match &self.cbind {
            CbindFlag::No => String::from("n,"),
            CbindFlag::SupportedNotUsed => String::from("y,"),
            CbindFlag::Used(name) => format!("p={name},"),
        };
        if let Some(authzid) = &self.authzid {
            out.push_str("a=");
            out.push_str(&escape_saslname(authzid));
        }
        out.push(',');
        out
    }

    /// Parses a GS2 header off the front of `message`, returning it and the rest.
    ///
    /// ```text
    /// gs2-header     = gs2-cbind-flag "," [ authzid ] ","
    /// gs2-cbind-flag = ("p=" cb-name) / "n" / "y"
    /// authzid        = "a=" saslname
    /// ```
    pub(crate) fn parse(message: &[u8], mechanism: Mechanism) -> Result<(Self, &[u8]), SaslError> {
        let bad = |reason| SaslError::malformed(mechanism, reason);
        let (flag, rest) = split_comma(message).ok_or(bad("gs2 header without a comma"))?;
        let cbind = match flag {
            b"n" => CbindFlag::No,
            b"y" => CbindFlag::SupportedNotUsed,
            _ => {
                let name = flag
                    .strip_prefix(b"p=")
                    .ok_or(bad("gs2 channel binding flag must be n, y or p=name"))?;
                if !is_cb_name(name) {
                    return Err(bad("invalid channel binding type name"));
                }
                CbindFlag::Used(String::from_utf8_lossy(name).into_owned())
            }
        };
        let (authzid, rest) =
            split_comma(rest).ok_or(bad("gs2 header without its second comma"))?;
        let authzid = if authzid.is_empty() {
            None
        } else {
            let name = authzid
                .strip_prefix(b"a=")
                .ok_or(bad("gs2 authzid must start with a="))?;
            Some(unescape_saslname(name).map_err(bad)?)
        };
        Ok((Self { cbind, authzid }, rest))
    }
}

/// Splits at the first comma.
pub(crate) fn split_comma(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = memchr::memchr(b',', bytes)?;
    let (head, tail) = bytes.split_at_checked(at)?;
    Some((head, tail.get(1..)?))
}

/// Escapes `,` as `=2C` and `=` as `=3D` (RFC 5802 §5.1).
pub(crate) fn escape_saslname(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            ',' => out.push_str("=2C"),
            '=' => out.push_str("=3D"),
            _ => out.push(c),
        }
    }
    out
}

/// Reverses [`escape_saslname`].
///
/// ```text
/// saslname = 1*(value-safe-char / "=2C" / "=3D")   ; RFC 5802 §7
/// value-safe-char = %x01-2B / %x2D-3C / %x3E-7F / UTF8-2 / UTF8-3 / UTF8-4
/// ```
pub(crate) fn unescape_saslname(name: &[u8]) -> Result<String, &'static str> {
    if name.is_empty() {
        return Err("empty saslname");
    }
    let text = std::str::from_utf8(name).map_err(|_| "saslname is not utf-8")?;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['=', ',', '\0']) {
        let (plain, tail) = rest.split_at_checked(at).ok_or("saslname split")?;
        out.push_str(plain);
        if let Some(after) = tail.strip_prefix("=2C") {
            out.push(',');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("=3D") {
            out.push('=');
            rest = after;
        } else if tail.starts_with('=') {
            return Err("\"=\" in a saslname must start =2C or =3D");
        } else {
            return Err("saslname contains a comma or nul");
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saslname_escaping_round_trips() {
        assert_eq!(escape_saslname("a,b=c"), "a=2Cb=3Dc");
        assert_eq!(unescape_saslname(b"a=2Cb=3Dc").unwrap(), "a,b=c");
        assert_eq!(unescape_saslname(b"user").unwrap(), "user");
        assert!(unescape_saslname(b"a=2c").is_err());
        assert!(unescape_saslname(b"a=").is_err());
        assert!(unescape_saslname(b"a=41").is_err());
        assert!(unescape_saslname(b"").is_err());
        assert!(unescape_saslname(b"a\0b").is_err());
        assert!(unescape_saslname(b"\xff").is_err());
    }

    #[test]
    fn gs2_headers() {
        let m = Mechanism::ScramSha256;
        let (h, rest) = Gs2Header::parse(b"n,,n=user", m).unwrap();
        assert_eq!(
            (h.cbind, h.authzid, rest),
            (CbindFlag::No, None, &b"n=user"[..])
        );
        let (h, _) = Gs2Header::parse(b"y,a=adm=2Cin,", m).unwrap();
        assert_eq!(h.cbind, CbindFlag::SupportedNotUsed);
        assert_eq!(h.authzid.as_deref(), Some("adm,in"));
        let (h, _) = Gs2Header::parse(b"p=tls-exporter,,", m).unwrap();
        assert_eq!(h.cbind, CbindFlag::Used("tls-exporter".into()));
        assert_eq!(h.encode(), "p=tls-exporter,,");
        for bad in [
            &b""[..],
            b"n",
            b"n,",
            b"x,,",
            b"p=,,",
            b"p=a b,,",
            b"n,b=x,",
            b"n,a=,",
        ] {
            assert!(Gs2Header::parse(bad, m).is_err(), "{bad:?}");
        }
        let header = Gs2Header {
            cbind: CbindFlag::No,
            authzid: Some("a=b".into()),
        };
        assert_eq!(header.encode(), "n,a=a=3Db,");
    }

    #[test]
    fn constant_time_eq() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(ct_eq(b"", b""));
    }
}
