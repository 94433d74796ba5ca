"""A throwaway SMS gateway (HTTP) for the out-of-band tests.

usage: /usr/bin/python3 smsd.py PORTFILE DIR

Listens on 127.0.0.1, on a port the kernel picks, and writes that port to
PORTFILE once it accepts connections. Each POST's body (form data, as curl
--data-urlencode sends it) is stored in DIR as sms-NNNN.txt, numbered on
from those DIR holds, written under a temporary name and renamed, so a
reader sees whole requests or none. It answers 200, or 500 (storing
nothing) while a file DIR/fail exists, so a test can make the gateway
fail. Exits on SIGTERM or SIGINT.
"""
import http.server
import os
import signal
import sys
import threading


def publish(path, data):
    """Write data to path through a temporary name and a rename."""
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def last_number(directory, prefix):
    """The highest NNNN of the files prefixNNNN.* in directory, 0 if none."""
    numbers = [int(f[len(prefix):len(prefix) + 4]) for f in os.listdir(directory)
               if f.startswith(prefix) and f[len(prefix):len(prefix) + 4].isdigit()]
    return max(numbers, default=0)


class Gateway(http.server.BaseHTTPRequestHandler):
    lock = threading.Lock()
    n = 0

    def answer(self, code, text):
        body = (text + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 65536))
        if os.path.exists(os.path.join(self.server.dir, "fail")):
            self.answer(500, "gateway failure (test)")
            return
        with Gateway.lock:
            Gateway.n += 1
            publish(os.path.join(self.server.dir, "sms-%04d.txt" % Gateway.n), body)
        self.answer(200, "queued")

    def log_message(self, fmt, *args):
        sys.stderr.write("smsd: " + (fmt % args) + "\n")


def stop(signum, frame):
    raise SystemExit(0)


def main(portfile, directory):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    server.dir = directory
    Gateway.n = last_number(directory, "sms-")  # a restarted server goes on
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    publish(portfile, b"%d\n" % server.server_address[1])
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: smsd.py PORTFILE DIR")
    main(sys.argv[1], sys.argv[2])
