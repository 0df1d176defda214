"""The IMAP server cases of the security checklist (security-anchors.md §8: 3, 30, 32-40)
against mailserver over real TCP, with raw sockets.

Usage: imap_adversarial.py   (ports and CA from the environment, see common.py and
imap_clients.py). Each case opens its own connection, so the bad-command budgets of one do
not end another.
"""
import os
import socket
import ssl

from common import HOST, check, finish, tls_context

IMAP = int(os.environ.get("MS_IMAP", "2143"))
IMAPS = int(os.environ.get("MS_IMAPS", "2993"))


class Conn:
    def __init__(self, tls=True, login=False):
        sock = socket.create_connection((HOST, IMAPS if tls else IMAP), timeout=10)
        if tls:
            sock = tls_context().wrap_socket(sock, server_hostname="localhost")
        self.sock = sock
        self.buf = b""
        self.greeting = self.line()
        if login:
            self.send(b"L LOGIN alice secret-a\r\n")
            self.until(b"L ")

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def until(self, prefix):
        """Lines up to and including the one starting with `prefix`."""
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line.startswith(prefix):
                return lines

    def closed(self):
        try:
            while True:
                self.line()
        except (EOFError, OSError, ssl.SSLError):
            return True

    def alive(self):
        self.send(b"Z NOOP\r\n")
        return self.until(b"Z ")[-1].startswith(b"Z OK")


def tagged(c, tag):
    return c.until(tag + b" ")[-1]


def case_starttls_injection():
    # 3: only `a OK`; b and c are never executed.
    c = Conn(tls=False)
    c.send(b"a STARTTLS\r\nb LOGIN eve pw\r\nc APPEND INBOX {200}\r\n")
    first = c.line()
    check(first.startswith(b"a OK"), f"3: STARTTLS answered {first!r}")
    rest = b""
    try:
        while True:
            chunk = c.sock.recv(4096)
            if not chunk:
                break
            rest += chunk
    except OSError:
        pass
    check(b"b " not in rest and b"c " not in rest and b"+" not in rest,
          f"3: nothing after the STARTTLS line was executed {rest!r}")


def case_literal_announcements():
    # 30: BAD or NO [TOOBIG], never a `+`.
    for announce in (b"{18446744073709551616}", b"{-1}", b"{1a}", b"{10}x"):
        c = Conn(login=True)
        c.send(b"a APPEND INBOX " + announce + b"\r\n")
        line = c.line()
        check(not line.startswith(b"+") and (b"BAD" in line or b"NO" in line),
              f"30: APPEND {announce!r} -> {line!r}")


def case_nesting():
    # 32, 33: depth errors; the session goes on.
    for body in (b"(" * 1000, b"NOT " * 100_000, b"((", b"(()))", b"((()))" * 3):
        c = Conn(login=True)
        c.send(b"a SEARCH " + body + b"\r\n")
        line = tagged(c, b"a")
        check(b"a BAD" in line, f"32/33: SEARCH {body[:12]!r}... -> {line[:60]!r}")
        check(c.alive(), "32/33: the session still answers")


def case_strings():
    # 34-37, before login (over TLS, where LOGIN is allowed).
    for line_in in (b'a LOGIN "user\r\n', b'a LOGIN "us\x00er" pw\r\n', b"a NOOP\rb NOOP\r\n"):
        c = Conn()
        c.send(line_in)
        line = c.line()
        check(line.startswith(b"a BAD") or line.startswith(b"* BAD"), f"34-37: {line_in!r} -> {line!r}")
    # 37: the framer grants a literal8 before the grammar runs (the unit must be complete);
    # the command is then refused, never run.
    c = Conn()
    c.send(b"a LOGIN ~{5}\r\n")
    line = c.line()
    if line.startswith(b"+"):
        c.send(b"alice secret-a\r\n")
        line = c.line()
    check(line.startswith(b"a BAD"), f"37: literal8 in LOGIN -> {line!r}")
    c = Conn(login=True)
    c.send(b"a SELECT INB\xffOX\r\n")
    line = tagged(c, b"a")
    check(not line.startswith(b"a OK"), f"36: 8-bit atom -> {line!r}")


def case_sequence_sets():
    # 38: errors, and `1:*` is never materialised.
    c = Conn(login=True)
    c.send(b"s SELECT INBOX\r\n")
    tagged(c, b"s")
    for cmd in (b"a FETCH 1:5, FLAGS", b"a FETCH 0 FLAGS", b"a FETCH 1:4294967296 FLAGS"):
        c.send(cmd + b"\r\n")
        line = tagged(c, b"a")
        check(line.startswith(b"a BAD"), f"38: {cmd!r} -> {line!r}")
    c.send(b"b UID FETCH 1:4294967295 FLAGS\r\n")
    check(tagged(c, b"b").startswith(b"b OK"), "38: a huge UID range costs what the folder holds")


def case_mailbox_names():
    # 39: rejected or kept as names; never a path.
    for name in (b"&", b"&Jjo", b"&U,BTFw-&ZeVnLIqe-", b"&AGE-", b"&AAA-", b"&2AA-", b"a/../b",
                 b"../../etc", b"a..b"):
        c = Conn(login=True)
        c.send(b'a CREATE "' + name + b'"\r\n')
        line = tagged(c, b"a")
        check(not line.startswith(b"a OK"), f"39: CREATE {name!r} -> {line!r}")


def case_bad_commands():
    # 40: the fourth bad command before login ends the session.
    c = Conn()
    for i in range(4):
        c.send(b"x%d FOO\r\n" % i)
    lines = []
    try:
        while True:
            lines.append(c.line())
    except (EOFError, OSError, ssl.SSLError):
        pass
    check(any(line.startswith(b"* BYE") for line in lines), f"40: BYE after 4 bad commands {lines}")


if __name__ == "__main__":
    for case in (case_starttls_injection, case_literal_announcements, case_nesting, case_strings,
                 case_sequence_sets, case_mailbox_names, case_bad_commands):
        print(f"--- {case.__name__}", flush=True)
        case()
    finish()
