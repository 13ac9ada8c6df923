"""The secret configuration keys the platform knows, and the refusal of one set in plain text."""

from __future__ import annotations

from mlplatform.components.config.secrets import PROVIDER_SECRET_KEYS, plaintext_secrets, secret_config_keys


def test_the_platform_knows_which_keys_are_secret():
    assert secret_config_keys() == [*PROVIDER_SECRET_KEYS, "mlplatform:notebooksOauthClientSecret"]
    assert "aws:secretKey" in PROVIDER_SECRET_KEYS and "gcp:credentials" in PROVIDER_SECRET_KEYS
    named = {"notebooks": {"auth": {"client_secret_key": "hubSecret"}}}
    assert secret_config_keys(named)[-1] == "mlplatform:hubSecret"


def test_a_secret_in_plain_text_is_refused_without_showing_it():
    keys = ["aws:region", "aws:secretKey", "mlplatform:notebooksOauthClientSecret", "gcp:project"]
    problems = plaintext_secrets(keys, is_secret={"mlplatform:notebooksOauthClientSecret"}.__contains__)
    assert [p.path for p in problems] == ["aws:secretKey"]
    assert "pulumi config set --secret aws:secretKey <value>" in problems[0].message
    assert not problems[0].has_value
