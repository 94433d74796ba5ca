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
    port = server.sockets[0].getsockname()[1]
    publish(portfile, b"%d\n" % port)
    await stop
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: smtpd.py PORTFILE MAILDIR")
    asyncio.run(main(sys.argv[1], sys.argv[2]))
