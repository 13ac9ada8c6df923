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


def test_gcp_credentials_may_name_the_key_file_but_not_hold_the_key():
    def problems(value: str) -> list[str]:
        found = plaintext_secrets(
            ["gcp:credentials"], is_secret=lambda key: False, value_of={"gcp:credentials": value}.get
        )
        return [p.path for p in found]

    assert problems("/home/runner/gcp-key.json") == []
    assert problems('{"type": "service_account", "private_key": "x"}') == ["gcp:credentials"]
    assert problems('  {"type": "service_account"}') == ["gcp:credentials"]


def test_an_aws_access_key_id_is_not_a_secret():
    assert plaintext_secrets(["aws:accessKey"], is_secret=lambda key: False) == []
