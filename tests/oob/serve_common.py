"""What the throwaway servers of the out-of-band tests share (smtpd.py,
smsd.py): their command line (PORTFILE DIR), the files they write whole
(a temporary name, then a rename) and the numbering they go on from.

They run as /usr/bin/python3 tests/oob/NAME.py from any directory and
import this module by the path of their own file (sys.path[0] is not the
script's directory under python3 -P), writing no bytecode beside it."""
import os
import sys


def publish(path, data):
    """Write data to path through a temporary name and a rename."""
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def publish_port(portfile, port):
    """Tell the harness (tests/oob/lib.sh) the port: it waits for this file."""
    publish(portfile, b"%d\n" % port)


def last_number(directory, prefix):
    """The highest NNNN of the files prefixNNNN.* in directory, 0 if none."""
    numbers = [int(f[len(prefix):len(prefix) + 4]) for f in os.listdir(directory)
               if f.startswith(prefix) and f[len(prefix):len(prefix) + 4].isdigit()]
    return max(numbers, default=0)


def arguments(usage):
    """PORTFILE and DIR from the command line; exits with usage otherwise."""
    if len(sys.argv) != 3:
        sys.exit(usage)
    return sys.argv[1], sys.argv[2]
