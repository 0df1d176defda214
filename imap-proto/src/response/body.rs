//! BODY and BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051 §7.5.2): the MIME structure of a message.
//!
//! The same tree serves both: `BODY` is the non-extensible form (RFC 3501 §8's FULL example
//! uses it) and simply has no extension data. Extension data is kept flat: an absent field and
//! a NIL field are the same value, and the encoder writes the shortest form that carries every
//! non-default field.

use crate::response::Envelope;
use crate::types::{IString, NString};

/// A body part or a multipart.
///
/// ```abnf
/// body           = "(" (body-type-1part / body-type-mpart) ")"
/// body-type-1part = (body-type-basic / body-type-msg / body-type-text) [SP body-ext-1part]
/// body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyStructure {
    /// A leaf part.
    Single {
        /// Type-specific fields.
        kind: SingleKind,
        /// The fields every leaf has.
        fields: BodyFields,
        /// Extension data (BODYSTRUCTURE only).
        extension: SinglePartExtension,
    },
    /// A multipart: its children and subtype.
    Multipart {
        /// The parts, in order. Empty only for Gmail's `("ALTERNATIVE")` (lenient mode).
        parts: Vec<Self>,
        /// The multipart subtype (`MIXED`, `ALTERNATIVE`, ...).
        subtype: IString,
        /// Extension data (BODYSTRUCTURE only).
        extension: MultipartExtension,
    },
}

/// What distinguishes the three kinds of leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SingleKind {
    /// Any type other than TEXT and MESSAGE/RFC822 (or MESSAGE/GLOBAL).
    ///
    /// ```abnf
    /// body-type-basic = media-basic SP body-fields
    /// ```
    Basic {
        /// The media type (`APPLICATION`, `IMAGE`, ...).
        media_type: IString,
        /// The media subtype.
        subtype: IString,
    },
    /// `TEXT/*`.
    ///
    /// ```abnf
    /// body-type-text = media-text SP body-fields SP body-fld-lines
    /// ```
    Text {
        /// The text subtype (`PLAIN`, `HTML`, ...).
        subtype: IString,
        /// Size in lines.
        lines: u64,
    },
    /// `MESSAGE/RFC822` or `MESSAGE/GLOBAL`: an encapsulated message.
    ///
    /// ```abnf
    /// body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines
    /// ```
    Message {
        /// `RFC822` or `GLOBAL`, as sent.
        subtype: IString,
        /// The inner message's envelope.
        envelope: Box<Envelope>,
        /// The inner message's structure.
        body: Box<BodyStructure>,
        /// Size in lines.
        lines: u64,
    },
}

/// The fields of every leaf part.
///
/// ```abnf
/// body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BodyFields {
    /// Content-Type parameters (`charset`, `boundary`, `name`, ...); NIL is empty. In lenient
    /// mode a NIL value (Mail.ru) is an empty string.
    pub params: Vec<(IString, IString)>,
    /// `Content-ID`.
    pub id: NString,
    /// `Content-Description`.
    pub description: NString,
    /// `Content-Transfer-Encoding`; a NIL encoding is an empty string in lenient mode.
    pub encoding: IString,
    /// Size in octets, in its transfer encoding.
    pub octets: u32,
}

/// Extension data of a leaf part.
///
/// ```abnf
/// body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SinglePartExtension {
    /// `Content-MD5`.
    pub md5: NString,
    /// Disposition, language, location and later extensions.
    pub tail: ExtensionTail,
}

/// Extension data of a multipart.
///
/// ```abnf
/// body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultipartExtension {
    /// Content-Type parameters (`boundary`, ...).
    pub params: Vec<(IString, IString)>,
    /// Disposition, language, location and later extensions.
    pub tail: ExtensionTail,
}

/// The extension fields both kinds share.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtensionTail {
    /// `Content-Disposition`.
    pub disposition: Option<Disposition>,
    /// `Content-Language` tags (`body-fld-lang = nstring / "(" string *(SP string) ")"`).
    pub language: Vec<IString>,
    /// `Content-Location`.
    pub location: NString,
    /// Extension data defined by later RFCs.
    pub extensions: Vec<BodyExtension>,
}

impl ExtensionTail {
    /// True when nothing would be written for it.
    pub fn is_empty(&self) -> bool {
        self.disposition.is_none()
            && self.language.is_empty()
            && self.location.is_nil()
            && self.extensions.is_empty()
    }
}

/// `Content-Disposition`.
///
/// ```abnf
/// body-fld-dsp = "(" string SP body-fld-param ")" / nil
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disposition {
    /// `inline`, `attachment`, ...
    pub kind: IString,
    /// Parameters (`filename`, ...).
    pub params: Vec<(IString, IString)>,
}

/// Extension data beyond location, defined by future RFCs.
///
/// ```abnf
/// body-extension = nstring / number / number64 / "(" body-extension *(SP body-extension) ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyExtension {
    /// A string or NIL.
    NString(NString),
    /// A number.
    Number(u64),
    /// A parenthesised list (never empty).
    List(Vec<Self>),
}
