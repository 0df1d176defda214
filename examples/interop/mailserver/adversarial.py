"""The server-side adversarial cases of the security checklist (section 8: 1, 2, 4, 12-22,
53), sent over real TCP to mailserver with raw sockets. Each asserts the RFC's reply."""
import base64
import poplib
import sys

from common import DOMAIN, POP3, POP3S, SMTP, SMTPS, SUBMISSION, USERS, Raw, check, finish, tls_context

ALICE = f"alice@{DOMAIN}"


def smtp(port=SMTP, implicit=False, ehlo=True):
    c = Raw(port, implicit=implicit)
    code, _ = c.reply()
    assert code == 220, code
    if ehlo:
        c.send(b"EHLO client.example\r\n")
        code, _ = c.reply()
        assert code == 250, code
    return c


def smtp_auth(c, user="alice"):
    creds = base64.b64encode(b"\0" + user.encode() + b"\0" + USERS[user].encode())
    c.send(b"AUTH PLAIN " + creds + b"\r\n")
    code, _ = c.reply()
    assert code == 235, code


def inbox_count(user="alice"):
    p = poplib.POP3_SSL("127.0.0.1", POP3S, context=tls_context())
    p.user(user)
    p.pass_(USERS[user])
    n = p.stat()[0]
    p.quit()
    return n


def clear_inbox(user="alice"):
    p = poplib.POP3_SSL("127.0.0.1", POP3S, context=tls_context())
    p.user(user)
    p.pass_(USERS[user])
    for i in range(p.stat()[0]):
        p.dele(i + 1)
    p.quit()


def codes(data):
    """Reply codes of the final lines in `data`."""
    out = []
    for line in data.split(b"\r\n"):
        if len(line) >= 4 and line[:3].isdigit() and line[3:4] in (b" ", b""):
            out.append(int(line[:3]))
    return out


# 1, 2: STARTTLS command injection.
def starttls_injection():
    for name, injected in [
        ("1 STARTTLS+RSET", b"RSET\r\n"),
        ("2 STARTTLS+MAIL/RCPT/DATA", b"MAIL FROM:<a@evil.example>\r\nRCPT TO:<" + ALICE.encode() + b">\r\nDATA\r\n"),
    ]:
        for port in (SMTP, SUBMISSION):
            c = smtp(port)
            c.send(b"STARTTLS\r\n" + injected)
            data = c.drain(1.5)
            got = codes(data)
            check(got[:1] == [220] and 250 not in got and 354 not in got,
                  f"{name} on port {port}: 220 then nothing answered in plaintext ({data!r})")
            # Whatever happens next, no pre-TLS command may be answered after a handshake.
            try:
                c.starttls()
                c.send(b"NOOP\r\n")
                after = c.drain(1.5)
                check(250 not in codes(after) or codes(after) == [250],
                      f"{name}: nothing injected answered after TLS ({after!r})")
            except Exception as e:  # the server closed: fail-closed is the preferred policy
                check(True, f"{name}: server closed instead of starting TLS ({type(e).__name__})")
            c.close()


# 4: STLS injection.
def stls_injection():
    c = Raw(POP3)
    check(c.line().startswith(b"+OK"), "4 pop3 greeting")
    c.send(b"STLS\r\nUSER victim\r\n")
    data = c.drain(1.5)
    lines = [l for l in data.split(b"\r\n") if l]
    check(len(lines) == 1 and lines[0].startswith(b"+OK"), f"4 STLS+USER: only the +OK of STLS ({data!r})")
    c.close()


SMUGGLED = (b"MAIL FROM:<spoof@" + DOMAIN.encode() + b">\r\nRCPT TO:<" + ALICE.encode() +
            b">\r\nDATA\r\nFrom: spoof\r\n\r\nspoofed\r\n")

VARIANTS = [b"\n.\n", b"\n.\r\n", b"\r\n.\n", b"\r.\r", b"\r.\n", b"\n.\r", b"\r.\r\n", b"\r\n.\r",
            b"\r\n\x00.\r\n", b"\r\n.\x00\r\n", b"\r\n. \r\n"]


# 12: SMTP smuggling end-of-data variants.
def smuggling():
    clear_inbox()
    accepted = 0
    for v in VARIANTS:
        c = smtp()
        c.send(b"MAIL FROM:<sender@elsewhere.example>\r\nRCPT TO:<" + ALICE.encode() + b">\r\nDATA\r\n")
        got = [c.reply()[0] for _ in range(3)]
        assert got == [250, 250, 354], got
        c.send(b"Subject: smuggle\r\n\r\nbody" + v + SMUGGLED + b".\r\n")
        code, text = c.reply()
        c.send(b"QUIT\r\n")
        rest = codes(c.drain(1.5))
        bare = b"\r" in v.replace(b"\r\n", b"") or b"\n" in v.replace(b"\r\n", b"")
        if bare:
            check(code == 550 and text[0].startswith(b"5.6.0"), f"12 {v!r}: bare CR/LF refused with 550 5.6.0 ({code} {text})")
        else:
            check(code == 250, f"12 {v!r}: one message accepted ({code})")
            accepted += 1
        check(rest == [221], f"12 {v!r}: nothing smuggled answered, then 221 ({rest})")
        c.close()
    n = inbox_count()
    check(n == accepted, f"12: exactly one message per accepted transaction ({n} == {accepted})")


# 13: empty message, dot-unstuffing.
def empty_and_unstuff():
    clear_inbox()
    c = smtp()
    c.send(b"MAIL FROM:<>\r\n")
    check(c.reply()[0] == 250, "13 null reverse-path accepted")
    c.send(b"RCPT TO:<" + ALICE.encode() + b">\r\n")
    c.reply()
    c.send(b"DATA\r\n")
    c.reply()
    c.send(b".\r\n")
    check(c.reply()[0] == 250, "13 DATA then .CRLF: empty message accepted")
    c.send(b"MAIL FROM:<a@elsewhere.example>\r\nRCPT TO:<" + ALICE.encode() + b">\r\nDATA\r\n")
    [c.reply() for _ in range(3)]
    c.send(b"Subject: dots\r\n\r\n..x\r\n...\r\n.\r\n")
    check(c.reply()[0] == 250, "13 stuffed message accepted")
    c.send(b"QUIT\r\n")
    c.close()
    p = poplib.POP3_SSL("127.0.0.1", POP3S, context=tls_context())
    p.user("alice")
    p.pass_(USERS["alice"])
    first = p.retr(1)[1]
    check(first[0].startswith(b"Return-Path: <>"), "13 empty message stored with Return-Path <>")
    raw = p.retr(2)[1]
    check(raw[-2:] == [b".x", b".."], f"13 ..x unstuffs to .x ({raw[-2:]})")
    p.quit()


# 14: body sent before the 354.
def pipelined_body():
    clear_inbox()
    c = smtp()
    c.send(b"MAIL FROM:<a@elsewhere.example>\r\nRCPT TO:<" + ALICE.encode() +
           b">\r\nDATA\r\nSubject: early\r\n\r\nbody\r\n.\r\n")
    data = c.drain(2)
    got = codes(data)
    check(554 in got and got.count(250) <= 2, f"14 body before 354: synchronization error ({data!r})")
    c.close()
    check(inbox_count() == 0, "14 nothing delivered")


# 15: very long command line.
def long_line():
    c = smtp()
    c.send(b"EHLO " + b"a" * 100_000 + b"\r\n")
    code, text = c.reply()
    check(code == 500, f"15 100,000-octet EHLO: 500 ({code} {text})")
    c.send(b"NOOP\r\n")
    check(c.reply()[0] == 250, "15 framing intact: NOOP answered")
    c.close()


# 16: too many recipients.
def too_many_recipients():
    c = smtp()
    c.send(b"MAIL FROM:<a@elsewhere.example>\r\n")
    c.reply()
    c.send(b"".join(b"RCPT TO:<alice@" + DOMAIN.encode() + b">\r\n" for _ in range(1001)))
    got = [c.reply()[0] for _ in range(1001)]
    check(got[:1000] == [250] * 1000, "16 1000 recipients accepted")
    check(got[1000] == 452, f"16 the 1001st gets 452 ({got[1000]})")
    c.send(b"RSET\r\n")
    check(c.reply()[0] == 250, "16 RSET after the limit")
    c.close()


# 17, 18: parameters and paths.
def bad_parameters_and_paths():
    c = smtp()
    c.send(b"MAIL FROM:<a@elsewhere.example>\r\n")
    c.reply()
    for cmd in [b"RCPT TO:<" + ALICE.encode() + b"> ORCPT=rfc822;x+0D+0AX:y"]:
        c.send(cmd + b"\r\n")
        code, text = c.reply()
        check(code in (501, 555), f"17 {cmd!r}: parameter error ({code} {text})")
    c.send(b"RSET\r\n")
    c.reply()
    c.send(b"MAIL FROM:<a@elsewhere.example> SIZE=99999999999999999999\r\n")
    code, text = c.reply()
    check(code in (501, 552, 555), f"17 SIZE=huge: parameter error ({code} {text})")
    c.close()
    for path in [b"<;sleep 66;>", b"<a@b c>", b"<" + b"l" * 65 + b"@elsewhere.example>",
                 b"<a@a." + b".".join([b"d" * 63] * 3 + [b"d" * 62]) + b">"]:
        c = smtp()
        c.send(b"MAIL FROM:" + path + b"\r\n")
        code, text = c.reply()
        check(code in (501, 553), f"18 MAIL FROM:{path[:40]!r}: syntax error ({code} {text})")
        c.close()


# 19: AUTH PLAIN abuse, over implicit TLS.
def auth_abuse():
    for name, arg in [("4n+1", b"QUJDRE"), ("4n+3", b"QUJDREVGR"), ("bad padding", b"QQ=A"),
                      ("3 NULs", base64.b64encode(b"\0\0\0")), ("not base64", b"!!!!")]:
        c = smtp(SMTPS, implicit=True)
        c.send(b"AUTH PLAIN " + arg + b"\r\n")
        code, text = c.reply()
        check(code in (501, 535), f"19 AUTH PLAIN {name}: refused ({code} {text})")
        c.send(b"NOOP\r\n")
        check(c.reply()[0] == 250, f"19 {name}: session goes on")
        c.close()
    c = smtp(SMTPS, implicit=True)
    c.send(b"AUTH PLAIN " + b"A" * 20_000 + b"\r\n")
    code, text = c.reply()
    check(code in (500, 501), f"19 AUTH PLAIN of 20,000 octets: refused ({code} {text})")
    c.close()


# 20: BDAT sizes.
def bdat():
    c = smtp()
    c.send(b"MAIL FROM:<a@elsewhere.example>\r\nRCPT TO:<" + ALICE.encode() + b">\r\n")
    c.reply()
    c.reply()
    c.send(b"BDAT 18446744073709551616 LAST\r\n")
    code, text = c.reply()
    check(500 <= code < 600, f"20 BDAT 2^64: refused ({code} {text})")
    c.close()
    c = smtp()
    c.send(b"MAIL FROM:<a@elsewhere.example>\r\nRCPT TO:<" + ALICE.encode() + b">\r\n")
    c.reply()
    c.reply()
    c.send(b"BDAT 10\r\nhello")
    c.sock.shutdown(1)
    data = c.drain(2)
    check(250 not in codes(data), f"20 BDAT 10 with 5 octets then EOF: not accepted ({data!r})")
    c.close()
    c = smtp()
    c.send(b"NOOP\r\n")
    check(c.reply()[0] == 250, "20 server still serving")
    c.close()


# 21: message over the size limit.
def oversized():
    c = smtp()
    c.send(b"EHLO client.example\r\n")
    _, lines = c.reply()
    size = next(int(l.split()[1]) for l in lines if l.upper().startswith(b"SIZE "))
    c.send(b"MAIL FROM:<a@elsewhere.example>\r\nRCPT TO:<" + ALICE.encode() + b">\r\nDATA\r\n")
    [c.reply() for _ in range(3)]
    line = b"x" * 998 + b"\r\n"
    chunk = line * 1024
    sent = 0
    while sent <= size:
        c.send(chunk)
        sent += len(chunk)
    c.send(b"\r\n.\r\nMAIL FROM:<a@elsewhere.example>\r\n")
    code, text = c.reply()
    check(code == 552, f"21 message over SIZE {size}: 552 ({code} {text})")
    code, _ = c.reply()
    check(code == 250, "21 no desync: the next command is answered")
    c.close()


# 22: bad and unknown commands.
def bad_commands():
    c = smtp()
    got = []
    for i in range(11):
        c.send(b"MAIL FROM:<not a path\r\n")
        got.append(c.reply()[0])
    check(got[-1] == 421 and all(500 <= g < 600 for g in got[:10]), f"22 11 bad commands: 421 ({got})")
    check(c.closed(), "22 connection closed after 421")
    c = smtp()
    got = []
    for i in range(4):
        c.send(b"XYZZY\r\n")
        got.append(c.reply()[0])
    check(got[-1] == 421 and got[:3] == [500] * 3, f"22 4 unknown commands before AUTH: 421 ({got})")
    check(c.closed(), "22 connection closed")


# 53: POP3 command length and bad commands before login.
def pop3_limits():
    c = Raw(POP3)
    c.line()
    c.send(b"NOOP " + b"x" * 250 + b"\r\n")
    check(c.line().startswith(b"-ERR"), "53 256-octet command: -ERR")
    # The line was skipped and counted as a bad command; the session goes on, framing intact.
    c.send(b"CAPA\r\n")
    after = c.line()
    check(after.startswith(b"+OK"), f"53 framing intact: CAPA answered ({after!r})")
    c.close()
    c = Raw(POP3)
    c.line()
    answers = []
    for i in range(4):
        c.send(b"BOGUS\r\n")
        try:
            answers.append(c.line())
        except EOFError:
            break
    check(all(a.startswith(b"-ERR") for a in answers), f"53 bad commands get -ERR ({answers})")
    check(c.closed(), "53 4 bad commands before login: closed")


CASES = {
    "starttls": starttls_injection,
    "stls": stls_injection,
    "smuggling": smuggling,
    "unstuff": empty_and_unstuff,
    "pipelining": pipelined_body,
    "longline": long_line,
    "rcpts": too_many_recipients,
    "params": bad_parameters_and_paths,
    "auth": auth_abuse,
    "bdat": bdat,
    "size": oversized,
    "badcommands": bad_commands,
    "pop3": pop3_limits,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or CASES:
        try:
            CASES[name]()
        except Exception as e:
            check(False, f"{name}: {type(e).__name__}: {e}")
    finish()
