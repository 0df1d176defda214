"""Python's smtplib and poplib against mailserver: every way in, and the message comes out
byte-identical (after the Return-Path and Received fields the server puts on top)."""
import base64
import poplib
import smtplib
import sys

from common import (CA, DOMAIN, HOST, POP3, POP3S, SMTP, SMTPS, SUBMISSION, USERS, Raw, check,
                    finish, tls_context)

ALICE = f"alice@{DOMAIN}"
BOB = f"bob@{DOMAIN}"


def message(tag, sender=BOB):
    """A message from `sender`: submission refuses a From: that is not the user's own."""
    return (
        f"From: {sender.split('@')[0].title()} <{sender}>\r\nTo: Alice <{ALICE}>\r\nSubject: {tag}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Hello Alice,\r\n.a line that starts with a dot\r\n..two dots\r\n.\r\n \r\n"
        "caf\u00e9 \u2713 eight-bit text\r\n" + "x" * 900 + "\r\n\r\n-- \r\nBob\r\n"
    ).encode()


def body_without_trace(lines):
    """Drops the Return-Path and Received fields (with their folded lines) added on delivery."""
    i = 0
    check(lines[0].startswith(b"Return-Path: <"), "first field is Return-Path")
    check(lines[1].startswith(b"Received: from "), "second field is Received")
    i = 1
    while True:
        i += 1
        if not lines[i].startswith(b"\t"):
            break
    return b"\r\n".join(lines[i:]) + b"\r\n"


def pop3_login(p, user="alice"):
    p.user(user)
    p.pass_(USERS[user])


def retrieve_all(user="alice"):
    """(uid -> message) over POP3S, without deleting."""
    p = poplib.POP3_SSL(HOST, POP3S, context=tls_context())
    pop3_login(p, user)
    out = {}
    for entry in p.uidl()[1]:
        num, uid = entry.split()
        out[uid] = body_without_trace(p.retr(int(num))[1])
    p.quit()
    return out


def smtp_plain_and_starttls():
    s = smtplib.SMTP(HOST, SMTP)
    code, _ = s.ehlo("client.example")
    check(code == 250 and s.has_extn("starttls"), "smtp: EHLO offers STARTTLS")
    check(not s.has_extn("auth"), "smtp: no AUTH before TLS")
    refused = s.sendmail("someone@elsewhere.example", [ALICE], message("plain"))
    check(refused == {}, "smtp: plaintext mail to a local user accepted")
    try:
        s.sendmail("someone@elsewhere.example", ["carol@elsewhere.example"], message("relay"))
        check(False, "smtp: relay for another domain refused")
    except smtplib.SMTPRecipientsRefused as e:
        code, text = e.recipients["carol@elsewhere.example"]
        check(code == 550 and text.startswith(b"5.7.1"), f"smtp: relay refused with 550 5.7.1 ({code} {text})")
    try:
        s.sendmail("someone@elsewhere.example", [f"nobody@{DOMAIN}"], message("unknown"))
        check(False, "smtp: unknown local user refused")
    except smtplib.SMTPRecipientsRefused as e:
        code, _ = e.recipients[f"nobody@{DOMAIN}"]
        check(code == 550, "smtp: unknown local user refused with 550")
    s.quit()

    s = smtplib.SMTP(HOST, SMTP)
    s.starttls(context=tls_context())
    s.ehlo("client.example")
    check(not s.has_extn("auth"), "smtp: no AUTH after STARTTLS either (relay-in port)")
    check(s.sendmail("x@elsewhere.example", [ALICE, f"postmaster@{DOMAIN}"], message("starttls")) == {},
          "smtp: mail over STARTTLS, with postmaster")
    code, _ = s.docmd("RCPT", "TO:<Postmaster>")
    check(code in (250, 503), "smtp: <Postmaster> recipient syntax accepted")
    s.quit()


def submission_auth():
    s = smtplib.SMTP(HOST, SUBMISSION)
    s.ehlo("client.example")
    check(not s.has_extn("auth"), "submission: AUTH not offered before STARTTLS")
    creds = base64.b64encode(b"\0alice\0" + USERS["alice"].encode()).decode()
    code, text = s.docmd("AUTH", "PLAIN " + creds)
    check(code in (530, 538), f"submission: AUTH before STARTTLS refused with 530 or 538 ({code} {text})")
    code, text = s.docmd("MAIL", f"FROM:<{ALICE}>")
    check(code == 530, f"submission: MAIL before STARTTLS refused with 530 ({code} {text})")
    s.starttls(context=tls_context())
    s.ehlo("client.example")
    code, text = s.docmd("MAIL", f"FROM:<{ALICE}>")
    check(code == 530 and text.startswith(b"5.7.0"), f"submission: MAIL before AUTH gets 530 5.7.0 ({code} {text})")
    try:
        s.login("alice", "wrong password")
        check(False, "submission: wrong password refused")
    except smtplib.SMTPAuthenticationError as e:
        check(e.smtp_code == 535, "submission: wrong password refused with 535")
    s.quit()

    for mech in ("PLAIN", "LOGIN", "CRAM-MD5"):
        s = smtplib.SMTP(HOST, SUBMISSION)
        s.starttls(context=tls_context())
        s.ehlo("client.example")
        check(mech in s.esmtp_features.get("auth", "").upper(), f"submission: AUTH {mech} offered")
        s.user, s.password = "bob", USERS["bob"]
        code, _ = s.auth(mech, getattr(s, "auth_" + mech.lower().replace("-", "_")))
        check(code == 235, f"submission: AUTH {mech} succeeds")
        check(s.sendmail(BOB, [ALICE], message(f"submission {mech}")) == {}, f"submission: send after AUTH {mech}")
        # Queued for delivery by MX (the test server's resolver is unreachable, so it stays
        # queued and no bounce comes back).
        check(s.sendmail(BOB, ["carol@elsewhere.example"], message("outbound")) == {},
              "submission: mail for another domain queued after AUTH")
        s.quit()


def smtps_implicit():
    s = smtplib.SMTP_SSL(HOST, SMTPS, context=tls_context())
    s.ehlo("client.example")
    check(not s.has_extn("starttls"), "smtps: no STARTTLS under implicit TLS")
    s.login("bob", USERS["bob"])
    check(s.sendmail(BOB, [ALICE], message("smtps")) == {}, "smtps: send after AUTH")
    s.quit()


def pop3_flow():
    # Fresh mailbox for bob: send three messages.
    sent = []
    s = smtplib.SMTP_SSL(HOST, SMTPS, context=tls_context())
    s.login("alice", USERS["alice"])
    for i in range(3):
        m = message(f"pop3 {i}", ALICE)
        sent.append(m)
        s.sendmail(ALICE, [BOB], m)
    s.quit()

    p = poplib.POP3(HOST, POP3)
    caps = p.capa()
    check("STLS" in caps, "pop3: STLS offered")
    check("USER" not in caps, "pop3: USER hidden before STLS")
    try:
        p.user("bob")
        check(False, "pop3: USER before STLS refused")
    except poplib.error_proto:
        check(True, "pop3: USER before STLS refused")
    p.stls(context=tls_context())
    check("USER" in p.capa(), "pop3: USER offered after STLS")
    try:
        p.user("bob")
        p.pass_("wrong")
        check(False, "pop3: wrong password refused")
    except poplib.error_proto as e:
        check(b"[AUTH]" in e.args[0], f"pop3: wrong password refused with [AUTH] ({e})")
    pop3_login(p, "bob")
    count, size = p.stat()
    check(count == 3, f"pop3: STAT counts 3 messages ({count})")
    listing = p.list()[1]
    check(len(listing) == 3 and sum(int(l.split()[1]) for l in listing) == size, "pop3: LIST sizes add up to STAT")
    for i, m in enumerate(sent):
        resp, lines, _ = p.retr(i + 1)
        check(body_without_trace(lines) == m, f"pop3: message {i + 1} byte-identical")
    top = p.top(1, 0)[1]
    check(top[-1] == b"" and any(l.startswith(b"Subject: pop3 0") for l in top), "pop3: TOP 1 0 gives the header")
    uids = [l.split()[1] for l in p.uidl()[1]]
    check(len(set(uids)) == 3, "pop3: UIDL gives three distinct ids")
    p.dele(1)
    p.dele(3)
    check(p.stat()[0] == 1, "pop3: STAT after DELE")
    p.rset()
    check(p.stat()[0] == 3, "pop3: RSET undeletes")
    p.dele(1)
    # Drop the connection without QUIT: nothing may be deleted.
    p.sock.close()

    p = poplib.POP3_SSL(HOST, POP3S, context=tls_context())
    pop3_login(p, "bob")
    check(p.stat()[0] == 3, "pop3s: nothing deleted without QUIT")
    try:
        q = poplib.POP3_SSL(HOST, POP3S, context=tls_context())
        pop3_login(q, "bob")
        check(False, "pop3s: second session refused while locked")
    except poplib.error_proto as e:
        check(b"[IN-USE]" in e.args[0], f"pop3s: second session gets [IN-USE] ({e})")
    p.dele(1)
    p.dele(3)
    p.quit()

    p = poplib.POP3_SSL(HOST, POP3S, context=tls_context())
    pop3_login(p, "bob")
    check(p.stat()[0] == 1, "pop3s: deleted at QUIT")
    resp, lines, _ = p.retr(1)
    check(body_without_trace(lines) == sent[1], "pop3s: the remaining message is the second")
    p.dele(1)
    p.quit()


CASES = {
    "smtp": smtp_plain_and_starttls,
    "submission": submission_auth,
    "smtps": smtps_implicit,
    "pop3": pop3_flow,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or CASES:
        CASES[name]()
    finish()
