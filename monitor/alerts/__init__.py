"""Alert channels: render a message and deliver it to Slack, by email or to a JSON webhook.

The dispatcher only needs `send`, `AlertMessage` and `describe`; the builders are exported
for previews (`monitor test-alert --dry-run`) and tests.
"""

from .channels import describe, send
from .email import build_email, send_email
from .message import AlertMessage, DigestMessage, Report, StoryEntry
from .slack import build_payload, send_slack
from .webhook import build_webhook_payload, send_webhook

__all__ = [
    "AlertMessage",
    "DigestMessage",
    "Report",
    "StoryEntry",
    "build_email",
    "build_payload",
    "build_webhook_payload",
    "describe",
    "send",
    "send_email",
    "send_slack",
    "send_webhook",
]
