"""A throwaway SMTP server for the out-of-band tests.

usage: /usr/bin/python3 smtpd.py PORTFILE MAILDIR

Listens on 127.0.0.1, on a port the kernel picks, and writes that port to
PORTFILE once it accepts connections. Each message received is stored in
MAILDIR as mail-NNNN.eml, numbered on from those MAILDIR holds (the
envelope first, as X-Envelope-From and X-Envelope-To lines, then the
message as received), written under a temporary name and renamed, so a
reader sees whole messages or none.
Exits on SIGTERM or SIGINT.
"""
import asyncio
import os
import signal
import sys

from aiosmtpd.smtp import SMTP

# serve_common.py sits beside this file; the script's directory is not on
# sys.path under python3 -P or PYTHONSAFEPATH, so it is put there by path.
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import arguments, last_number, publish, publish_port  # noqa: E402


class Store:
    """aiosmtpd handler: one file per message, numbered in arrival order."""

    def __init__(self, maildir):
        self.maildir = maildir
        self.n = last_number(maildir, "mail-")  # a restarted server goes on

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        head = "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (
            envelope.mail_from, ", ".join(envelope.rcpt_tos))
        data = head.encode() + (envelope.original_content or envelope.content)
        publish(os.path.join(self.maildir, "mail-%04d.eml" % self.n), data)
        return "250 Message accepted for delivery"


async def main(portfile, maildir):
    loop = asyncio.get_running_loop()
    handler = Store(maildir)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtpd.test"), "127.0.0.1", 0)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    publish_port(portfile, server.sockets[0].getsockname()[1])
    await stop
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main(*arguments("usage: smtpd.py PORTFILE MAILDIR")))
