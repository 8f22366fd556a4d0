"""Fetch stage: bytes from the network, bounded and checked."""

from .client import Fetcher, Response, describe_status
from .safety import check_scheme, is_public, resolve_checked

__all__ = ["Fetcher", "Response", "check_scheme", "describe_status", "is_public",
           "resolve_checked"]
