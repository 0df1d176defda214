//! Property tests for responses: every generated response and greeting encodes to bytes that
//! decode back equal (security-anchors §8 item 47), and arbitrary bytes never panic the
//! decoders, strict or lenient.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::num::NonZeroU32;

use imap_proto::Parsed;
use imap_proto::command::DecodeOptions;
use imap_proto::response::*;
use imap_proto::types::*;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

fn tag() -> impl Strategy<Value = Tag> {
    "[A-Za-z0-9.]{1,8}".prop_map(|s| Tag::try_from(s.as_str()).unwrap())
}

fn atom() -> impl Strategy<Value = Atom> {
    "[A-Za-z0-9$._-]{1,10}".prop_map(|s| Atom::try_from(s.as_str()).unwrap())
}

/// An atom that is no keyword of the grammar.
fn x_atom() -> impl Strategy<Value = Atom> {
    "X[A-Z]{2,6}".prop_map(|s| Atom::try_from(s.as_str()).unwrap())
}

/// Any content but NUL: CR, LF, 8-bit and quotes included, so every string form is used.
fn astring() -> impl Strategy<Value = AString> {
    prop_oneof![
        "[A-Za-z0-9]{1,8}".prop_map(|s| AString::try_from(s.as_str()).unwrap()),
        vec(1u8..=255, 0..24).prop_map(|v| AString::try_from(v).unwrap()),
    ]
}

fn istring() -> impl Strategy<Value = IString> {
    astring().prop_map(IString::from)
}

fn nstring() -> impl Strategy<Value = NString> {
    option::of(istring()).prop_map(NString)
}

fn literal8() -> impl Strategy<Value = Literal8> {
    vec(any::<u8>(), 0..16).prop_map(|v| Literal8::try_from(v).unwrap())
}

fn mailbox() -> impl Strategy<Value = Mailbox> {
    prop_oneof![
        Just(Mailbox::Inbox),
        "[a-zA-Z0-9 /&.\"é日-]{0,12}".prop_filter_map("valid", |s| Mailbox::from_utf8(&s).ok()),
    ]
}

fn nz32() -> impl Strategy<Value = u32> {
    1u32..=u32::MAX
}

fn seq_set() -> impl Strategy<Value = SequenceSet> {
    let bound = prop_oneof![
        nz32().prop_map(|n| SeqBound::Value(NonZeroU32::new(n).unwrap())),
        Just(SeqBound::Last),
    ];
    vec(
        prop_oneof![
            bound.clone().prop_map(SeqRange::Single),
            (bound.clone(), bound).prop_map(|(a, b)| SeqRange::Range(a, b)),
        ],
        1..4,
    )
    .prop_map(|r| SequenceSet::new(r).unwrap())
}

fn flag() -> impl Strategy<Value = Flag> {
    prop_oneof![
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Seen),
        Just(Flag::Draft),
        "[A-Za-z$][A-Za-z0-9]{0,8}".prop_map(|s| Flag::keyword(&s).unwrap()),
        "X[a-z]{1,6}".prop_map(|s| Flag::try_from(format!("\\{s}").as_str()).unwrap()),
    ]
}

fn date_time() -> impl Strategy<Value = DateTime> {
    (
        1900u16..2100,
        1u8..=12,
        1u8..=28,
        0u8..24,
        0u8..60,
        0u8..60,
        -720i16..=720,
    )
        .prop_map(|(y, mo, d, h, m, s, z)| {
            DateTime::new(Date::new(y, mo, d).unwrap(), h, m, s, z).unwrap()
        })
}

fn object_id() -> impl Strategy<Value = ObjectId> {
    "[A-Za-z0-9_-]{1,20}".prop_map(|s| ObjectId::try_from(s.as_str()).unwrap())
}

/// Non-empty text that is not read as a code.
fn text() -> impl Strategy<Value = Text> {
    "[A-Za-z0-9 .,:;()\\[\\]!?\"*%{}-]{1,30}"
        .prop_filter_map("text", |s| Text::try_from(s.as_str()).ok())
}

fn capability() -> impl Strategy<Value = Capability> {
    let names = prop::sample::select(vec![
        "IMAP4rev1",
        "IMAP4rev2",
        "AUTH=PLAIN",
        "AUTH=SCRAM-SHA-256",
        "LOGINDISABLED",
        "STARTTLS",
        "IDLE",
        "LITERAL+",
        "LITERAL-",
        "SASL-IR",
        "ENABLE",
        "CONDSTORE",
        "QRESYNC",
        "UIDPLUS",
        "MOVE",
        "NAMESPACE",
        "ID",
        "SPECIAL-USE",
        "ESEARCH",
        "THREAD=REFERENCES",
        "UTF8=ACCEPT",
        "QUOTA",
        "QUOTA=RES-STORAGE",
        "COMPRESS=DEFLATE",
        "APPENDLIMIT",
        "APPENDLIMIT=1000",
        "OBJECTID",
        "X-GM-EXT-1",
        "XFOO",
        "X-BAR",
    ]);
    names.prop_map(|n| Capability::from_atom(Atom::try_from(n).unwrap()))
}

fn code() -> impl Strategy<Value = Code> {
    prop_oneof![
        Just(Code::Alert),
        Just(Code::Parse),
        Just(Code::ReadOnly),
        Just(Code::TryCreate),
        Just(Code::UidNotSticky),
        Just(Code::Closed),
        Just(Code::TooBig),
        Just(Code::OverQuota),
        Just(Code::NonExistent),
        Just(Code::HasChildren),
        Just(Code::MetadataTooMany),
        vec(
            "[A-Z0-9-]{1,8}".prop_map(|s| AString::try_from(s.as_str()).unwrap()),
            0..3
        )
        .prop_map(Code::BadCharset),
        vec(capability(), 0..5).prop_map(Code::Capability),
        vec(
            prop_oneof![flag().prop_map(FlagPerm::Flag), Just(FlagPerm::Any)],
            0..4
        )
        .prop_map(Code::PermanentFlags),
        nz32().prop_map(Code::UidNext),
        nz32().prop_map(Code::UidValidity),
        nz32().prop_map(Code::Unseen),
        (nz32(), seq_set()).prop_map(|(uid_validity, uids)| Code::AppendUid { uid_validity, uids }),
        (nz32(), seq_set(), seq_set()).prop_map(|(uid_validity, source, destination)| {
            Code::CopyUid {
                uid_validity,
                source,
                destination,
            }
        }),
        any::<u64>().prop_map(Code::HighestModSeq),
        seq_set().prop_map(Code::Modified),
        object_id().prop_map(Code::MailboxId),
        any::<u32>().prop_map(Code::MetadataLongEntries),
        "X[A-Z]{2,6}( [a-z0-9 \"]{1,8})?"
            .prop_filter_map("code", |s| OtherCode::new(s).ok().map(Code::Other)),
    ]
}

fn status() -> impl Strategy<Value = Status> {
    let cond = prop_oneof![
        Just(Condition::Ok),
        Just(Condition::No),
        Just(Condition::Bad)
    ];
    let kind = prop_oneof![
        (tag(), cond.clone()).prop_map(|(t, c)| StatusKind::Tagged(t, c)),
        cond.prop_map(StatusKind::Untagged),
        Just(StatusKind::Bye),
        Just(StatusKind::PreAuth),
    ];
    (kind, option::of(code()), text()).prop_map(|(kind, code, text)| Status { kind, code, text })
}

fn token() -> impl Strategy<Value = Token> {
    let leaf = prop_oneof![
        "[A-Za-z0-9\\\\$.-]{1,8}".prop_map(|s| Token::Atom(s.into_bytes().into())),
        istring().prop_map(Token::String),
        literal8().prop_map(Token::Literal8),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| vec(inner, 0..4).prop_map(Token::List))
}

fn address() -> impl Strategy<Value = Address> {
    (nstring(), nstring(), nstring(), nstring()).prop_map(|(name, adl, mailbox, host)| Address {
        name,
        adl,
        mailbox,
        host,
    })
}

fn envelope() -> impl Strategy<Value = Envelope> {
    let list = || vec(address(), 0..3);
    (
        (nstring(), nstring(), list(), list(), list()),
        (list(), list(), list(), nstring(), nstring()),
    )
        .prop_map(
            |((date, subject, from, sender, reply_to), (to, cc, bcc, in_reply_to, message_id))| {
                Envelope {
                    date,
                    subject,
                    from,
                    sender,
                    reply_to,
                    to,
                    cc,
                    bcc,
                    in_reply_to,
                    message_id,
                }
            },
        )
}

fn params() -> impl Strategy<Value = Vec<(IString, IString)>> {
    vec((istring(), istring()), 0..3)
}

fn body_extension() -> impl Strategy<Value = BodyExtension> {
    let leaf = prop_oneof![
        nstring().prop_map(BodyExtension::NString),
        any::<u64>().prop_map(BodyExtension::Number),
    ];
    leaf.prop_recursive(2, 6, 3, |inner| {
        vec(inner, 1..3).prop_map(BodyExtension::List)
    })
}

fn tail() -> impl Strategy<Value = ExtensionTail> {
    (
        option::of((istring(), params()).prop_map(|(kind, params)| Disposition { kind, params })),
        vec(istring(), 0..3),
        nstring(),
        vec(body_extension(), 0..3),
    )
        .prop_map(
            |(disposition, language, location, extensions)| ExtensionTail {
                disposition,
                language,
                location,
                extensions,
            },
        )
}

fn fields() -> impl Strategy<Value = BodyFields> {
    (params(), nstring(), nstring(), istring(), any::<u32>()).prop_map(
        |(params, id, description, encoding, octets)| BodyFields {
            params,
            id,
            description,
            encoding,
            octets,
        },
    )
}

/// A media type that is neither TEXT nor MESSAGE (those have their own forms).
fn basic_type() -> impl Strategy<Value = IString> {
    prop_oneof![
        Just("APPLICATION"),
        Just("image"),
        Just("AUDIO"),
        Just("video"),
        Just("X-FOO")
    ]
    .prop_map(|s| IString::try_from(s).unwrap())
}

fn single_ext() -> impl Strategy<Value = SinglePartExtension> {
    (nstring(), tail()).prop_map(|(md5, tail)| SinglePartExtension { md5, tail })
}

fn body_structure() -> impl Strategy<Value = BodyStructure> {
    let leaf = prop_oneof![
        (basic_type(), istring(), fields(), single_ext()).prop_map(
            |(media_type, subtype, fields, extension)| BodyStructure::Single {
                kind: SingleKind::Basic {
                    media_type,
                    subtype
                },
                fields,
                extension,
            }
        ),
        (istring(), any::<u64>(), fields(), single_ext()).prop_map(
            |(subtype, lines, fields, extension)| BodyStructure::Single {
                kind: SingleKind::Text { subtype, lines },
                fields,
                extension,
            }
        ),
    ];
    leaf.prop_recursive(3, 12, 3, move |inner| {
        prop_oneof![
            (vec(inner.clone(), 1..4), istring(), params(), tail()).prop_map(
                |(parts, subtype, params, tail)| BodyStructure::Multipart {
                    parts,
                    subtype,
                    extension: MultipartExtension { params, tail },
                }
            ),
            (
                prop_oneof![Just("RFC822"), Just("global")],
                envelope(),
                inner,
                any::<u64>(),
                fields(),
                single_ext()
            )
                .prop_map(|(sub, envelope, body, lines, fields, extension)| {
                    BodyStructure::Single {
                        kind: SingleKind::Message {
                            subtype: IString::try_from(sub).unwrap(),
                            envelope: Box::new(envelope),
                            body: Box::new(body),
                            lines,
                        },
                        fields,
                        extension,
                    }
                }),
        ]
    })
}

fn section() -> impl Strategy<Value = Section> {
    (vec(nz32(), 0..3), 0u8..6, vec(astring(), 1..3)).prop_map(|(part, t, names)| {
        let text = match t {
            0 => None,
            1 => Some(SectionText::Header),
            2 => Some(SectionText::Text),
            3 => Some(SectionText::HeaderFields(names)),
            4 => Some(SectionText::HeaderFieldsNot(names)),
            _ if !part.is_empty() => Some(SectionText::Mime),
            _ => None,
        };
        Section { part, text }
    })
}

fn payload() -> impl Strategy<Value = Payload<IString>> {
    prop_oneof![Just(Payload::Nil), istring().prop_map(Payload::Data)]
}

fn fetch_item() -> impl Strategy<Value = FetchItem> {
    prop_oneof![
        vec(
            prop_oneof![flag().prop_map(FlagFetch::Flag), Just(FlagFetch::Recent)],
            0..4
        )
        .prop_map(FetchItem::Flags),
        nz32().prop_map(FetchItem::Uid),
        date_time().prop_map(FetchItem::InternalDate),
        any::<u64>().prop_map(FetchItem::Rfc822Size),
        payload().prop_map(FetchItem::Rfc822),
        payload().prop_map(FetchItem::Rfc822Header),
        payload().prop_map(FetchItem::Rfc822Text),
        (section(), option::of(any::<u32>()), payload()).prop_map(|(section, origin, data)| {
            FetchItem::BodySection {
                section,
                origin,
                data,
            }
        }),
        (
            vec(nz32(), 0..3),
            option::of(any::<u32>()),
            prop_oneof![Just(Payload::Nil), literal8().prop_map(Payload::Data)]
        )
            .prop_map(|(section, origin, data)| FetchItem::Binary {
                section,
                origin,
                data
            }),
        (vec(nz32(), 0..3), any::<u32>())
            .prop_map(|(section, size)| FetchItem::BinarySize { section, size }),
        envelope().prop_map(|e| FetchItem::Envelope(Box::new(e))),
        body_structure().prop_map(|b| FetchItem::Body(Box::new(b))),
        body_structure().prop_map(|b| FetchItem::BodyStructure(Box::new(b))),
        any::<u64>().prop_map(FetchItem::ModSeq),
        object_id().prop_map(FetchItem::EmailId),
        option::of(object_id()).prop_map(FetchItem::ThreadId),
        option::of(date_time()).prop_map(FetchItem::SaveDate),
        option::of(istring()).prop_map(FetchItem::Preview),
        any::<u64>().prop_map(FetchItem::GmMsgId),
        any::<u64>().prop_map(FetchItem::GmThrId),
        vec(astring(), 0..3).prop_map(FetchItem::GmLabels),
        ("X-[A-Z]{1,5}", token()).prop_map(|(name, value)| FetchItem::Other {
            name: name.into_bytes().into(),
            value
        }),
    ]
}

fn thread() -> impl Strategy<Value = Thread> {
    let leaf = vec(nz32(), 1..3).prop_map(|members| Thread {
        members,
        children: Vec::new(),
    });
    leaf.prop_recursive(3, 10, 3, |inner| {
        (vec(nz32(), 0..3), vec(inner, 2..4))
            .prop_map(|(members, children)| Thread { members, children })
    })
}

fn namespace_list() -> impl Strategy<Value = Vec<NamespaceDescription>> {
    vec(
        (
            istring(),
            option::of(prop::sample::select(vec!['/', '.', '\\', '"'])),
            vec((istring(), vec(istring(), 0..2)), 0..2),
        )
            .prop_map(|(prefix, delimiter, extensions)| NamespaceDescription {
                prefix,
                delimiter,
                extensions,
            }),
        0..3,
    )
}

fn list_attribute() -> impl Strategy<Value = ListAttribute> {
    prop_oneof![
        Just(ListAttribute::NoInferiors),
        Just(ListAttribute::NoSelect),
        Just(ListAttribute::HasChildren),
        Just(ListAttribute::Sent),
        Just(ListAttribute::Trash),
        Just(ListAttribute::Important),
        x_atom().prop_map(ListAttribute::Extension),
    ]
}

fn mailbox_list() -> impl Strategy<Value = MailboxList> {
    (
        vec(list_attribute(), 0..4),
        option::of(prop::sample::select(vec!['/', '.', '\\', '"'])),
        mailbox(),
        vec(
            prop_oneof![
                vec(istring(), 1..3).prop_map(ListExtendedItem::ChildInfo),
                mailbox().prop_map(ListExtendedItem::OldName),
                (x_atom(), token()).prop_map(|(tag, value)| ListExtendedItem::Other { tag, value }),
            ],
            0..3,
        ),
    )
        .prop_map(|(attributes, delimiter, mailbox, extended)| MailboxList {
            attributes,
            delimiter,
            mailbox,
            extended,
        })
}

fn status_item() -> impl Strategy<Value = StatusItem> {
    prop_oneof![
        any::<u32>().prop_map(StatusItem::Messages),
        any::<u32>().prop_map(StatusItem::Recent),
        any::<u32>().prop_map(StatusItem::UidNext),
        any::<u32>().prop_map(StatusItem::UidValidity),
        any::<u32>().prop_map(StatusItem::Unseen),
        any::<u32>().prop_map(StatusItem::Deleted),
        any::<u64>().prop_map(StatusItem::Size),
        any::<u64>().prop_map(StatusItem::HighestModSeq),
        option::of(any::<u32>()).prop_map(StatusItem::AppendLimit),
        object_id().prop_map(StatusItem::MailboxId),
        any::<u64>().prop_map(StatusItem::DeletedStorage),
        (x_atom(), any::<u64>()).prop_map(|(name, value)| StatusItem::Other { name, value }),
    ]
}

fn esearch() -> impl Strategy<Value = ESearch> {
    (
        option::of(istring()),
        any::<bool>(),
        vec(
            prop_oneof![
                nz32().prop_map(ESearchItem::Min),
                nz32().prop_map(ESearchItem::Max),
                any::<u32>().prop_map(ESearchItem::Count),
                seq_set().prop_map(ESearchItem::All),
                any::<u64>().prop_map(ESearchItem::ModSeq),
                (x_atom(), token()).prop_map(|(name, value)| ESearchItem::Other { name, value }),
            ],
            0..4,
        ),
    )
        .prop_map(|(tag, uid, items)| ESearch { tag, uid, items })
}

fn data() -> impl Strategy<Value = Data> {
    prop_oneof![
        vec(capability(), 0..6).prop_map(Data::Capability),
        vec(capability(), 0..3).prop_map(Data::Enabled),
        mailbox_list().prop_map(Data::List),
        mailbox_list().prop_map(Data::Lsub),
        (mailbox(), vec(status_item(), 0..4))
            .prop_map(|(mailbox, items)| Data::Status { mailbox, items }),
        (vec(nz32(), 0..20), option::of(any::<u64>()))
            .prop_map(|(numbers, modseq)| Data::Search { numbers, modseq }),
        (vec(nz32(), 0..20), option::of(any::<u64>()))
            .prop_map(|(numbers, modseq)| Data::Sort { numbers, modseq }),
        esearch().prop_map(Data::ESearch),
        vec(thread(), 0..3).prop_map(Data::Thread),
        vec(flag(), 0..5).prop_map(Data::Flags),
        any::<u32>().prop_map(Data::Exists),
        any::<u32>().prop_map(Data::Recent),
        nz32().prop_map(Data::Expunge),
        (any::<bool>(), seq_set()).prop_map(|(earlier, uids)| Data::Vanished { earlier, uids }),
        (nz32(), vec(fetch_item(), 0..5))
            .prop_map(|(seq, items)| Data::Fetch(Fetch { seq, items })),
        (namespace_list(), namespace_list(), namespace_list()).prop_map(
            |(personal, other, shared)| Data::Namespace(Namespaces {
                personal,
                other,
                shared
            })
        ),
        option::of(vec((istring(), nstring()), 0..4)).prop_map(Data::Id),
        (astring(), vec((atom(), any::<u64>(), any::<u64>()), 0..3)).prop_map(|(root, r)| {
            Data::Quota {
                root,
                resources: r
                    .into_iter()
                    .map(|(name, usage, limit)| QuotaResource { name, usage, limit })
                    .collect(),
            }
        }),
        (mailbox(), vec(astring(), 0..3))
            .prop_map(|(mailbox, roots)| Data::QuotaRoot { mailbox, roots }),
        (mailbox(), vec((astring(), option::of(literal8())), 1..3)).prop_map(|(mailbox, v)| {
            Data::Metadata {
                mailbox,
                items: MetadataItems::Values(v),
            }
        }),
        (mailbox(), vec(astring(), 1..3)).prop_map(|(mailbox, v)| {
            Data::Metadata {
                mailbox,
                items: MetadataItems::Entries(v),
            }
        }),
        (option::of(any::<u32>()), x_atom(), vec(token(), 0..4)).prop_map(
            |(number, name, tokens)| Data::Other {
                number,
                name,
                tokens
            }
        ),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    prop_oneof![
        status().prop_map(Response::Status),
        data().prop_map(Response::Data),
        (option::of(code()), text())
            .prop_map(|(code, text)| Response::Continuation(Continuation { code, text })),
    ]
}

fn greeting() -> impl Strategy<Value = Greeting> {
    let kind = prop_oneof![
        Just(GreetingKind::Ok),
        Just(GreetingKind::PreAuth),
        Just(GreetingKind::Bye)
    ];
    (kind, option::of(code()), text()).prop_map(|(kind, code, text)| Greeting { kind, code, text })
}

fn decode_all(bytes: &[u8], options: &DecodeOptions) -> Response {
    match Response::decode_with(bytes, options) {
        Ok(Parsed::Complete { value, consumed }) => {
            assert_eq!(consumed, bytes.len());
            value
        }
        other => panic!("{other:?} for {:?}", String::from_utf8_lossy(bytes)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn response_roundtrip(r in response()) {
        let bytes = r.encoded().into_bytes();
        prop_assert_eq!(&decode_all(&bytes, &DecodeOptions::strict()), &r, "{:?}", String::from_utf8_lossy(&bytes));
        // Lenient mode reads every strict encoding the same way.
        prop_assert_eq!(&decode_all(&bytes, &DecodeOptions::lenient()), &r);
    }

    #[test]
    fn greeting_roundtrip(g in greeting()) {
        let bytes = g.encoded().into_bytes();
        let Ok(Parsed::Complete { value, consumed }) = Greeting::decode(&bytes) else {
            panic!("{:?}", String::from_utf8_lossy(&bytes))
        };
        prop_assert_eq!(consumed, bytes.len());
        prop_assert_eq!(value, g);
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in vec(any::<u8>(), 0..256)) {
        let _ = Response::decode_with(&input, &DecodeOptions::strict());
        let _ = Response::decode_with(&input, &DecodeOptions::lenient());
        let _ = Greeting::decode_with(&input, &DecodeOptions::lenient());
    }

    #[test]
    fn mutated_responses_never_panic(r in response(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = r.encoded().into_bytes().to_vec();
        let k = at.index(bytes.len());
        bytes[k] = byte;
        for options in [DecodeOptions::strict(), DecodeOptions::lenient()] {
            if let Ok(Parsed::Complete { value, .. }) = Response::decode_with(&bytes, &options) {
                // What decodes re-encodes to something that decodes again.
                let again = value.encoded().into_bytes();
                let _ = Response::decode_with(&again, &options);
            }
        }
    }
}
