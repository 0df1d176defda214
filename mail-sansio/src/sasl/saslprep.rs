//! The common subset of SASLprep (RFC 4013) for user names and passwords.
//!
//! Implemented: the mappings of RFC 4013 §2.1 (non-ASCII space characters, table C.1.2, become
//! U+0020; "commonly mapped to nothing" characters, table B.1, are removed) and the prohibited
//! output of §2.3 (tables C.2.1 to C.9: control characters, private use, non-characters,
//! surrogate-range and tagging characters, change-display and inappropriate characters).
//!
//! Not implemented: Unicode normalisation form KC and the bidirectional check of §2.4 and §2.5.
//! Strings that are already NFKC, which is every ASCII string and nearly every password typed on
//! a keyboard, come out the same as with a full implementation. Both sides of this crate (the
//! SCRAM client and [`ScramCredentials::derive`](super::ScramCredentials::derive)) apply this
//! same function, so they always agree with each other.

use std::borrow::Cow;

use super::SaslError;

/// Prepares a user name or password: maps as RFC 4013 §2.1 says and rejects prohibited
/// characters (§2.3). An empty result is an error.
pub fn saslprep(input: &str) -> Result<Cow<'_, str>, SaslError> {
    let needs_mapping = input
        .chars()
        .any(|c| maps_to_space(c) || maps_to_nothing(c));
    let prepared: Cow<'_, str> = if needs_mapping {
        Cow::Owned(
            input
                .chars()
                .filter(|&c| !maps_to_nothing(c))
                .map(|c| if maps_to_space(c) { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(input)
    };
    if let Some(reason) = prepared.chars().find_map(prohibited) {
        return Err(SaslError::invalid("string for saslprep", reason));
    }
    if prepared.is_empty() {
        return Err(SaslError::invalid("string for saslprep", "empty"));
    }
    Ok(prepared)
}

/// RFC 3454 table C.1.2: non-ASCII space characters.
const fn maps_to_space(c: char) -> bool {
    matches!(
        c,
        '\u{00A0}' | '\u{1680}' | '\u{2000}'..='\u{200B}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// RFC 3454 table B.1: characters commonly mapped to nothing.
const fn maps_to_nothing(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{1806}'
            | '\u{180B}'..='\u{180D}'
            | '\u{200C}'..='\u{200D}'
            | '\u{2060}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
    )
}

/// RFC 4013 §2.3: why `c` is prohibited, if it is.
const fn prohibited(c: char) -> Option<&'static str> {
    match c {
        // C.2.1 ASCII control characters.
        '\u{0000}'..='\u{001F}' | '\u{007F}' => Some("ascii control character"),
        // C.2.2 non-ASCII control characters.
        '\u{0080}'..='\u{009F}'
        | '\u{06DD}'
        | '\u{070F}'
        | '\u{180E}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{2061}'..='\u{2063}'
        | '\u{FFF9}'..='\u{FFFC}'
        | '\u{1D173}'..='\u{1D17A}' => Some("non-ascii control character"),
        // C.3 private use.
        '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}' => {
            Some("private use character")
        }
        // C.4 non-character code points.
        '\u{FDD0}'..='\u{FDEF}' => Some("non-character code point"),
        c if (c as u32) & 0xFFFE == 0xFFFE => Some("non-character code point"),
        // C.6 inappropriate for plain text, C.7 for canonical representation.
        '\u{FFFD}' | '\u{2FF0}'..='\u{2FFB}' => Some("inappropriate character"),
        // C.8 change display properties or deprecated.
        '\u{0340}'
        | '\u{0341}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{206A}'..='\u{206F}' => Some("display-changing character"),
        // C.9 tagging characters.
        '\u{E0001}' | '\u{E0020}'..='\u{E007F}' => Some("tagging character"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4013_examples() {
        // RFC 4013 §3, the examples that do not need NFKC.
        assert_eq!(saslprep("I\u{00AD}X").unwrap(), "IX");
        assert_eq!(saslprep("user").unwrap(), "user");
        assert_eq!(saslprep("USER").unwrap(), "USER");
        assert!(saslprep("\u{0007}").is_err());
    }

    #[test]
    fn maps_spaces_and_rejects_controls() {
        assert_eq!(saslprep("a\u{00A0}b\u{3000}c").unwrap(), "a b c");
        assert!(matches!(saslprep("pencil").unwrap(), Cow::Borrowed(_)));
        assert!(saslprep("a\u{0000}b").is_err());
        assert!(saslprep("a\u{007F}").is_err());
        assert!(saslprep("a\u{0085}").is_err());
        assert!(saslprep("\u{E000}").is_err());
        assert!(saslprep("\u{FFFF}").is_err());
        assert!(saslprep("\u{1FFFE}").is_err());
        assert!(saslprep("\u{202E}evil").is_err());
        assert!(saslprep("\u{00AD}").is_err());
        assert!(saslprep("").is_err());
        assert_eq!(saslprep("pässwörd").unwrap(), "pässwörd");
    }
}
