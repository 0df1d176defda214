"""Shared settings for the mailserver interop scripts.

The ports, the CA file (the server's self-signed certificate) and the domain come from the
environment, as set by examples/tests/mailserver_python.rs; the defaults are mailserver's.
The users file must hold alice:secret-a and bob:secret-b.
"""
import os
import socket
import ssl

HOST = os.environ.get("MS_HOST", "127.0.0.1")
SMTP = int(os.environ.get("MS_SMTP", "2525"))
SUBMISSION = int(os.environ.get("MS_SUBMISSION", "2587"))
SMTPS = int(os.environ.get("MS_SMTPS", "2465"))
POP3 = int(os.environ.get("MS_POP3", "2110"))
POP3S = int(os.environ.get("MS_POP3S", "2995"))
CA = os.environ.get("MS_CA", "mail-data/tls/cert.pem")
DOMAIN = os.environ.get("MS_DOMAIN", "example.test")
USERS = {"alice": "secret-a", "bob": "secret-b"}


def tls_context():
    """Verifies the server against its own self-signed certificate (SAN localhost)."""
    return ssl.create_default_context(cafile=CA)


FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def finish():
    if FAILURES:
        print(f"{len(FAILURES)} failed:")
        for f in FAILURES:
            print("  " + f)
        raise SystemExit(1)
    print("all passed")


class Raw:
    """A raw line-oriented connection, optionally upgraded to TLS."""

    def __init__(self, port, implicit=False, timeout=10):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        if implicit:
            self.sock = tls_context().wrap_socket(self.sock, server_hostname="localhost")
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        """One SMTP reply: (code, [text lines])."""
        lines = []
        while True:
            line = self.line()
            lines.append(line[4:])
            if line[3:4] != b"-":
                return int(line[:3]), lines

    def starttls(self):
        if self.buf:
            raise AssertionError("bytes before TLS: %r" % self.buf)
        self.sock = tls_context().wrap_socket(self.sock, server_hostname="localhost")

    def drain(self, seconds=1.5):
        """Everything that arrives within `seconds` (or until the peer closes)."""
        self.sock.settimeout(seconds)
        data, self.buf = self.buf, b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, TimeoutError):
            pass
        except (ConnectionResetError, ssl.SSLError):
            pass
        return data

    def closed(self, seconds=3):
        """Whether the peer closes the connection within `seconds` (after any pending bytes)."""
        self.sock.settimeout(seconds)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionResetError, ssl.SSLError, OSError):
            return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
