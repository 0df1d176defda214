#!/usr/bin/env python3
"""The client of benches/system/read.sh: fetches every message of one mailbox over implicit
TLS, the same way from every server, and prints what it read and its own CPU time.

    read-client.py pop3 127.0.0.1:995 USER PASSWORD   # RETR 1..N, one after the other
    PIPELINE=8 read-client.py pop3 ...                 # up to 8 RETR in flight (RFC 2449)
    read-client.py imap 127.0.0.1:993 USER PASSWORD   # one FETCH 1:* BODY.PEEK[]

It is kept cheap so that the server is what is measured: big reads into one buffer, the end
of a POP3 multi-line reply found by its last five octets (a body cannot hold CRLF.CRLF: its
dot lines are stuffed), IMAP literals skipped by their announced size, no copy of a body.
The certificate is not checked (both servers use throwaway ones on 127.0.0.1).
Output, one line: `MESSAGES OCTETS CLIENT_CPU_SECONDS`.
"""

import os
import re
import resource
import socket
import ssl
import sys

CHUNK = 1 << 18


class Conn:
    """A TLS connection with a read buffer; `line` and `skip` consume from it."""

    def __init__(self, host, port):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection((host, port))
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = ctx.wrap_socket(raw, server_hostname=host)
        self.buf = bytearray()
        self.pos = 0
        self.octets = 0

    def fill(self):
        if self.pos > CHUNK:
            del self.buf[: self.pos]
            self.pos = 0
        data = self.sock.recv(CHUNK)
        if not data:
            raise EOFError("server closed the connection")
        self.octets += len(data)
        self.buf += data

    def line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                out = bytes(self.buf[self.pos : end])
                self.pos = end + 2
                return out
            self.fill()

    def skip(self, n):
        """Consumes n octets without looking at them."""
        while len(self.buf) - self.pos < n:
            n -= len(self.buf) - self.pos
            self.pos = len(self.buf)
            self.fill()
        self.pos += n

    def until_dot(self):
        """Consumes a POP3 multi-line body up to and with its CRLF.CRLF; the CRLF that ended
        the +OK line counts as the first (an empty body is a lone dot line)."""
        buf = b"\r\n" + bytes(self.buf[self.pos :])
        while (end := buf.find(b"\r\n.\r\n")) < 0:
            # Keep the last four octets only: nothing else is looked at.
            data = self.sock.recv(CHUNK)
            if not data:
                raise EOFError("server closed the connection")
            self.octets += len(data)
            buf = buf[-4:] + data
        # With RETRs pipelined the next reply may follow in the same read.
        self.buf = bytearray(buf[end + 5 :])
        self.pos = 0

    def send(self, text):
        self.sock.sendall(text.encode())


def pop3(conn, user, password):
    def ok():
        line = conn.line()
        if not line.startswith(b"+OK"):
            raise RuntimeError(f"pop3: {line!r}")
        return line

    ok()
    conn.send(f"USER {user}\r\n")
    ok()
    conn.send(f"PASS {password}\r\n")
    ok()
    conn.send("STAT\r\n")
    count = int(ok().split()[1])
    window = max(1, int(os.environ.get("PIPELINE", "1")))
    sent = 0
    for n in range(1, count + 1):
        while sent < min(count, n - 1 + window):
            sent += 1
            conn.send(f"RETR {sent}\r\n")
        ok()
        conn.until_dot()
    conn.send("QUIT\r\n")
    ok()
    return count


LITERAL = re.compile(rb"\{(\d+)\}$")


def imap(conn, user, password):
    conn.line()  # greeting
    conn.send(f'a1 LOGIN "{user}" "{password}"\r\n')
    while not (line := conn.line()).startswith(b"a1 "):
        pass
    if not line.startswith(b"a1 OK"):
        raise RuntimeError(f"imap: {line!r}")
    conn.send("a2 SELECT INBOX\r\n")
    while not (line := conn.line()).startswith(b"a2 "):
        pass
    if not line.startswith(b"a2 OK"):
        raise RuntimeError(f"imap: {line!r}")
    conn.send("a3 FETCH 1:* BODY.PEEK[]\r\n")
    count = 0
    while True:
        line = conn.line()
        if line.startswith(b"a3 "):
            if not line.startswith(b"a3 OK"):
                raise RuntimeError(f"imap: {line!r}")
            break
        # A line may announce several literals; each is followed by more of the line.
        while m := LITERAL.search(line):
            conn.skip(int(m.group(1)))
            count += 1
            line = conn.line()
    conn.send("a4 LOGOUT\r\n")
    while not conn.line().startswith(b"a4 "):
        pass
    return count


def main():
    proto, addr, user, password = sys.argv[1:5]
    host, port = addr.rsplit(":", 1)
    conn = Conn(host, int(port))
    count = (pop3 if proto == "pop3" else imap)(conn, user, password)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(count, conn.octets, f"{usage.ru_utime + usage.ru_stime:.3f}")


if __name__ == "__main__":
    main()
