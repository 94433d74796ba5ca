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

# serve_common.py sits beside this file; the script's directory is not on
# sys.path under python3 -P or PYTHONSAFEPATH, so it is put there by path.
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import arguments, last_number, publish, publish_port  # noqa: E402


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
    publish_port(portfile, server.server_address[1])
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main(*arguments("usage: smsd.py PORTFILE DIR"))
