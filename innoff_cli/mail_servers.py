"""What sending (`delivery`) and reading (`mailboxes`) mail share about servers. Pure.

Mail and passwords go in the clear only to a server on this machine: a test
server, or a local relay that encrypts onwards.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether `host` (a name, an IPv4 or a bracketed IPv6 address) is this machine."""
    if host.casefold().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
