#!/usr/bin/env python3
"""The submission client of benches/system/relay.sh, the same for every server: SESSIONS
connections at once (threads), each sending its share of COUNT messages of SIZE octets to
RCPT, several messages per connection; STARTTLS when the server offers it, then AUTH PLAIN
when it offers that (mailserver relays for authenticated users; Postfix for its loopback
network without AUTH).

    relay-client.py HOST:PORT COUNT SIZE SESSIONS FROM RCPT [USER PASSWORD]

Prints one line: `SENT CLIENT_CPU_SECONDS`. Postfix's smtp-source does not authenticate,
which is why this exists.
"""

import resource
import smtplib
import ssl
import sys
import threading


def message(sender, rcpt, size, n):
    head = (
        f"From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: relay bench {n}\r\n"
        f"Message-ID: <{n}.relay@bench.test>\r\n\r\n"
    )
    line = b"abcdefghijklmnopqrstuvwxyz0123456789 " * 2 + b"\r\n"
    body = head.encode()
    body += line * max(0, (size - len(body)) // len(line))
    return body


def session(host, port, share, size, sender, rcpt, auth, first, sent, errors):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with smtplib.SMTP(host, port, local_hostname="client.test") as s:
            s.ehlo()
            if s.has_extn("starttls"):
                s.starttls(context=ctx)
                s.ehlo()
            if auth and s.has_extn("auth"):
                s.login(*auth)
            for n in range(first, first + share):
                s.sendmail(sender, [rcpt], message(sender, rcpt, size, n))
                sent[first] = sent.get(first, 0) + 1
    except Exception as e:  # noqa: BLE001 - reported, the script fails on the count
        errors.append(repr(e))


def main():
    addr, count, size, sessions, sender, rcpt = sys.argv[1:7]
    auth = tuple(sys.argv[7:9]) or None
    host, port = addr.rsplit(":", 1)
    count, size, sessions = int(count), int(size), int(sessions)
    sent, errors, threads = {}, [], []
    first = 0
    for i in range(sessions):
        share = count // sessions + (1 if i < count % sessions else 0)
        t = threading.Thread(
            target=session,
            args=(host, int(port), share, size, sender, rcpt, auth, first, sent, errors),
        )
        t.start()
        threads.append(t)
        first += share
    for t in threads:
        t.join()
    for e in errors[:3]:
        print(f"relay-client: {e}", file=sys.stderr)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(sum(sent.values()), f"{usage.ru_utime + usage.ru_stime:.3f}")


if __name__ == "__main__":
    main()
