"""Alert channels: render an `AlertMessage` and deliver it to Slack or by email.

The dispatcher only needs `send`, `AlertMessage` and `describe`; the builders are exported
for previews (`monitor test-alert --dry-run`) and tests.
"""

from .channels import describe, send
from .email import build_email, send_email
from .message import AlertMessage
from .slack import build_payload, send_slack

__all__ = [
    "AlertMessage",
    "build_email",
    "build_payload",
    "describe",
    "send",
    "send_email",
    "send_slack",
]
