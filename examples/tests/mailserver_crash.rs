//! SIGKILL under load: mailserver is killed while eight clients send mail, three times, and
//! restarted on the same data directory. Every message it acknowledged is then in the
//! Maildir exactly once and whole, and nothing a killed delivery left (spool files in
//! `incoming/`, files in `tmp/`) survives the restart.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::free_port;

const SENDERS: usize = 8;
const ROUNDS: usize = 3;
/// The end of every message body: a message that has it was stored whole.
const END: &str = "end-of-test-message";

fn spawn(dir: &Path, smtp: u16) -> Child {
    let ports: Vec<String> = (0..6).map(|_| free_port().to_string()).collect();
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_mailserver"))
        .arg("--data")
        .arg(dir.join("data"))
        .arg("--users")
        .arg(dir.join("users"))
        .args(["--domain", "example.test", "--dns", "127.0.0.1:9"])
        .args(["--smtp-port", &smtp.to_string()])
        .args(["--submission-port", &ports[0], "--smtps-port", &ports[1]])
        .args(["--pop3-port", &ports[2], "--pop3s-port", &ports[3]])
        .args(["--imap-port", &ports[4], "--imaps-port", &ports[5]])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .expect("start mailserver");
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", smtp)).is_err() {
        assert!(Instant::now() < deadline, "mailserver did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Reads one reply; its code.
fn reply(r: &mut BufReader<TcpStream>) -> std::io::Result<u16> {
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0));
        }
    }
}

/// Sends messages until the connection breaks or `stop`; the tokens acknowledged.
fn sender(smtp: u16, round: usize, id: usize, stop: &AtomicBool, acked: &Mutex<Vec<String>>) {
    let Ok(stream) = TcpStream::connect(("127.0.0.1", smtp)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    let padding = "x".repeat(76);
    let mut go = || -> std::io::Result<()> {
        reply(&mut r)?;
        w.write_all(b"EHLO client.test\r\n")?;
        reply(&mut r)?;
        for n in 0.. {
            if stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            let token = format!("crash-{round}-{id}-{n}");
            w.write_all(b"MAIL FROM:<s@client.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")?;
            for _ in 0..3 {
                let code = reply(&mut r)?;
                assert!(code < 400, "refused: {code}");
            }
            let mut msg = format!("Subject: {token}\r\nX-Token: {token}\r\n\r\n");
            // Every fourth is bigger than what is kept in memory: a spool file in `incoming/`.
            let lines = if n % 4 == 3 { 4000 } else { (n % 3) * 100 + 10 };
            for _ in 0..lines {
                msg.push_str(&padding);
                msg.push_str("\r\n");
            }
            msg.push_str(END);
            msg.push_str("\r\n.\r\n");
            w.write_all(msg.as_bytes())?;
            if reply(&mut r)? == 250 {
                acked.lock().unwrap().push(token);
            }
        }
        Ok(())
    };
    let _ = go();
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[test]
fn sigkill_under_load_loses_nothing_and_leaves_nothing() {
    let dir = std::env::temp_dir().join(format!("mailserver-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("users"), "alice:secret-a\n").unwrap();
    let smtp = free_port();
    let acked = Arc::new(Mutex::new(Vec::new()));
    for round in 0..ROUNDS {
        let mut child = spawn(&dir, smtp);
        let stop = Arc::new(AtomicBool::new(false));
        let senders: Vec<_> = (0..SENDERS)
            .map(|id| {
                let (stop, acked) = (stop.clone(), acked.clone());
                std::thread::spawn(move || sender(smtp, round, id, &stop, &acked))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(400 + 200 * round as u64));
        // SIGKILL, mid-load.
        child.kill().unwrap();
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for s in senders {
            s.join().unwrap();
        }
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "too little load: {} messages",
        acked.len()
    );
    // The restart cleans up; then everything acknowledged is there, once and whole.
    let mut child = spawn(&dir, smtp);
    let data = dir.join("data");
    let md = data.join("alice/Maildir");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for file in files_in(&md.join("new"))
        .into_iter()
        .chain(files_in(&md.join("cur")))
    {
        let text = std::fs::read_to_string(&file).unwrap();
        let token = text
            .lines()
            .find_map(|l| l.strip_prefix("X-Token: "))
            .unwrap_or_else(|| panic!("{}: no token", file.display()))
            .to_owned();
        assert!(
            text.trim_end().ends_with(END),
            "{}: truncated",
            file.display()
        );
        *seen.entry(token).or_default() += 1;
    }
    let left_tmp = files_in(&md.join("tmp"));
    let left_incoming = files_in(&data.join("incoming"));
    let _ = child.kill();
    let _ = child.wait();
    let acked_set: HashSet<&String> = acked.iter().collect();
    assert_eq!(acked_set.len(), acked.len());
    for token in &acked {
        assert_eq!(
            seen.get(token),
            Some(&1),
            "{token}: acknowledged, stored {seen:?}"
        );
    }
    for (token, n) in &seen {
        assert_eq!(*n, 1, "{token} stored {n} times");
    }
    assert!(left_tmp.is_empty(), "left in tmp/: {left_tmp:?}");
    assert!(
        left_incoming.is_empty(),
        "left in incoming/: {left_incoming:?}"
    );
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
    for line in log.lines().filter(|l| l.contains("unfinished")) {
        println!("{line}");
    }
    println!("{} acknowledged, {} stored", acked.len(), seen.len());
    let _ = std::fs::remove_dir_all(&dir);
}
