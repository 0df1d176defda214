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


CASES = {
    "recent": recent_case,
    "qresync": qresync_case,
    "uidvalidity": uidvalidity_case,
}

if __name__ == "__main__":
    for case in sys.argv[1:]:
        print(f"--- {case}", flush=True)
        CASES[case]()
    finish()
