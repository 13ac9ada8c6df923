"""Which configuration keys hold secrets, and the check that a stack file sets none of them in plain text.

The one list of the secret keys the platform and its providers read: the providers' credentials
(``aws:secretKey``, ``aws:token``, ``gcp:credentials``, ``gcp:accessToken``) and the notebooks'
OAuth client secret (``mlplatform:<notebooks.auth.client_secret_key>``, which the toolchain reads with
``get_secret``). A plain value in the stack file is readable by everyone who can read the repository; the
Pulumi CLI encrypts it when it is set with ``pulumi config set --secret KEY VALUE`` (a ``secure:`` value).

Example::

    problems = plaintext_secrets(["aws:region", "aws:secretKey"], is_secret=lambda key: False)
    problems[0].path   # 'aws:secretKey'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..base.errors import Problem
from .notebooks import NotebookAuthSpec

PROVIDER_SECRET_KEYS = ("aws:secretKey", "aws:token", "gcp:credentials", "gcp:accessToken")
"""The providers' credential settings (pulumi-aws, pulumi-gcp), which must never be stored in plain text.
``aws:accessKey`` is not one: an access key ID identifies the key and is useless without the secret key."""

PATH_OR_SECRET_KEYS = ("gcp:credentials",)
"""Keys that take either a file path (not a secret) or the key's contents (a secret, JSON: starts with ``{``)."""

NAMESPACE = "mlplatform"


def secret_config_keys(document: Any = None) -> list[str]:
    """Every configuration key the platform knows must be secret, for a stack whose ``mlplatform:platform`` is
    ``document`` (its notebooks may name their own client secret key): the providers' credentials and
    ``mlplatform:<notebooks.auth.client_secret_key>`` (default ``notebooksOauthClientSecret``)."""
    default = NotebookAuthSpec.model_fields["client_secret_key"].default
    key = default
    if isinstance(document, dict):
        notebooks = document.get("notebooks")
        auth = notebooks.get("auth") if isinstance(notebooks, dict) else None
        named = auth.get("client_secret_key") if isinstance(auth, dict) else None
        key = named if isinstance(named, str) and named else default
    return [*PROVIDER_SECRET_KEYS, f"{NAMESPACE}:{key}"]


def plaintext_secrets(
    keys: Iterable[str],
    is_secret: Callable[[str], bool],
    document: Any = None,
    value_of: Callable[[str], Any] = lambda key: None,
) -> list[Problem]:
    """A problem for each of the configuration ``keys`` that must be secret (:func:`secret_config_keys`) but is
    set in plain text (``is_secret`` says which are); the value is never shown. A key of
    :data:`PATH_OR_SECRET_KEYS` is refused only when its value (``value_of(key)``; default: unknown, refused)
    is key content rather than a path to the key file."""
    present = set(keys)
    return [
        Problem(
            key,
            "a secret set in plain text in the stack file: remove it and set it with "
            f"`pulumi config set --secret {key} <value>`, which stores it encrypted (a secure: value)",
            has_value=False,
        )
        for key in secret_config_keys(document)
        if key in present and not is_secret(key) and not _is_a_path(key, value_of(key))
    ]


def _is_a_path(key: str, value: Any) -> bool:
    """Whether ``key`` may name a file and ``value`` does: a string that is not JSON key content."""
    return key in PATH_OR_SECRET_KEYS and isinstance(value, str) and not value.lstrip().startswith("{")
