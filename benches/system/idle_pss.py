#!/usr/bin/env python3
"""Idle logged-in POP3S or IMAPS connections: the mailserver's PSS per connection.

Starts a release mailserver on 127.0.0.1 (a throwaway data directory), opens N
connections (TLS, logged in, then idle: POP3 USER/PASS; IMAP LOGIN) from this process,
and reads the server's PSS (/proc/PID/smaps_rollup) before, at N/2 and at N. Prints kB
per connection (the slope between N/2 and N, and the average over all N).

    benches/system/idle_pss.py [N]              # POP3S, default 1000
    benches/system/idle_pss.py 10000 imaps      # IMAPS
    MAILSERVER=path benches/system/idle_pss.py 1000

One user per connection (POP3 locks the maildrop), so the first start creates N
mailboxes. For N in the thousands it raises the open-file limit (root may raise the hard
limit too; the server needs about two descriptors per connection). Loopback only, bounded:
N connections, a time limit for starting the server and for opening them that grows with N.
"""
import os
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("MAILSERVER", os.path.join(ROOT, "target", "release", "mailserver"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
PROTO = sys.argv[2] if len(sys.argv) > 2 else "pop3s"
if PROTO not in ("pop3s", "imaps"):
    raise SystemExit("protocol: pop3s or imaps")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pss_kb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def raise_open_files(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main():
    # This process holds N sockets, the server two descriptors per connection; the
    # server inherits the limit.
    raise_open_files(4 * N + 4096)
    work = tempfile.mkdtemp(prefix="mailsansio-pss-")
    users = os.path.join(work, "users")
    with open(users, "w") as f:
        f.write("".join(f"user{i}:bench-password\n" for i in range(N)))
    os.chmod(users, 0o600)
    ports = {name: free_port() for name in
             ["smtp", "submission", "smtps", "pop3", "pop3s", "imap", "imaps"]}
    args = [BINARY, "--data", os.path.join(work, "data"), "--users", users,
            "--domain", "bench.test", "--listen", "127.0.0.1", "--dns", "127.0.0.1:9",
            "--max-connections", str(N + 100), "--max-per-address", str(N + 100)]
    for name, port in ports.items():
        args += [f"--{name}-port", str(port)]
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen(args, stdout=log, stderr=log)
    conns = []
    try:
        started = time.time()
        deadline = started + 60 + N * 0.05  # N new mailboxes first
        while True:
            try:
                socket.create_connection(("127.0.0.1", ports[PROTO]), 1).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("mailserver did not start")
                time.sleep(0.05)
        print(f"server up after {time.time() - started:.1f} s ({N} users)", flush=True)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # loopback benchmark: the server's own test CA

        def login(i):
            raw = socket.create_connection(("127.0.0.1", ports[PROTO]), 30)
            s = ctx.wrap_socket(raw, server_hostname="localhost")
            f = s.makefile("rb")
            if PROTO == "pop3s":
                line = f.readline()
                assert line.startswith(b"+OK"), line
                s.sendall(f"USER user{i}\r\n".encode())
                line = f.readline()
                assert line.startswith(b"+OK"), line
                s.sendall(b"PASS bench-password\r\n")
                line = f.readline()
                assert line.startswith(b"+OK"), line
            else:
                line = f.readline()
                assert line.startswith(b"* OK"), line
                s.sendall(f"a LOGIN user{i} bench-password\r\n".encode())
                while True:
                    line = f.readline()
                    assert line, "connection closed"
                    if line.startswith(b"a "):
                        break
                assert line.startswith(b"a OK"), line
            return s, f

        time.sleep(0.5)
        base = pss_kb(server.pid)
        stop = time.time() + 120 + N * 0.05
        points = {}
        with ThreadPoolExecutor(16) as pool:
            for target in (N // 2, N):
                conns += list(pool.map(login, range(len(conns), target)))
                if time.time() > stop:
                    raise SystemExit("too slow")
                time.sleep(1.0)
                points[target] = pss_kb(server.pid)
        half, full = points[N // 2], points[N]
        print(f"idle {PROTO.upper()}, logged in: {N} connections")
        print(f"  PSS: {base} kB at start, {half} kB at {N // 2}, {full} kB at {N}")
        print(f"  per connection: {(full - half) / (N - N // 2):.1f} kB (slope), "
              f"{(full - base) / N:.1f} kB (average)")
    except BaseException:
        log.flush()
        with open(os.path.join(work, "server.log"), errors="replace") as f:
            lines = f.readlines()
            tail = [line for line in lines if "warning" in line][:3] + lines[-3:]
        print("server log, last lines:\n" + "".join(tail), file=sys.stderr)
        raise
    finally:
        for s, f in conns:
            try:
                s.close()
            except OSError:
                pass
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
