"""Model metadata from the Hugging Face Hub: fetch, parse once, keep, and read back.

- :class:`effdash.hub.client.HubClient` the real ``huggingface_hub.HfApi`` with a timeout,
  ``HF_TOKEN`` and effdash's errors (:mod:`effdash.hub.errors`);
- :mod:`effdash.hub.parse` the one border where a ``ModelInfo`` becomes a :class:`HubModel`;
- :mod:`effdash.hub.storage` rows in ``models``, ``lineage`` and ``quality_scores``;
- :mod:`effdash.hub.sync` :func:`sync_models`, :func:`discover`, :func:`schedule_sync`;
- :mod:`effdash.hub.catalog` the read side (known models, families, discovered candidates).

Names are imported lazily so that ``effdash --help`` does not load ``huggingface_hub``.
"""

from importlib import import_module

_EXPORTS = {
    "HubClient": "client", "resolve_token": "client", "DEFAULT_TIMEOUT_S": "client",
    "HubError": "errors", "HubModelNotFound": "errors", "HubAccessDenied": "errors", "HubRateLimited": "errors",
    "HubUnavailable": "errors", "HubServerError": "errors", "HubBadResponse": "errors",
    "HubModel": "parse", "LineageEdge": "parse", "CardScore": "parse", "parse_model_info": "parse",
    "parameters_from_config": "parse",
    "sync_models": "sync", "discover": "sync", "schedule_sync": "sync", "SyncReport": "sync", "SyncOutcome": "sync",
    "discovered_candidates": "catalog", "list_known_models": "catalog", "model_family": "catalog",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"effdash.hub.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'effdash.hub' has no attribute {name!r}")
