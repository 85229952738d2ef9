"""Errors with user-meaningful names; translated to st.error / CLI messages at the edge.

Every message says what happened and what to do next.
"""


class EffdashError(Exception):
    """Base class of every error effdash reports to a user."""


class ConfigurationError(EffdashError):
    """A setting (database URL, option value) cannot be used."""


class DatabaseUnavailable(EffdashError):
    """The database cannot be reached or opened."""


class SchemaTooNew(EffdashError):
    """The database was migrated by a newer effdash than this one."""


class UnknownTask(EffdashError):
    """A task name that is neither a Hugging Face pipeline tag effdash knows nor an alias."""


class ModelNotFound(EffdashError):
    """A model id that effdash has no record of."""


class BundledDataError(EffdashError):
    """The reference data shipped in data/ is missing or inconsistent."""
