//! Property tests for commands: every generated command encodes to bytes that decode back
//! equal (security-anchors §8 item 47), and arbitrary bytes never panic the decoders.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::num::{NonZeroU32, NonZeroU64};

use bytes::Bytes;
use imap_proto::command::*;
use imap_proto::command::{Section, SectionText, Token};
use imap_proto::types::*;
use imap_proto::{EncodeOptions, Parsed};
use mail_sansio::Secret;
use proptest::collection::vec;
use proptest::prelude::*;

fn tag() -> impl Strategy<Value = Tag> {
    "[A-Za-z0-9.]{1,8}".prop_map(|s| Tag::try_from(s.as_str()).unwrap())
}

fn atom() -> impl Strategy<Value = Atom> {
    "[A-Za-z0-9$._-]{1,10}".prop_map(|s| Atom::try_from(s.as_str()).unwrap())
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

fn mailbox() -> impl Strategy<Value = Mailbox> {
    prop_oneof![
        Just(Mailbox::Inbox),
        "[a-zA-Z0-9 /&.\"é日-]{0,12}".prop_filter_map("valid", |s| Mailbox::from_utf8(&s).ok()),
    ]
}

fn bound() -> impl Strategy<Value = SeqBound> {
    prop_oneof![
        (1u32..=u32::MAX).prop_map(|n| SeqBound::Value(NonZeroU32::new(n).unwrap())),
        Just(SeqBound::Last),
    ]
}

fn seq_set() -> impl Strategy<Value = SeqSetOrSaved> {
    prop_oneof![
        1 => Just(SeqSetOrSaved::Saved),
        6 => vec(
            prop_oneof![
                bound().prop_map(SeqRange::Single),
                (bound(), bound()).prop_map(|(a, b)| SeqRange::Range(a, b)),
            ],
            1..4
        )
        .prop_map(|r| SeqSetOrSaved::Set(SequenceSet::new(r).unwrap())),
    ]
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

fn date() -> impl Strategy<Value = Date> {
    (1900u16..2100, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn date_time() -> impl Strategy<Value = DateTime> {
    (date(), 0u8..24, 0u8..60, 0u8..60, -720i16..=720)
        .prop_map(|(d, h, m, s, z)| DateTime::new(d, h, m, s, z).unwrap())
}

fn nz32() -> impl Strategy<Value = NonZeroU32> {
    (1u32..=u32::MAX).prop_map(|n| NonZeroU32::new(n).unwrap())
}

fn object_id() -> impl Strategy<Value = ObjectId> {
    "[A-Za-z0-9_-]{1,20}".prop_map(|s| ObjectId::try_from(s.as_str()).unwrap())
}

fn search_key() -> impl Strategy<Value = SearchKey> {
    use SearchKey as K;
    let leaf = prop_oneof![
        Just(K::All),
        Just(K::Answered),
        Just(K::Deleted),
        Just(K::Draft),
        Just(K::Flagged),
        Just(K::New),
        Just(K::Old),
        Just(K::Recent),
        Just(K::Seen),
        Just(K::Unanswered),
        Just(K::Undeleted),
        Just(K::Undraft),
        Just(K::Unflagged),
        Just(K::Unseen),
        Just(K::SaveDateSupported),
        astring().prop_map(K::Bcc),
        astring().prop_map(K::Body),
        astring().prop_map(K::Subject),
        astring().prop_map(K::GmRaw),
        (astring(), astring()).prop_map(|(a, b)| K::Header(a, b)),
        date().prop_map(K::Before),
        date().prop_map(K::SentSince),
        date().prop_map(K::SavedOn),
        any::<u64>().prop_map(K::Larger),
        any::<u64>().prop_map(K::GmMsgId),
        atom().prop_map(K::Keyword),
        atom().prop_map(K::Unkeyword),
        seq_set().prop_map(K::Uid),
        seq_set().prop_map(K::SequenceSet),
        nz32().prop_map(K::Older),
        nz32().prop_map(K::Younger),
        object_id().prop_map(K::EmailId),
        object_id().prop_map(K::ThreadId),
        (
            proptest::option::of((
                flag(),
                prop_oneof![
                    Just(EntryKind::Private),
                    Just(EntryKind::Shared),
                    Just(EntryKind::All)
                ]
            )),
            any::<u64>()
        )
            .prop_map(|(entry, mod_seq)| K::ModSeq { entry, mod_seq }),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| K::Not(Box::new(k))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| K::Or(Box::new(a), Box::new(b))),
            vec(inner, 1..4).prop_map(K::And),
        ]
    })
}

fn return_opts() -> impl Strategy<Value = Option<Vec<SearchReturnOption>>> {
    proptest::option::of(vec(
        prop_oneof![
            Just(SearchReturnOption::Min),
            Just(SearchReturnOption::Max),
            Just(SearchReturnOption::All),
            Just(SearchReturnOption::Count),
            Just(SearchReturnOption::Save),
            "X[A-Z]{1,5}"
                .prop_map(|s| SearchReturnOption::Other(Atom::try_from(s.as_str()).unwrap())),
        ],
        0..4,
    ))
}

fn part() -> impl Strategy<Value = Vec<u32>> {
    vec(1u32..=u32::MAX, 0..4)
}

fn section() -> impl Strategy<Value = Section> {
    let fields = vec(astring(), 1..3);
    (part(), 0u8..6, fields).prop_map(|(part, k, fields)| {
        let text = match k {
            0 => None,
            1 => Some(SectionText::Header),
            2 => Some(SectionText::Text),
            3 if !part.is_empty() => Some(SectionText::Mime),
            3 => None,
            4 => Some(SectionText::HeaderFields(fields)),
            _ => Some(SectionText::HeaderFieldsNot(fields)),
        };
        Section { part, text }
    })
}

fn partial() -> impl Strategy<Value = Option<Partial>> {
    proptest::option::of(
        (any::<u64>(), 1u64..=u64::MAX).prop_map(|(offset, l)| Partial {
            offset,
            length: NonZeroU64::new(l).unwrap(),
        }),
    )
}

fn fetch_att() -> impl Strategy<Value = FetchAttribute> {
    use FetchAttribute as A;
    prop_oneof![
        Just(A::Envelope),
        Just(A::Flags),
        Just(A::InternalDate),
        Just(A::Rfc822),
        Just(A::Rfc822Header),
        Just(A::Rfc822Size),
        Just(A::Rfc822Text),
        Just(A::Body),
        Just(A::BodyStructure),
        Just(A::Uid),
        Just(A::ModSeq),
        Just(A::SaveDate),
        Just(A::EmailId),
        Just(A::ThreadId),
        Just(A::GmMsgId),
        Just(A::GmThrId),
        Just(A::GmLabels),
        any::<bool>().prop_map(|lazy| A::Preview { lazy }),
        (any::<bool>(), section(), partial()).prop_map(|(peek, section, partial)| A::BodySection {
            peek,
            section,
            partial
        }),
        (any::<bool>(), part(), partial()).prop_map(|(peek, part, partial)| A::Binary {
            peek,
            part,
            partial
        }),
        part().prop_map(|part| A::BinarySize { part }),
    ]
}

fn status_att() -> impl Strategy<Value = StatusAttribute> {
    use StatusAttribute as S;
    prop_oneof![
        Just(S::Messages),
        Just(S::Recent),
        Just(S::UidNext),
        Just(S::UidValidity),
        Just(S::Unseen),
        Just(S::Deleted),
        Just(S::Size),
        Just(S::HighestModSeq),
        Just(S::AppendLimit),
        Just(S::MailboxId),
        Just(S::DeletedStorage),
        "X[A-Z]{1,5}".prop_map(|s| S::Other(Atom::try_from(s.as_str()).unwrap())),
    ]
}

fn token() -> impl Strategy<Value = Token> {
    let leaf = prop_oneof![
        "[A-Za-z0-9.-]{1,8}".prop_map(|s| Token::Atom(Bytes::from(s))),
        istring().prop_map(Token::String),
        vec(any::<u8>(), 0..8).prop_map(|v| Token::Literal8(Literal8::try_from(v).unwrap())),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| vec(inner, 0..3).prop_map(Token::List))
}

fn list_mailbox() -> impl Strategy<Value = ListMailbox> {
    prop_oneof![
        "[a-z%*/]{1,6}".prop_map(|s| ListMailbox::try_from(s.as_str()).unwrap()),
        istring().prop_map(ListMailbox::from),
    ]
}

fn select_params() -> impl Strategy<Value = SelectParams> {
    let qresync = (
        nz32(),
        1u64..=u64::MAX,
        proptest::option::of(seq_set()),
        proptest::option::of((seq_set(), seq_set())),
    )
        .prop_map(|(uid_validity, m, known_uids, seq_match)| QResync {
            uid_validity,
            mod_seq: NonZeroU64::new(m).unwrap(),
            known_uids,
            seq_match,
        });
    (any::<bool>(), proptest::option::of(qresync))
        .prop_map(|(condstore, qresync)| SelectParams { condstore, qresync })
}

fn append_message() -> impl Strategy<Value = AppendMessage> {
    (
        vec(flag(), 0..3),
        proptest::option::of(date_time()),
        prop_oneof![
            istring().prop_map(AppendData::Literal),
            vec(any::<u8>(), 0..16)
                .prop_map(|v| AppendData::Literal8(Literal8::try_from(v).unwrap())),
        ],
    )
        .prop_map(|(flags, date, data)| AppendMessage { flags, date, data })
}

fn body() -> impl Strategy<Value = CommandBody> {
    use CommandBody as B;
    let simple = prop_oneof![
        Just(B::Capability),
        Just(B::Noop),
        Just(B::Logout),
        Just(B::StartTls),
        Just(B::Namespace),
        Just(B::Idle),
        Just(B::Unselect),
        Just(B::Unauthenticate),
        Just(B::Check),
        Just(B::Close),
        Just(B::Expunge),
        (atom(), proptest::option::of(vec(any::<u8>(), 0..12))).prop_map(|(mechanism, ir)| {
            B::Authenticate {
                mechanism,
                initial_response: ir.map(Secret::new),
            }
        }),
        (astring(), astring()).prop_map(|(username, p)| B::Login {
            username,
            password: Secret::new(p)
        }),
        (mailbox(), select_params()).prop_map(|(mailbox, params)| B::Select { mailbox, params }),
        (mailbox(), select_params()).prop_map(|(mailbox, params)| B::Examine { mailbox, params }),
        (
            mailbox(),
            vec(
                prop_oneof![
                    Just(SpecialUse::All),
                    Just(SpecialUse::Archive),
                    Just(SpecialUse::Drafts),
                    Just(SpecialUse::Flagged),
                    Just(SpecialUse::Junk),
                    Just(SpecialUse::Sent),
                    Just(SpecialUse::Trash),
                    "X[a-z]{1,5}"
                        .prop_map(|s| SpecialUse::Other(Atom::try_from(s.as_str()).unwrap())),
                ],
                0..3
            )
        )
            .prop_map(|(mailbox, special_use)| B::Create {
                mailbox,
                special_use
            }),
        mailbox().prop_map(B::Delete),
        (mailbox(), mailbox()).prop_map(|(from, to)| B::Rename { from, to }),
        mailbox().prop_map(B::Subscribe),
        mailbox().prop_map(B::Unsubscribe),
    ];
    let mailboxes = prop_oneof![
        (
            vec(
                prop_oneof![
                    Just(ListSelectOption::Subscribed),
                    Just(ListSelectOption::Remote),
                    Just(ListSelectOption::RecursiveMatch),
                    Just(ListSelectOption::SpecialUse),
                ],
                0..3
            ),
            mailbox(),
            vec(list_mailbox(), 1..3),
            vec(
                prop_oneof![
                    Just(ListReturnOption::Subscribed),
                    Just(ListReturnOption::Children),
                    Just(ListReturnOption::SpecialUse),
                    vec(status_att(), 1..3).prop_map(ListReturnOption::Status),
                ],
                0..3
            )
        )
            .prop_map(|(selection, reference, patterns, return_options)| B::List {
                selection,
                reference,
                patterns,
                return_options
            }),
        (mailbox(), list_mailbox()).prop_map(|(reference, pattern)| B::Lsub { reference, pattern }),
        (mailbox(), vec(status_att(), 1..4))
            .prop_map(|(mailbox, items)| B::Status { mailbox, items }),
        (mailbox(), vec(append_message(), 1..3))
            .prop_map(|(mailbox, messages)| B::Append { mailbox, messages }),
        vec(atom(), 1..4).prop_map(B::Enable),
        proptest::option::of(vec(
            (istring(), proptest::option::of(istring()).prop_map(NString)),
            0..3
        ))
        .prop_map(B::Id),
        seq_set().prop_map(B::UidExpunge),
        astring().prop_map(B::GetQuota),
        mailbox().prop_map(B::GetQuotaRoot),
        (astring(), vec((atom(), any::<u64>()), 0..3))
            .prop_map(|(root, limits)| B::SetQuota { root, limits }),
        (
            proptest::option::of(any::<u32>()),
            proptest::option::of(prop_oneof![
                Just(MetadataDepth::Zero),
                Just(MetadataDepth::One),
                Just(MetadataDepth::Infinity)
            ]),
            mailbox(),
            vec(astring(), 1..3)
        )
            .prop_map(|(max_size, depth, mailbox, entries)| B::GetMetadata {
                max_size,
                depth,
                mailbox,
                entries
            }),
        (
            mailbox(),
            vec(
                (
                    astring(),
                    prop_oneof![
                        proptest::option::of(istring())
                            .prop_map(|s| MetadataValue::String(NString(s))),
                        vec(any::<u8>(), 0..6)
                            .prop_map(|v| MetadataValue::Literal8(Literal8::try_from(v).unwrap())),
                    ]
                ),
                1..3
            )
        )
            .prop_map(|(mailbox, entries)| B::SetMetadata { mailbox, entries }),
        atom().prop_map(|algorithm| B::Compress { algorithm }),
        ("X[A-Z]{1,6}", vec(token(), 0..4)).prop_map(|(n, args)| B::Other {
            name: Atom::try_from(n.as_str()).unwrap(),
            args
        }),
    ];
    let selected = prop_oneof![
        (
            any::<bool>(),
            return_opts(),
            proptest::option::of(astring()),
            vec(search_key(), 1..4)
        )
            .prop_map(|(uid, return_options, charset, criteria)| B::Search {
                uid,
                return_options,
                charset,
                criteria
            }),
        (
            any::<bool>(),
            seq_set(),
            prop_oneof![
                Just(FetchAttributes::All),
                Just(FetchAttributes::Fast),
                Just(FetchAttributes::Full),
                vec(fetch_att(), 1..4).prop_map(FetchAttributes::List),
            ],
            vec(
                prop_oneof![
                    any::<u64>().prop_map(FetchModifier::ChangedSince),
                    Just(FetchModifier::Vanished)
                ],
                0..3
            )
        )
            .prop_map(|(uid, set, attributes, modifiers)| B::Fetch {
                uid,
                set,
                attributes,
                modifiers
            }),
        (
            any::<bool>(),
            seq_set(),
            proptest::option::of(any::<u64>()),
            prop_oneof![
                Just(StoreAction::Replace),
                Just(StoreAction::Add),
                Just(StoreAction::Remove)
            ],
            any::<bool>(),
            prop_oneof![
                vec(flag(), 0..4).prop_map(StoreItem::Flags),
                vec(astring(), 0..3).prop_map(StoreItem::GmLabels),
            ]
        )
            .prop_map(
                |(uid, set, unchanged_since, action, silent, item)| B::Store {
                    uid,
                    set,
                    unchanged_since,
                    action,
                    silent,
                    item
                }
            ),
        (any::<bool>(), seq_set(), mailbox()).prop_map(|(uid, set, mailbox)| B::Copy {
            uid,
            set,
            mailbox
        }),
        (any::<bool>(), seq_set(), mailbox()).prop_map(|(uid, set, mailbox)| B::Move {
            uid,
            set,
            mailbox
        }),
        (
            any::<bool>(),
            return_opts(),
            vec(
                (
                    any::<bool>(),
                    prop_oneof![
                        Just(SortKey::Arrival),
                        Just(SortKey::Cc),
                        Just(SortKey::Date),
                        Just(SortKey::From),
                        Just(SortKey::Size),
                        Just(SortKey::Subject),
                        Just(SortKey::To),
                        Just(SortKey::DisplayFrom),
                        Just(SortKey::DisplayTo),
                    ]
                )
                    .prop_map(|(reverse, key)| SortCriterion { reverse, key }),
                1..3
            ),
            astring(),
            vec(search_key(), 1..3)
        )
            .prop_map(|(uid, return_options, criteria, charset, search)| B::Sort {
                uid,
                return_options,
                criteria,
                charset,
                search
            }),
        (any::<bool>(), atom(), astring(), vec(search_key(), 1..3)).prop_map(
            |(uid, algorithm, charset, search)| B::Thread {
                uid,
                algorithm,
                charset,
                search
            }
        ),
    ];
    prop_oneof![simple, mailboxes, selected]
}

/// Every command of RFC 3501, RFC 9051 and the extensions, as a proptest strategy.
fn command() -> impl Strategy<Value = Command> {
    (tag(), body()).prop_map(|(tag, body)| Command::new(tag, body))
}

fn options() -> impl Strategy<Value = EncodeOptions> {
    (any::<bool>(), any::<bool>()).prop_map(|(plus, minus)| {
        let mut o = EncodeOptions::client();
        o.literal_plus = plus;
        o.literal_minus = minus;
        o
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decode_encode_round_trip(c in command(), o in options()) {
        let bytes = c.encoded(o).into_bytes();
        match Command::decode(&bytes) {
            Ok(Parsed::Complete { value, consumed }) => {
                prop_assert_eq!(consumed, bytes.len());
                prop_assert_eq!(&value, &c);
            }
            other => prop_assert!(false, "{:?} from {:?}", other, String::from_utf8_lossy(&bytes)),
        }
        // The zero-copy entry gives the same value.
        prop_assert_eq!(Command::from_bytes(&bytes, &DecodeOptions::strict()).unwrap(), c);
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in vec(any::<u8>(), 0..256)) {
        let _ = Command::decode(&input);
        let _ = Command::decode_with(&input, &DecodeOptions::lenient());
        let _ = AuthenticateData::decode(&input);
        let _ = IdleDone::decode(&input);
    }

    #[test]
    fn mutated_commands_never_panic(c in command(), at in any::<prop::sample::Index>(), b in any::<u8>()) {
        let mut bytes = c.encoded(EncodeOptions::client()).into_bytes().to_vec();
        let k = at.index(bytes.len());
        bytes[k] = b;
        let _ = Command::decode(&bytes);
        let _ = Command::decode_with(&bytes, &DecodeOptions::lenient());
    }
}
