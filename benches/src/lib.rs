//! Inputs shared by the benchmarks, built the same way for every crate measured, and the
//! counting allocator of the allocation checks.

pub mod counting;

/// A realistic message body of about `size` octets: 76-octet text lines, some starting with
/// a dot, some empty, all ending in CRLF.
pub fn message_body(size: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(size + 80);
    let mut line = 0u32;
    while body.len() < size {
        line = line.wrapping_add(1);
        if line.is_multiple_of(40) {
            body.extend_from_slice(b"\r\n");
            continue;
        }
        if line.is_multiple_of(50) {
            body.push(b'.');
        }
        for i in 0..74u32 {
            let letter = b'a' + ((line.wrapping_mul(7).wrapping_add(i)) % 26) as u8;
            body.push(if i % 9 == 8 { b' ' } else { letter });
        }
        body.extend_from_slice(b"\r\n");
    }
    body
}

/// `body` dot-stuffed and terminated, as it travels after DATA or a multi-line `+OK`.
pub fn stuffed(body: &[u8]) -> Vec<u8> {
    mail_sansio::dot::DotStuffer::stuff(body).to_vec()
}

/// The body shapes the DATA benches run on, each about `size` octets, as `(name, body)`.
///
/// Each is built deterministically and shaped like real mail, because the unstuffers' costs
/// depend on the shape: line length (per-line work), stuffed dots (each one is a special
/// case), 8-bit octets (must not slow the search for CR and LF) and base64 (long runs of
/// full-length lines, the bulk of real traffic).
pub fn body_shapes(size: usize) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("ordinary", ordinary_text(size)),
        ("long_lines", long_lines(size)),
        ("dot_heavy", dot_heavy(size)),
        ("eight_bit", eight_bit(size)),
        ("base64", base64_attachment(size)),
    ]
}

/// A deterministic xorshift64 generator: the same bodies on every machine and every run.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `low..=high`.
    fn range(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low + 1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a [u8]]) -> &'a [u8] {
        items
            .get(self.range(0, items.len() - 1))
            .copied()
            .unwrap_or_default()
    }
}

const WORDS: &[&[u8]] = &[
    b"the",
    b"of",
    b"and",
    b"to",
    b"in",
    b"is",
    b"that",
    b"for",
    b"it",
    b"as",
    b"was",
    b"with",
    b"be",
    b"by",
    b"on",
    b"not",
    b"he",
    b"this",
    b"are",
    b"or",
    b"his",
    b"from",
    b"at",
    b"which",
    b"but",
    b"have",
    b"an",
    b"had",
    b"they",
    b"you",
    b"were",
    b"their",
    b"meeting",
    b"tomorrow",
    b"please",
    b"attached",
    b"report",
    b"thanks",
    b"regards",
    b"schedule",
    b"project",
    b"review",
    b"question",
    b"number",
    b"customer",
    b"invoice",
];

/// Words from `words` up to about `len` octets, then CRLF.
fn text_line(rng: &mut Rng, words: &[&[u8]], len: usize, out: &mut Vec<u8>) {
    let start = out.len();
    while out.len() - start < len {
        if out.len() > start {
            out.push(b' ');
        }
        out.extend_from_slice(rng.pick(words));
        if rng.range(0, 12) == 0 {
            out.push(if rng.range(0, 1) == 0 { b',' } else { b'.' });
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// Ordinary text: lines of 5 to 130 octets, paragraphs, and now and then a line starting
/// with a dot (an ellipsis, an abbreviation): about one line in 60.
pub fn ordinary_text(size: usize) -> Vec<u8> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut body = Vec::with_capacity(size + 256);
    while body.len() < size {
        match rng.range(0, 59) {
            0 => body.extend_from_slice(b"\r\n"),
            1 => {
                body.extend_from_slice(rng.pick(&[b"...", b".", b".NET"]));
                body.push(b' ');
                let len = rng.range(5, 120);
                text_line(&mut rng, WORDS, len, &mut body);
            }
            _ => {
                let len = rng.range(3, 128);
                text_line(&mut rng, WORDS, len, &mut body);
            }
        }
    }
    body
}

/// Long lines, as HTML and flowed text without wrapping send them: 500 to 998 octets.
pub fn long_lines(size: usize) -> Vec<u8> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut body = Vec::with_capacity(size + 1024);
    let tags: &[&[u8]] = &[
        b"<p>",
        b"</p>",
        b"<td class=\"x\">",
        b"</td>",
        b"<br>",
        b"&nbsp;",
        b"<span>",
    ];
    while body.len() < size {
        let start = body.len();
        let len = rng.range(500, 990);
        while body.len() - start < len {
            body.extend_from_slice(if rng.range(0, 5) == 0 {
                rng.pick(tags)
            } else {
                rng.pick(WORDS)
            });
            body.push(b' ');
        }
        body.extend_from_slice(b"\r\n");
    }
    body
}

/// Dot-heavy text: quoted replies, signatures and diff-like text, where lines start with
/// `...`, `./`, `.gitignore`, `. ` and the like: about one line in three.
pub fn dot_heavy(size: usize) -> Vec<u8> {
    let mut rng = Rng(0x1656_67b1_9e37_79f9);
    let mut body = Vec::with_capacity(size + 256);
    let dotted: &[&[u8]] = &[
        b"...",
        b"./configure --prefix=/usr",
        b".gitignore",
        b". ",
        b"..",
        b".PHONY: all",
        b"...and then",
    ];
    while body.len() < size {
        match rng.range(0, 8) {
            0..=2 => {
                body.extend_from_slice(rng.pick(dotted));
                if rng.range(0, 1) == 0 {
                    body.push(b' ');
                    let len = rng.range(3, 60);
                    text_line(&mut rng, WORDS, len, &mut body);
                } else {
                    body.extend_from_slice(b"\r\n");
                }
            }
            3 | 4 => {
                body.extend_from_slice(rng.pick(&[b"> ", b">> ", b"+", b"-", b" "]));
                let len = rng.range(5, 72);
                text_line(&mut rng, WORDS, len, &mut body);
            }
            5 => body.extend_from_slice(b"-- \r\n"),
            _ => {
                let len = rng.range(5, 76);
                text_line(&mut rng, WORDS, len, &mut body);
            }
        }
    }
    body
}

/// 8-bit text: UTF-8 in Cyrillic, Greek, CJK and accented Latin, lines of 5 to 130 octets,
/// a dot-started line about one in 60.
pub fn eight_bit(size: usize) -> Vec<u8> {
    let mut rng = Rng(0x6a09_e667_f3bc_c908);
    let words: Vec<&[u8]> = [
        "привет",
        "письмо",
        "встреча",
        "завтра",
        "γειά",
        "σου",
        "κόσμε",
        "日本語",
        "メール",
        "会議",
        "明日",
        "Grüße",
        "Straße",
        "über",
        "façade",
        "señor",
        "naïve",
        "déjà",
    ]
    .iter()
    .map(|w| w.as_bytes())
    .collect();
    let mut body = Vec::with_capacity(size + 256);
    while body.len() < size {
        if rng.range(0, 59) == 0 {
            body.extend_from_slice("…".as_bytes());
            body.extend_from_slice(b"\r\n..");
        }
        let len = rng.range(5, 128);
        text_line(&mut rng, &words, len, &mut body);
    }
    body
}

/// A base64 attachment: MIME part headers, then 76-character lines, as most of the octets
/// of real mail travel.
pub fn base64_attachment(size: usize) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = Rng(0xbb67_ae85_84ca_a73b);
    let mut body = Vec::with_capacity(size + 256);
    body.extend_from_slice(
        b"--boundary\r\nContent-Type: application/pdf\r\n\
          Content-Transfer-Encoding: base64\r\n\r\n",
    );
    while body.len() < size {
        let word = rng.next();
        for i in 0..76 {
            let index = ((word >> (i % 10 * 6)) as usize + i) % 64;
            body.push(ALPHABET.get(index).copied().unwrap_or(b'A'));
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--boundary--\r\n");
    body
}

/// The median of each contender's times, for the tables the benches print with `*_ROUNDS=n`
/// (each contender timed once per round, interleaved); NaN for a contender with no time.
pub fn medians(times: &mut [Vec<f64>]) -> Vec<f64> {
    times
        .iter_mut()
        .map(|times| {
            times.sort_by(f64::total_cmp);
            times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
        })
        .collect()
}
