"""The Hub client: the real ``huggingface_hub.HfApi`` with a timeout, a token and effdash's errors.

Every request has a timeout (30 s by default). A 429 is retried once when its ``Retry-After``
is short enough to wait for, else reported with the wait the Hub asked for. The token comes from
``HF_TOKEN`` (environment, then Streamlit secrets); it is only put into request headers, never
stored, logged or shown (the client's ``repr`` hides it).
"""

from __future__ import annotations

import json
import os
import time
import tomllib
from typing import Any, Callable, TypeVar

import httpx2
from huggingface_hub import HfApi, ModelInfo
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from effdash import __version__
from effdash.config import secrets_files
from effdash.hub.errors import (
    HubAccessDenied,
    HubBadResponse,
    HubError,
    HubModelNotFound,
    HubRateLimited,
    HubServerError,
    HubUnavailable,
)

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_TIMEOUT_S = 30.0  # also the CLI default (effdash.hub.cli)
#: A 429 whose Retry-After is at most this long is waited out and retried once.
DEFAULT_MAX_RETRY_WAIT_S = 10.0
#: What a full sync asks the Hub for (``expand``); ``baseModels`` is only served per model.
FULL_EXPAND = [
    "author", "baseModels", "cardData", "config", "downloads", "evalResults", "gated", "lastModified",
    "library_name", "likes", "model-index", "pipeline_tag", "private", "safetensors", "sha", "tags",
]
#: What a listing asks for (the listing endpoint refuses ``baseModels``).
LIST_EXPAND = [k for k in FULL_EXPAND if k not in ("baseModels", "evalResults", "model-index", "config")]

T = TypeVar("T")


def resolve_token(secrets: dict | None = None) -> str | None:
    """``HF_TOKEN`` from the environment, else from Streamlit secrets (``HF_TOKEN`` or ``[hub] token``)."""
    token = os.environ.get("HF_TOKEN")
    if token:
        return token
    if secrets is None:
        secrets = _read_secrets()
    value = secrets.get("HF_TOKEN") or (secrets.get("hub") or {}).get("token")
    return str(value) if value else None


def _read_secrets() -> dict:
    for path in secrets_files():
        if path.is_file():
            try:
                with path.open("rb") as fh:
                    return tomllib.load(fh)
            except (OSError, tomllib.TOMLDecodeError):
                return {}
    return {}


class HubClient:
    """Reads model metadata from the Hub (or any server speaking its API, e.g. ``HF_ENDPOINT``)."""

    def __init__(self, *, endpoint: str | None = None, token: str | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S, max_retry_wait_s: float = DEFAULT_MAX_RETRY_WAIT_S):
        if not timeout_s > 0:
            raise HubError(f"The Hub timeout must be a positive number of seconds, got {timeout_s}.")
        self.endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self.timeout_s = float(timeout_s)
        self.max_retry_wait_s = max_retry_wait_s
        self._token = token if token is not None else resolve_token()
        self._api = HfApi(endpoint=self.endpoint, token=self._token or None,
                          library_name="effdash", library_version=__version__)

    def __repr__(self) -> str:
        return f"HubClient(endpoint={self.endpoint!r}, timeout_s={self.timeout_s}, token={'set' if self._token else 'none'})"

    @property
    def has_token(self) -> bool:
        return bool(self._token)

    # --- requests ------------------------------------------------------------------------------
    def revision(self, model_id: str) -> str:
        """The model's current commit sha (a small request, used to skip unchanged models)."""
        info = self._call(model_id, lambda: self._api.model_info(model_id, expand=["sha"], timeout=self.timeout_s))
        if not info.sha:
            raise HubBadResponse(f"The Hub's answer for {model_id} has no revision (sha). Retry later.")
        return info.sha

    def model_info(self, model_id: str, revision: str | None = None) -> ModelInfo:
        """Everything effdash reads about a model, at ``revision`` (default: the main branch)."""
        return self._call(model_id, lambda: self._api.model_info(
            model_id, revision=revision, expand=FULL_EXPAND, timeout=self.timeout_s))

    def config_json(self, model_id: str, revision: str) -> dict[str, Any]:
        """The model's ``config.json`` at ``revision`` (to derive a parameter count)."""
        from huggingface_hub import hf_hub_url

        url = hf_hub_url(model_id, "config.json", revision=revision, endpoint=self.endpoint)

        def fetch() -> dict[str, Any]:
            response = get_session().get(url, headers=self._headers(), timeout=self.timeout_s)
            hf_raise_for_status(response)
            data = response.json()
            if not isinstance(data, dict):
                raise ValueError("config.json is not a JSON object")
            return data

        return self._call(model_id, fetch)

    def list_models(self, *, task: str, limit: int) -> list[ModelInfo]:
        """The ``limit`` most downloaded models of a pipeline task.

        ``HfApi.list_models`` takes no timeout and retries for up to ~25 s on its own, so this
        issues the same request through huggingface_hub's session, error mapping and parser.
        """
        params = {"pipeline_tag": task, "sort": "downloads", "direction": -1, "limit": limit,
                  "expand": LIST_EXPAND}

        def fetch() -> list[ModelInfo]:
            response = get_session().get(f"{self.endpoint}/api/models", params=params,
                                         headers=self._headers(), timeout=self.timeout_s)
            hf_raise_for_status(response)
            rows = response.json()
            if not isinstance(rows, list):
                raise ValueError("the model listing is not a JSON list")
            return [ModelInfo(**{"siblings": None, **row}) for row in rows[:limit]]

        return self._call(f"the {task} listing", fetch)

    def _headers(self) -> dict[str, str]:
        return build_hf_headers(token=self._token or None, library_name="effdash", library_version=__version__)

    # --- errors --------------------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one request; translate failures; wait out one short 429."""
        try:
            return self._translated(what, fn)
        except HubRateLimited as exc:
            if exc.retry_after_s is None or exc.retry_after_s > self.max_retry_wait_s:
                raise
            time.sleep(exc.retry_after_s)
            return self._translated(what, fn)

    def _translated(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except HubError:
            raise
        except GatedRepoError:
            raise HubAccessDenied(self._gated_message(what)) from None
        except RevisionNotFoundError:
            raise HubModelNotFound(f"The Hub no longer has the revision of {what} it just announced; "
                                   "it probably changed during the sync. Run the sync again.") from None
        except RepositoryNotFoundError:
            raise HubModelNotFound(self._not_found_message(what)) from None
        except HfHubHTTPError as exc:
            raise self._http_error(what, exc.response) from None
        except OfflineModeIsEnabled:
            raise HubUnavailable("HF_HUB_OFFLINE is set, so effdash does not contact the Hub; cached "
                                 "metadata stays in use. Unset HF_HUB_OFFLINE to sync.") from None
        except httpx2.TimeoutException:
            raise HubUnavailable(f"The Hub at {self.endpoint} did not answer within {self.timeout_s:g} s "
                                 f"for {what}. Retry later or raise --timeout; cached metadata stays in use.") from None
        except httpx2.RemoteProtocolError:
            raise HubBadResponse(f"The Hub's answer for {what} was cut off (incomplete response). "
                                 "Retry later; nothing was stored for it.") from None
        except httpx2.TransportError as exc:
            raise HubUnavailable(f"Cannot reach the Hub at {self.endpoint} ({type(exc).__name__}). Check the "
                                 "network or HF_ENDPOINT; cached metadata stays in use.") from None
        except (ValueError, LookupError, TypeError, AttributeError) as exc:
            raise HubBadResponse(f"The Hub's answer for {what} is malformed or incomplete ({_brief(exc)}). "
                                 "Retry later; nothing was stored for it.") from None

    def _gated_message(self, what: str) -> str:
        if self.has_token:
            return (f"{what} is gated and the token in HF_TOKEN has no access yet: accept its conditions on "
                    f"its Hub page with that account, then sync again.")
        return (f"{what} is gated: accept its conditions on its Hub page, then set HF_TOKEN (environment or "
                "Streamlit secrets) to a token of that account and sync again.")

    def _not_found_message(self, what: str) -> str:
        if self.has_token:
            return f"The Hub has no model {what}, or the token in HF_TOKEN cannot read it. Check the id (owner/name)."
        return (f"The Hub has no model {what}, or it is private. Check the id (owner/name); for a private "
                "model set HF_TOKEN to a token that can read it.")

    def _http_error(self, what: str, response) -> HubError:
        status = response.status_code
        if status == 429:
            wait = _retry_after_s(response.headers.get("Retry-After"))
            asked = f"it asks to wait {wait:g} s" if wait is not None else "it gave no wait time"
            return HubRateLimited(f"The Hub is rate limiting requests (429) for {what}; {asked}. Retry after "
                                  "that; a token in HF_TOKEN gets a higher limit.", wait)
        if status in (401, 403):
            return HubAccessDenied(f"The Hub refused access to {what} ({status}). Check that HF_TOKEN holds a "
                                   "valid token with read access.")
        if status >= 500:
            return HubServerError(f"The Hub had a server error ({status}) for {what}. It is usually temporary: "
                                  "retry in a few minutes; cached metadata stays in use.")
        return HubError(f"The Hub answered {status} for {what}. Check the model id and retry.")


def _retry_after_s(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _brief(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return "invalid JSON"
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return type(exc).__name__
