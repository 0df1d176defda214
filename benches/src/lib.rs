//! Inputs shared by the benchmarks, built the same way for every crate measured.

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
