//! Hooks for target policies that need no I/O here: MTA-STS `mx`
//! patterns (RFC 8461 §4.1) and the DANE precondition (RFC 7672 §2.2).
//!
//! Fetching the MTA-STS policy (HTTPS) and the TLSA records is the
//! caller's job; once it has them, it filters the finished plan with
//! [`retain_targets`](crate::plan::retain_targets), for example:
//!
//! ```
//! use mx_resolve::plan::retain_targets;
//! use mx_resolve::policy::MxPattern;
//! use mx_resolve::Outcome;
//!
//! fn enforce(outcome: Outcome, policy: &[MxPattern]) -> Outcome {
//!     // Enforce mode: hosts that match no pattern are not eligible.
//!     retain_targets(outcome, |t| policy.iter().any(|p| p.matches(&t.host)))
//! }
//! let policy = [MxPattern::new("*.mail.example.com")?, MxPattern::new("backup.example.net")?];
//! assert_eq!(enforce(Outcome::NullMx, &policy), Outcome::NullMx);
//! # Ok::<(), mx_resolve::InvalidName>(())
//! ```

use crate::error::InvalidName;
use crate::wire::Name;

/// One `mx` line of an MTA-STS policy: a host name, or `*.` followed by a
/// host name, where the wildcard stands for exactly one left-most label
/// (RFC 8461 §4.1). Compared in A-label form, case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxPattern {
    wildcard: bool,
    base: Name,
}

impl MxPattern {
    /// Parses a pattern such as `mx1.example.com` or `*.example.com`
    /// (internationalised names are converted to A-labels).
    pub fn new(pattern: &str) -> Result<Self, InvalidName> {
        match pattern.strip_prefix("*.") {
            Some(base) => Ok(Self {
                wildcard: true,
                base: Name::domain(base)?,
            }),
            None => Ok(Self {
                wildcard: false,
                base: Name::domain(pattern)?,
            }),
        }
    }

    /// Whether `host` is eligible under this pattern.
    pub fn matches(&self, host: &Name) -> bool {
        if !self.wildcard {
            return *host == self.base;
        }
        // Drop exactly one left-most label and compare the rest.
        let wire = host.as_wire();
        let Some((&first, _)) = wire.split_first() else {
            return false;
        };
        if first == 0 {
            return false;
        }
        wire.get(1 + usize::from(first)..) == Some(self.base.as_wire())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    #[test]
    fn rfc8461_examples() {
        let p = MxPattern::new("*.example.com").unwrap();
        assert!(p.matches(&n("mx1.example.com")));
        assert!(p.matches(&n("MX1.Example.COM")));
        assert!(!p.matches(&n("example.com")));
        assert!(!p.matches(&n("a.mx1.example.com")));
        assert!(!p.matches(&n("mx1.example.net")));
        let exact = MxPattern::new("mail.example.com").unwrap();
        assert!(exact.matches(&n("mail.example.com")));
        assert!(!exact.matches(&n("x.mail.example.com")));
        let idn = MxPattern::new("*.bücher.example").unwrap();
        assert!(idn.matches(&n("mx.xn--bcher-kva.example")));
        assert!(MxPattern::new("*.").is_err());
        assert!(MxPattern::new("a.*.example").is_err());
    }
}
