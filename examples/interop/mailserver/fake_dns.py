"""A tiny authoritative DNS server on UDP for the relay tests (stdlib only).

usage: python3 fake_dns.py PORT   (0 picks a free port; the first output line is "port N")

Zone: b.test MX 10 mx.b.test; mx.b.test A 127.0.0.1 (no AAAA); nullmx.test MX 0 . (RFC 7505);
every other name is NXDOMAIN. Queries over TCP are not served (answers are small).
"""
import socket
import struct
import sys

MX, A, AAAA = 15, 1, 28
ZONE = {
    ("b.test", MX): [(MX, struct.pack("!H", 10), "mx.b.test")],
    ("mx.b.test", A): [(A, socket.inet_aton("127.0.0.1"), None)],
    ("nullmx.test", MX): [(MX, struct.pack("!H", 0), "")],
}
NAMES = {name for name, _ in ZONE}


def encode_name(name):
    out = b""
    for label in name.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_question(msg):
    i, labels = 12, []
    while msg[i]:
        n = msg[i]
        labels.append(msg[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    qtype, qclass = struct.unpack("!HH", msg[i + 1:i + 5])
    return ".".join(labels).lower(), qtype, msg[12:i + 5]


def answer(msg):
    (qid,) = struct.unpack("!H", msg[:2])
    rd = msg[2] & 0x01
    name, qtype, question = parse_question(msg)
    records = ZONE.get((name, qtype), [])
    rcode = 0 if name in NAMES else 3
    flags = 0x8400 | (rd << 8) | 0x0080 | rcode
    body = b""
    for rtype, fixed, target in records:
        rdata = fixed + (encode_name(target) if target is not None else b"")
        body += b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, 300, len(rdata)) + rdata
    return struct.pack("!HHHHHH", qid, flags, 1, len(records), 0, 0) + question + body


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    print(f"port {sock.getsockname()[1]}", flush=True)
    while True:
        msg, peer = sock.recvfrom(4096)
        try:
            sock.sendto(answer(msg), peer)
        except Exception as e:  # a malformed query: ignore it
            print(f"bad query from {peer}: {e}", flush=True)


if __name__ == "__main__":
    main()
