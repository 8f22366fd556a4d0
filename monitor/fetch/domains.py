"""Which hosts an article link may lead to: by default the source's own registered domain."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# Second-level labels under which registrations sit one level deeper (news.bbc.co.uk ->
# bbc.co.uk). A public-suffix list would be exact; this covers the outlets in scope
# without a dependency that downloads its list at run time.
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "edu", "ac", "gv", "or", "ne"})


def registered_domain(host: str) -> str:
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host  # an address is its own "domain"
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def allowed_domains(source_url: str, follow: tuple[str, ...]) -> tuple[str, ...]:
    host = urlsplit(source_url).hostname or ""
    return follow or (registered_domain(host),)


def is_followable(url: str, domains: tuple[str, ...]) -> bool:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)
