"""Python's imaplib (and raw IMAP where imaplib has no call) against mailserver's IMAP ports.

Usage: imap_clients.py CASE...   with CASE one of
  starttls    imaplib over STARTTLS on MS_IMAP: login, list, select, search, fetch, store,
              append, copy, expunge, idle
  imaps       the same over implicit TLS on MS_IMAPS
  sessions    two sessions on one folder see each other's flag changes and expunges
  pop3        a message deleted over POP3 is gone for IMAP
  e2e         smtp-send (MS_SMTP_SEND) submits; a session in IDLE sees EXISTS; the fetched
              message is byte-identical to the stored file; moved to Trash; POP3 no longer
              lists it
  compress    COMPRESS=DEFLATE, then commands over the compressed stream
  badlogin    a wrong password over IMAPS is refused (and logged by the server)
Ports, CA and domain come from the environment (see common.py); MS_IMAP/MS_IMAPS are the
IMAP ports, MS_DATA the data directory.
"""
import glob
import imaplib
import os
import poplib
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import zlib

from common import CA, DOMAIN, HOST, POP3S, SMTP, check, finish, tls_context

IMAP = int(os.environ.get("MS_IMAP", "2143"))
IMAPS = int(os.environ.get("MS_IMAPS", "2993"))
DATA = os.environ.get("MS_DATA", "mail-data")

MESSAGE = (
    b"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\n"
    b"Subject: =?UTF-8?B?R3LDvMOfZQ==?= from imaplib\r\n"
    b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <imaplib-1@example.test>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
    b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello searchable world\r\n"
    b"--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
    b"\r\naGVsbG8=\r\n--b1--\r\n"
)


def connect(how, user="alice", password="secret-a"):
    ctx = tls_context()
    if how == "imaps":
        m = imaplib.IMAP4_SSL("localhost", IMAPS, ssl_context=ctx)
    else:
        m = imaplib.IMAP4("localhost", IMAP)
        check("LOGINDISABLED" in m.capabilities, f"{how}: LOGINDISABLED before TLS")
        try:
            m.login(user, password)
            check(False, f"{how}: LOGIN refused before STARTTLS")
        except imaplib.IMAP4.error:
            check(True, f"{how}: LOGIN refused before STARTTLS")
        m.starttls(ssl_context=ctx)
        check("AUTH=PLAIN" in m.capabilities, f"{how}: AUTH=PLAIN after STARTTLS")
    typ, _ = m.login(user, password)
    check(typ == "OK", f"{how}: login as {user}")
    return m


def idle_until(m, want, trigger):
    """IDLE (imaplib has no call for it before Python 3.14), run `trigger`, read untagged
    lines until one matches `want`; returns it."""
    tag = m._new_tag().decode()
    m.send(f"{tag} IDLE\r\n".encode())
    first = m.readline()
    check(first.startswith(b"+"), f"IDLE continuation: {first!r}")
    trigger()
    m.sock.settimeout(20)
    got = None
    while got is None:
        line = m.readline()
        if not line:
            break
        if re.match(want, line):
            got = line
    m.send(b"DONE\r\n")
    while True:
        line = m.readline()
        if line.startswith(tag.encode()):
            check(b" OK" in line, f"IDLE ended: {line!r}")
            break
    return got


def imaplib_case(how):
    m = connect(how)
    typ, boxes = m.list()
    names = b" ".join(boxes)
    for special in (b"\\Sent", b"\\Drafts", b"\\Trash", b"\\Junk"):
        check(special in names, f"{how}: LIST has {special.decode()}")
    folder = f"Work-{how}"
    check(m.create(folder)[0] == "OK", f"{how}: CREATE {folder}")
    typ, data = m.append(folder, r"(\Flagged)", None, MESSAGE)
    check(typ == "OK" and b"APPENDUID" in data[0], f"{how}: APPEND with APPENDUID {data}")
    typ, data = m.select(folder)
    check(typ == "OK" and data == [b"1"], f"{how}: SELECT {folder} {data}")
    typ, data = m.search("UTF-8", "BODY", "searchable")
    check(data == [b"1"], f"{how}: SEARCH BODY {data}")
    typ, data = m.search(None, "FLAGGED", "SUBJECT", "imaplib", "SINCE", "1-Jan-2020")
    check(data == [b"1"], f"{how}: SEARCH FLAGGED SUBJECT SINCE {data}")
    typ, data = m.search(None, "UNFLAGGED")
    check(data == [b""], f"{how}: SEARCH UNFLAGGED is empty {data}")
    m.uid("SEARCH", "RETURN", "(COUNT MIN)", "ALL")
    typ, data = m.response("ESEARCH")
    check(data and b"COUNT 1" in data[0], f"{how}: ESEARCH {data}")
    typ, data = m.fetch("1", "(BODY.PEEK[] FLAGS)")
    check(data[0][1] == MESSAGE, f"{how}: BODY.PEEK[] byte-identical")
    check(b"\\Seen" not in data[0][0] + data[1], f"{how}: PEEK leaves \\Seen unset")
    typ, data = m.fetch("1", "(ENVELOPE BODYSTRUCTURE RFC822.SIZE UID INTERNALDATE)")
    text = data[0]
    check(b'"=?UTF-8?B?R3LDvMOfZQ==?= from imaplib"' in text, f"{how}: ENVELOPE subject {text}")
    check(b'("Bob" NIL "bob" "example.test")' in text, f"{how}: ENVELOPE from")
    check(b'"MIXED"' in text and b'"BASE64" 8' in text, f"{how}: BODYSTRUCTURE {text}")
    check(f"RFC822.SIZE {len(MESSAGE)}".encode() in text, f"{how}: RFC822.SIZE")
    typ, data = m.fetch("1", "(BODY[1] BODY[HEADER.FIELDS (SUBJECT)] BINARY[2])")
    flat = b"".join(x if isinstance(x, bytes) else b"".join(x) for x in data)
    check(b"hello searchable world" in flat, f"{how}: BODY[1]")
    check(b"Subject: =?UTF-8?B?R3LDvMOfZQ==?= from imaplib\r\n\r\n" in flat, f"{how}: HEADER.FIELDS")
    check(b"\\Seen" in flat, f"{how}: BODY[] sets \\Seen and says so")
    typ, data = m.store("1", "+FLAGS", "(\\Answered $Label1)")
    check(typ == "OK" and b"$Label1" in data[0], f"{how}: STORE +FLAGS {data}")
    typ, data = m.copy("1", "INBOX")
    check(typ == "OK" and b"COPYUID" in data[0], f"{how}: COPY to INBOX {data}")
    typ, data = m.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    check(typ == "OK" and data == [None], f"{how}: STORE .SILENT {data}")
    typ, data = m.expunge()
    check(data == [b"1"], f"{how}: EXPUNGE {data}")
    typ, data = m.status(folder, "(MESSAGES UIDNEXT)")
    check(b"MESSAGES 0" in data[0] and b"UIDNEXT 2" in data[0], f"{how}: STATUS {data}")
    typ, data = m.select("INBOX")

    def deliver():
        other = connect(how)
        other.append("INBOX", None, None, b"Subject: while idle\r\n\r\nx\r\n")
        other.logout()

    got = idle_until(m, rb"\* \d+ EXISTS", deliver)
    check(got is not None, f"{how}: IDLE saw EXISTS {got!r}")
    m.logout()


def sessions_case():
    a = connect("imaps")
    b = connect("imaps", "alice", "secret-a")
    a.create("Shared")
    for i in range(3):
        a.append("Shared", None, None, f"Subject: shared {i}\r\n\r\nbody\r\n".encode())
    a.select("Shared")
    b.select("Shared")
    b.store("2", "+FLAGS", "(\\Flagged)")
    typ, data = a.noop()
    untagged = a.untagged_responses.get("FETCH", [])
    check(any(b"\\Flagged" in d for d in untagged), f"sessions: A sees B's flag {untagged}")
    b.store("1", "+FLAGS", "(\\Deleted)")
    b.expunge()
    a.noop()
    check(a.untagged_responses.get("EXPUNGE") == [b"1"], f"sessions: A sees B's expunge")
    typ, data = a.search(None, "ALL")
    check(data == [b"1 2"], f"sessions: A has two messages left {data}")
    a.logout()
    b.logout()


def pop3_case():
    m = connect("imaps", "bob", "secret-b")
    m.append("INBOX", None, None, b"Subject: for pop3\r\n\r\nbody\r\n")
    m.select("INBOX")
    p = poplib.POP3_SSL("localhost", POP3S, context=tls_context())
    p.user("bob")
    p.pass_("secret-b")
    count, _ = p.stat()
    check(count == 1, f"pop3: POP3 sees the message ({count})")
    p.dele(1)
    p.quit()
    m.noop()
    check(m.untagged_responses.get("EXPUNGE") == [b"1"], "pop3: IMAP sees POP3's deletion")
    typ, data = m.search(None, "ALL")
    check(data == [b""], f"pop3: gone for IMAP {data}")
    m.logout()


def stored_file(user, folder_dir, subject):
    for path in glob.glob(os.path.join(DATA, user, "Maildir", folder_dir, "*", "*")):
        with open(path, "rb") as f:
            content = f.read()
        if subject in content:
            return content
    return None


def e2e_case():
    smtp_send = os.environ["MS_SMTP_SEND"]
    submission = os.environ["MS_SUBMISSION"]
    body = b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: e2e via smtp-send\r\n\r\nend to end\r\n"
    path = os.path.join(DATA, "..", "e2e.eml")
    with open(path, "wb") as f:
        f.write(body)
    m = connect("imaps")
    m.select("INBOX")

    def send():
        out = subprocess.run(
            [smtp_send, "--server", f"localhost:{submission}", "--ca", CA, "--user", "bob",
             "--from", "bob@example.test", "--to", "alice@example.test", path],
            env={**os.environ, "SMTP_PASSWORD": "secret-b"},
            capture_output=True,
            timeout=60,
        )
        check(out.returncode == 0, f"e2e: smtp-send {out.stdout!r} {out.stderr!r}")

    got = idle_until(m, rb"\* \d+ EXISTS", send)
    check(got is not None, f"e2e: IDLE saw EXISTS {got!r}")
    typ, data = m.fetch("*", "(UID BODY.PEEK[])")
    fetched = data[0][1]
    uid = re.search(rb"UID (\d+)", data[0][0]).group(1).decode()
    stored = stored_file("alice", "", b"e2e via smtp-send")
    check(stored is not None and fetched == stored, "e2e: fetched byte-identical to the stored file")
    check(fetched.endswith(body), "e2e: the submitted message is intact")
    def pop3_messages():
        p = poplib.POP3_SSL("localhost", POP3S, context=tls_context())
        p.user("alice")
        p.pass_("secret-a")
        count, _ = p.stat()
        found = any(b"e2e via smtp-send" in b"\n".join(p.top(i, 0)[1]) for i in range(1, count + 1))
        p.quit()
        return found

    check(pop3_messages(), "e2e: POP3 lists it before the move")
    typ, data = m.uid("MOVE", uid, "Trash")
    check(typ == "OK", f"e2e: MOVE to Trash {data}")
    check(not pop3_messages(), "e2e: POP3 no longer lists it")
    m.select("Trash")
    typ, data = m.fetch("*", "(BODY.PEEK[])")
    check(data[0][1] == stored, "e2e: the message is in Trash")
    m.logout()


def compress_case():
    ctx = tls_context()
    sock = ctx.wrap_socket(socket.create_connection((HOST, IMAPS), timeout=10), server_hostname="localhost")
    f = sock.makefile("rb")
    f.readline()
    sock.sendall(b"a LOGIN alice secret-a\r\n")
    line = f.readline()
    check(b"COMPRESS=DEFLATE" in line, f"compress: offered after login {line!r}")
    sock.sendall(b"b COMPRESS DEFLATE\r\n")
    line = f.readline()
    check(line.startswith(b"b OK"), f"compress: accepted {line!r}")
    comp = zlib.compressobj(wbits=-15)
    decomp = zlib.decompressobj(wbits=-15)
    sock.sendall(comp.compress(b"c LIST \"\" \"*\"\r\nd NOOP\r\n") + comp.flush(zlib.Z_SYNC_FLUSH))
    got = b""
    while b"d OK" not in got:
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += decomp.decompress(chunk)
    check(b"\\Trash" in got and b"c OK" in got, f"compress: LIST over DEFLATE {got!r}")
    sock.close()


def badlogin_case():
    m = imaplib.IMAP4_SSL("localhost", IMAPS, ssl_context=tls_context())
    try:
        m.login("alice", "wrong-password")
        check(False, "badlogin: a wrong password is refused")
    except imaplib.IMAP4.error as e:
        check("AUTHENTICATIONFAILED" in str(e), f"badlogin: refused {e}")
    m.logout()


CASES = {
    "badlogin": badlogin_case,
    "starttls": lambda: imaplib_case("starttls"),
    "imaps": lambda: imaplib_case("imaps"),
    "sessions": sessions_case,
    "pop3": pop3_case,
    "e2e": e2e_case,
    "compress": compress_case,
}

if __name__ == "__main__":
    for case in sys.argv[1:]:
        print(f"--- {case}", flush=True)
        CASES[case]()
    finish()
