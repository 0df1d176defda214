"""End to end through the relay: alice@a.test submits to server A, which looks up MX records
(fake_dns.py) and delivers to server B (b.test) with the SMTP client; what B's POP3 gives
carol is byte-identical to what alice sent (after the trace fields). Failed recipients come
back to alice as one RFC 3464 bounce.

Environment: MS_* for server A (see common.py); MSB_POP3S and MSB_CA for server B.
"""
import os
import poplib
import smtplib
import ssl
import time

from common import HOST, SUBMISSION, check, finish, tls_context, POP3S

B_POP3S = int(os.environ["MSB_POP3S"])
B_CA = os.environ["MSB_CA"]

MESSAGE = (
    b"From: Alice <alice@a.test>\r\nTo: Carol <carol@b.test>\r\nSubject: across domains\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n\r\nHello Carol,\r\n.leading dot\r\n..two\r\n.\r\n"
    + "caf\u00e9\r\n".encode() + b"y" * 990 + b"\r\n\r\n-- \r\nAlice\r\n"
)


def strip_trace(lines):
    """Drops Return-Path and every Received field (with folded lines)."""
    check(lines[0].startswith(b"Return-Path: <"), "Return-Path on top")
    i = 1
    received = 0
    while lines[i].startswith(b"Received: "):
        received += 1
        i += 1
        while lines[i].startswith(b"\t"):
            i += 1
    return received, b"\r\n".join(lines[i:]) + b"\r\n"


def wait_for(port, ca, user, password, count, seconds=30):
    deadline = time.time() + seconds
    while True:
        p = poplib.POP3_SSL(HOST, port, context=ssl.create_default_context(cafile=ca))
        p.user(user)
        p.pass_(password)
        n = p.stat()[0]
        if n >= count or time.time() > deadline:
            return p, n
        p.quit()
        time.sleep(0.3)


s = smtplib.SMTP(HOST, SUBMISSION)
s.starttls(context=tls_context())
s.login("alice", "secret-a")
refused = s.sendmail("alice@a.test",
                     ["carol@b.test", "dave@b.test", "x@nx.test", "y@nullmx.test"], MESSAGE)
check(refused == {}, "A queues mail for four remote recipients")
s.quit()

p, n = wait_for(B_POP3S, B_CA, "carol", "secret-c", 1)
check(n == 1, f"B: carol received the relayed message ({n})")
if n:
    received, body = strip_trace(p.retr(1)[1])
    check(received == 2, f"two Received fields, A's and B's ({received})")
    check(body == MESSAGE, "B: body byte-identical to what alice submitted")
p.quit()

p, n = wait_for(POP3S, os.environ["MS_CA"], "alice", "secret-a", 1)
check(n == 1, f"A: alice got one bounce ({n})")
if n:
    lines = p.retr(1)[1]
    text = b"\r\n".join(lines)
    check(lines[0] == b"Return-Path: <>", "bounce has the null reverse-path")
    check(b"multipart/report; report-type=delivery-status" in text, "bounce is an RFC 3464 report")
    for rcpt, status in [(b"dave@b.test", b"5.1.1"), (b"x@nx.test", b"5.1.2"), (b"y@nullmx.test", b"5.1.10")]:
        block = text.split(b"Final-Recipient: rfc822; " + rcpt)
        check(len(block) == 2 and (b"Status: " + status) in block[1].split(b"\r\n\r\n")[0],
              f"bounce: {rcpt.decode()} failed with {status.decode()}")
    check(b"carol@b.test>:" not in text, "bounce does not list the delivered recipient")
    check(b"Subject: across domains" in text, "bounce carries the original header")
p.quit()
finish()
