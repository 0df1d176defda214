"""Python's imaplib and raw IMAP against mailserver's IMAPS port: the extensions and the
per-session state beyond imap_clients.py.

Usage: imap_extensions.py CASE...   with CASE one of
  recent       \\Recent is per session (RFC 3501 §2.3.2): the first read-write SELECT after a
               delivery claims it, EXAMINE claims nothing, a new message is recent for
               exactly one of two selected sessions; SEARCH RECENT/NEW/OLD
  qresync      UID FETCH (CHANGEDSINCE m VANISHED) reports only expunges inside the UID
               set; SELECT (QRESYNC ...) limits VANISHED (EARLIER) to the known UIDs and, when
               the folder has forgotten its expunges, uses the sequence match data
  uidvalidity  a folder recreated under a selected session ends that session with * BYE
  sort         imaplib's sort (and UID SORT): every sort key, REVERSE, several keys, base
               subjects (RFC 5256 §2.1), DISPLAYFROM (RFC 5957), with search keys
  thread       imaplib's thread: REFERENCES and ORDEREDSUBJECT
  searchres    SEARCH RETURN (SAVE), then FETCH $ (RFC 5182)
  unauthenticate  UNAUTHENTICATE (RFC 8437), then a login as someone else
Ports, CA and domain come from the environment (see common.py); MS_IMAPS is the IMAPS
port, MS_DATA the data directory.
"""
import imaplib
import os
import re
import socket
import sys
import time

from common import check, finish, tls_context

IMAPS = int(os.environ.get("MS_IMAPS", "2993"))
DATA = os.environ.get("MS_DATA", "mail-data")


def connect(user="alice", password="secret-a"):
    m = imaplib.IMAP4_SSL("localhost", IMAPS, ssl_context=tls_context())
    typ, _ = m.login(user, password)
    check(typ == "OK", f"login as {user}")
    return m


def capabilities(m):
    """The capabilities after login (imaplib keeps those of the greeting)."""
    typ, data = m.capability()
    return data[0].decode().upper().split()


class Raw:
    """A line-by-line IMAP session over TLS, for what imaplib has no call for."""

    def __init__(self, user="alice", password="secret-a"):
        sock = socket.create_connection(("localhost", IMAPS), timeout=20)
        self.sock = tls_context().wrap_socket(sock, server_hostname="localhost")
        self.file = self.sock.makefile("rb")
        self.n = 0
        self.file.readline()
        self.cmd(f"LOGIN {user} {password}")

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def readline(self):
        return self.file.readline()

    def cmd(self, line):
        """Sends a command; returns its untagged lines and checks the tagged OK."""
        self.n += 1
        tag = f"x{self.n}"
        self.send(f"{tag} {line}")
        lines = []
        while True:
            got = self.readline()
            if not got:
                check(False, f"{line}: connection closed")
                return lines
            if got.startswith(tag.encode() + b" "):
                check(b" OK" in got, f"{line}: {got!r}")
                return lines
            lines.append(got)


def vanished(lines):
    """The set of `* VANISHED (EARLIER) set` lines (None without one)."""
    for line in lines:
        found = re.match(rb"\* VANISHED \(EARLIER\) (\S+)", line)
        if found:
            return found.group(1).decode()
    return None


def recent_case():
    c = connect()
    c.create("Fresh")
    for i in range(2):
        c.append("Fresh", None, None, f"Subject: fresh {i}\r\n\r\nbody\r\n".encode())
    a = connect()
    typ, data = a.select("Fresh", readonly=True)
    check(a.untagged_responses.get("RECENT") == [b"2"], "recent: EXAMINE sees 2 recent")
    typ, data = a.fetch("1:2", "(FLAGS)")
    check(all(b"\\Recent" in d for d in data), f"recent: EXAMINE shows \\Recent {data}")
    a.unselect()
    typ, data = a.select("Fresh")
    check(a.untagged_responses.get("RECENT") == [b"2"],
          f"recent: EXAMINE claimed nothing, SELECT claims 2 {a.untagged_responses.get('RECENT')}")
    typ, data = a.search(None, "RECENT")
    check(data == [b"1 2"], f"recent: SEARCH RECENT {data}")
    typ, data = a.search(None, "NEW")
    check(data == [b"1 2"], f"recent: SEARCH NEW {data}")
    typ, data = a.fetch("1", "(FLAGS)")
    check(b"\\Recent" in data[0], f"recent: FETCH FLAGS has \\Recent {data}")
    b = connect()
    b.select("Fresh")
    check(b.untagged_responses.get("RECENT") == [b"0"],
          f"recent: a second session gets none {b.untagged_responses.get('RECENT')}")
    typ, data = b.search(None, "RECENT")
    check(data == [b""], f"recent: none recent for the second session {data}")
    typ, data = b.search(None, "OLD")
    check(data == [b"1 2"], f"recent: SEARCH OLD {data}")
    typ, data = b.fetch("1", "(FLAGS)")
    check(b"\\Recent" not in data[0], f"recent: no \\Recent for the second session {data}")
    # A new message while both are selected: recent for exactly one of them.
    c.append("Fresh", None, None, b"Subject: fresh 2\r\n\r\nbody\r\n")
    time.sleep(1)
    holders = 0
    for who, m in (("A", a), ("B", b)):
        m.noop()
        typ, data = m.fetch("3", "(FLAGS)")
        check(typ == "OK", f"recent: {who} sees message 3 {data}")
        holders += b"\\Recent" in data[0]
    check(holders == 1, f"recent: message 3 is recent for exactly one session ({holders})")
    typ, data = c.status("Fresh", "(RECENT)")
    check(b"RECENT 0" in data[0], f"recent: nothing left to claim {data}")
    for m in (a, b, c):
        m.logout()


def qresync_case():
    b = connect()
    b.create("Q")
    for i in range(10):
        b.append("Q", None, None, f"Subject: q {i}\r\n\r\nbody\r\n".encode())
    a = Raw()
    a.cmd("ENABLE QRESYNC")
    lines = a.cmd("SELECT Q")
    text = b"".join(lines)
    validity = int(re.search(rb"UIDVALIDITY (\d+)", text).group(1))
    modseq = int(re.search(rb"HIGHESTMODSEQ (\d+)", text).group(1))
    b.select("Q")
    b.store("2:3,8:9", "+FLAGS", "(\\Deleted)")
    b.expunge()
    time.sleep(1)
    lines = a.cmd(f"UID FETCH 1:5 (FLAGS) (CHANGEDSINCE {modseq} VANISHED)")
    check(vanished(lines) == "2:3", f"qresync: UID FETCH 1:5 VANISHED only 2:3 {lines}")
    lines = a.cmd(f"UID FETCH 6:7 (FLAGS) (CHANGEDSINCE {modseq} VANISHED)")
    check(vanished(lines) is None, f"qresync: UID FETCH 6:7 no VANISHED {lines}")
    lines = a.cmd(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq} VANISHED)")
    check(vanished(lines) == "2:3,8:9", f"qresync: UID FETCH 1:* VANISHED all {lines}")
    # SELECT with known UIDs: only those.
    c = Raw()
    c.cmd("ENABLE QRESYNC")
    lines = c.cmd(f"SELECT Q (QRESYNC ({validity} {modseq} 1:5))")
    check(vanished(lines) == "2:3", f"qresync: SELECT known 1:5 VANISHED 2:3 {lines}")
    lines = c.cmd(f"SELECT Q (QRESYNC ({validity} {modseq}))")
    check(vanished(lines) == "2:3,8:9", f"qresync: SELECT without known UIDs {lines}")
    # The folder forgets its expunges (its modseq file is gone): the known UIDs that are
    # not there, above the point where the sequence match data still agrees.
    os.remove(os.path.join(DATA, "alice", "Maildir", ".Q", "mailserver-modseq"))
    lines = c.cmd(f"SELECT Q (QRESYNC ({validity} {modseq} 1:10))")
    check(vanished(lines) == "2:3,8:9", f"qresync: forgotten expunges, known 1:10 {lines}")
    lines = c.cmd(f"SELECT Q (QRESYNC ({validity} {modseq} 1:10 (1:5 1,4:7)))")
    check(vanished(lines) == "8:9", f"qresync: sequence match data narrows to 8:9 {lines}")
    lines = c.cmd(f"SELECT Q (QRESYNC ({validity} {modseq} 1:10 (1:2 1,3)))")
    check(vanished(lines) == "2:3,8:9", f"qresync: a mismatch narrows nothing {lines}")
    b.logout()


def uidvalidity_case():
    b = connect()
    b.create("Box")
    b.append("Box", None, None, b"Subject: old\r\n\r\nbody\r\n")
    a = Raw()
    a.cmd("SELECT Box")
    a.n += 1
    a.send(f"x{a.n} IDLE")
    first = a.readline()
    check(first.startswith(b"+"), f"uidvalidity: IDLE {first!r}")
    b.delete("Box")
    b.create("Box")
    b.append("Box", None, None, b"Subject: new\r\n\r\nbody\r\n")
    bye = None
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            line = a.readline()
        except OSError:
            break
        if not line:
            break
        if line.startswith(b"* BYE"):
            bye = line
            break
    check(bye is not None and b"UIDVALIDITY" in bye, f"uidvalidity: the session ends {bye!r}")
    b.logout()


def add(m, folder, when, text):
    typ, _ = m.append(folder, None, imaplib.Time2Internaldate(when), text.encode())
    check(typ == "OK", f"append to {folder}")


SORTED = [
    # (internal date, message)
    ("2020-01-04", "From: Carol <carol@example.test>\r\nTo: zed@example.test\r\n"
     "Cc: bob@example.test\r\nSubject: Re: banana\r\n"
     "Date: Tue, 3 Jan 2023 10:00:00 +0000\r\n\r\nshort\r\n"),
    ("2020-01-01", "From: alice@example.test\r\nTo: Yann <yann@example.test>\r\n"
     "Subject: apple\r\nDate: Mon, 2 Jan 2023 10:00:00 +0100\r\n\r\n"
     + "a much longer body\r\n" * 20),
    ("2020-01-03", "From: Zoe <bob@example.test>\r\nTo: xavier@example.test\r\n"
     "Cc: alice@example.test\r\nSubject: [list] Fwd: Cherry (fwd)\r\n"
     "Date: Sun, 1 Jan 2023 12:00:00 -0500\r\n\r\nmedium body here\r\n"),
    ("2024-01-01", "From: dave@example.test\r\nSubject: re: APPLE\r\n\r\nno date\r\n"),
]


def epoch(day):
    return time.mktime(time.strptime(day + " 12", "%Y-%m-%d %H")) - time.timezone


def sort_case():
    m = connect()
    caps = capabilities(m)
    check("SORT" in caps and "SORT=DISPLAY" in caps, f"sort: SORT and SORT=DISPLAY offered {caps}")
    m.create("S")
    for day, text in SORTED:
        add(m, "S", epoch(day), text)
    m.select("S")
    sizes = sorted(range(1, 5), key=lambda i: (len(SORTED[i - 1][1]), i))
    expect = {
        "(SUBJECT)": "2 4 1 3",
        "(DATE)": "3 2 1 4",
        "(REVERSE DATE)": "4 1 2 3",
        "(ARRIVAL)": "2 3 1 4",
        "(REVERSE ARRIVAL)": "4 1 3 2",
        "(FROM)": "2 3 1 4",
        "(TO)": "4 3 2 1",
        "(CC)": "2 4 3 1",
        "(SIZE)": " ".join(map(str, sizes)),
        "(REVERSE SIZE)": " ".join(map(str, reversed(sizes))),
        "(DISPLAYFROM)": "2 1 4 3",
        "(DISPLAYTO)": "4 3 2 1",
        "(SUBJECT REVERSE DATE)": "4 2 1 3",
    }
    for criteria, want in expect.items():
        typ, data = m.sort(criteria, "UTF-8", "ALL")
        check(typ == "OK" and data == [want.encode()], f"sort: SORT {criteria} {data} want {want}")
    typ, data = m.sort("(SUBJECT)", "UTF-8", "FROM", "alice")
    check(data == [b"2"], f"sort: with a search key {data}")
    typ, data = m.sort("(DATE)", "US-ASCII", "NOT", "FROM", "alice")
    check(data == [b"3 1 4"], f"sort: with NOT {data}")
    # UIDs differ from message numbers once the first message is gone.
    m.store("1", "+FLAGS", "(\\Deleted)")
    m.expunge()
    typ, data = m.uid("SORT", "(SUBJECT)", "UTF-8", "ALL")
    check(data == [b"2 4 3"], f"sort: UID SORT {data}")
    typ, data = m.sort("(SUBJECT)", "UTF-8", "ALL")
    check(data == [b"1 3 2"], f"sort: SORT after an expunge {data}")
    typ, data = m.sort("(SUBJECT)", "KOI8-R", "ALL")
    check(typ == "NO" and b"BADCHARSET" in data[0], f"sort: unknown charset refused {data}")
    m.logout()


THREADED = [
    "Message-ID: <a@x>\r\nSubject: topic\r\nDate: Mon, 2 Jan 2023 10:00:00 +0000",
    "Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nReferences: <a@x>\r\nSubject: Re: topic\r\n"
    "Date: Tue, 3 Jan 2023 10:00:00 +0000",
    "Message-ID: <c@x>\r\nReferences: <a@x> <b@x>\r\nSubject: Re: topic\r\n"
    "Date: Wed, 4 Jan 2023 10:00:00 +0000",
    "Message-ID: <d@x>\r\nSubject: other\r\nDate: Sun, 1 Jan 2023 10:00:00 +0000",
    "Message-ID: <e@x>\r\nReferences: <missing@x>\r\nSubject: Re: other\r\n"
    "Date: Thu, 5 Jan 2023 10:00:00 +0000",
    "Message-ID: <f@x>\r\nReferences: <a@x>\r\nSubject: Re: topic\r\n"
    "Date: Fri, 6 Jan 2023 10:00:00 +0000",
]


def thread_case():
    m = connect()
    caps = capabilities(m)
    check("THREAD=REFERENCES" in caps and "THREAD=ORDEREDSUBJECT" in caps,
          f"thread: offered {caps}")
    m.create("T")
    for head in THREADED:
        typ, _ = m.append("T", None, None, (head + "\r\n\r\nbody\r\n").encode())
    m.select("T")
    typ, data = m.thread("REFERENCES", "UTF-8", "ALL")
    check(data == [b"(4 5)(1 (2 3)(6))"], f"thread: REFERENCES {data}")
    typ, data = m.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
    check(data == [b"(4 5)(1 (2)(3)(6))"], f"thread: ORDEREDSUBJECT {data}")
    typ, data = m.thread("REFERENCES", "UTF-8", "NOT", "SUBJECT", "other")
    check(data == [b"(1 (2 3)(6))"], f"thread: with a search key {data}")
    typ, data = m.uid("THREAD", "REFERENCES", "UTF-8", "SUBJECT", "other")
    check(data == [b"(4 5)"], f"thread: UID THREAD {data}")
    m.logout()


def searchres_case():
    a = Raw()
    caps = b"".join(a.cmd("CAPABILITY"))
    check(b"SEARCHRES" in caps, f"searchres: offered {caps!r}")
    a.cmd("CREATE R")
    b = connect()
    for who in ("alice", "bob", "alice"):
        b.append("R", None, None, f"From: {who}@example.test\r\nSubject: r\r\n\r\nx\r\n".encode())
    a.cmd("SELECT R")
    lines = a.cmd("SEARCH RETURN (SAVE) FROM alice")
    check(not any(b"ESEARCH" in l for l in lines), f"searchres: SAVE alone answers nothing {lines}")
    lines = a.cmd("FETCH $ (UID)")
    got = sorted(int(re.match(rb"\* (\d+) FETCH", l).group(1)) for l in lines if b"FETCH" in l)
    check(got == [1, 3], f"searchres: FETCH $ {lines}")
    a.cmd("STORE $ +FLAGS.SILENT (\\Flagged)")
    lines = a.cmd("SEARCH FLAGGED")
    check(lines == [b"* SEARCH 1 3\r\n"], f"searchres: STORE $ {lines}")
    b.logout()


def unauthenticate_case():
    a = Raw()
    caps = b"".join(a.cmd("CAPABILITY"))
    check(b"UNAUTHENTICATE" in caps, f"unauthenticate: offered {caps!r}")
    a.cmd("SELECT INBOX")
    a.n += 1
    a.send(f"x{a.n} UNAUTHENTICATE")
    line = a.readline()
    check(line.startswith(f"x{a.n} OK".encode()) and b"AUTH=PLAIN" in line,
          f"unauthenticate: OK with the capabilities before login {line!r}")
    a.n += 1
    a.send(f"x{a.n} SELECT INBOX")
    line = a.readline()
    check(line.startswith(f"x{a.n} BAD".encode()) or line.startswith(f"x{a.n} NO".encode()),
          f"unauthenticate: no SELECT before a new login {line!r}")
    a.cmd("LOGIN bob secret-b")
    lines = a.cmd("SELECT INBOX")
    check(any(b"EXISTS" in l for l in lines), f"unauthenticate: bob's INBOX {lines}")
    a.cmd("LOGOUT")


CASES = {
    "recent": recent_case,
    "qresync": qresync_case,
    "uidvalidity": uidvalidity_case,
    "sort": sort_case,
    "thread": thread_case,
    "searchres": searchres_case,
    "unauthenticate": unauthenticate_case,
}

if __name__ == "__main__":
    for case in sys.argv[1:]:
        print(f"--- {case}", flush=True)
        CASES[case]()
    finish()
