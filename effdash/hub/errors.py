"""Errors of the Hub integration, each with what happened and what to do next.

They derive from :class:`effdash.errors.EffdashError`, so the CLI prints them as one line and
pages show them with ``st.error``. No message ever contains the access token.
"""

from __future__ import annotations

from effdash.errors import EffdashError


class HubError(EffdashError):
    """Anything that went wrong while talking to the Hugging Face Hub."""


class HubModelNotFound(HubError):
    """The Hub has no such model (or it is private and no valid token was sent)."""


class HubAccessDenied(HubError):
    """The model is gated or private and the request carried no token that may read it."""


class HubRateLimited(HubError):
    """The Hub answered 429 Too Many Requests."""

    def __init__(self, message: str, retry_after_s: float | None = None):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class HubUnavailable(HubError):
    """The Hub could not be reached or did not answer within the timeout."""


class HubServerError(HubError):
    """The Hub answered with a 5xx server error."""


class HubBadResponse(HubError):
    """The Hub answered, but with a malformed or incomplete response."""
