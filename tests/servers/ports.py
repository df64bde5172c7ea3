"""Ports for the servers the tests start (redis-server, gunicorn, SMTP, PostgreSQL).

A port the kernel hands out for ``bind(("127.0.0.1", 0))`` comes from its ephemeral
range (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 on Debian), the same range
every outgoing connection takes its own port from. Between closing that probe and the
server's start (seconds, for a PostgreSQL that initdb prepares first), a connection of
another test process - the suite runs in several (pytest-xdist) - could take the port.
So the port is chosen below that range, at random within a block of its own for each
worker, and checked free.
"""

from __future__ import annotations

import os
import random
import socket

LOWEST, HIGHEST = 20000, 32000


def free_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    workers = max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")), index + 1)
    size = (HIGHEST - LOWEST) // workers
    first = LOWEST + index * size
    for port in random.sample(range(first, first + size), min(size, 200)):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between {first} and {first + size}")
