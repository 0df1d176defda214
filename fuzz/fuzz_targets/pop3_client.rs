//! The POP3 client machine on arbitrary server input split into chunks: never panics, and
//! gives the same events (data pieces joined) whole or in pieces.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mail_sansio::Session;
use pop3_proto::{Client, ClientConfig, ClientEvent, MessageNumber, Password, TlsMode, Username};

fn run(pieces: &[&[u8]], now: Instant) -> Vec<String> {
    let mut client = Client::new(ClientConfig::new(TlsMode::DangerousPlaintext), now);
    let mut log: Vec<String> = Vec::new();
    for piece in pieces {
        client.handle_input(now, piece);
        loop {
            while client.poll_transmit().is_some() {}
            match client.poll_event() {
                Ok(Some(ClientEvent::Data(bytes))) => match log.last_mut() {
                    Some(last) if last.starts_with("data ") => last.push_str(&format!("{bytes:?}")),
                    _ => log.push(format!("data {bytes:?}")),
                },
                Ok(Some(event)) => {
                    log.push(format!("{event:?}"));
                    let n = MessageNumber::new(1).unwrap();
                    match event {
                        ClientEvent::Ready => client
                            .login(
                                &Username::try_from("u").unwrap(),
                                &Password::try_from("p").unwrap(),
                            )
                            .unwrap(),
                        ClientEvent::LoggedIn => {
                            client.stat().unwrap();
                            client.list(None).unwrap();
                            client.uidl(None).unwrap();
                            client.retr(n).unwrap();
                            client.top(n, 1).unwrap();
                            client.dele(n).unwrap();
                            client.quit().unwrap();
                        }
                        _ => {}
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    // Fatal and sticky: nothing more to compare.
                    log.push(format!("error {e}"));
                    return log;
                }
            }
        }
    }
    client.handle_eof(now);
    if let Err(e) = client.poll_event() {
        log.push(format!("error {e}"));
    }
    log
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, data)) = data.split_first() else {
        return;
    };
    let now = Instant::now();
    let whole = run(&[data], now);
    let step = usize::from(cut % 16) + 1;
    let pieces: Vec<&[u8]> = data.chunks(step).collect();
    assert_eq!(run(&pieces, now), whole);
});
