"""The monitoring and budget sections: alert subscriptions and the budget."""

from __future__ import annotations

import pytest

from tests.components.config.documents import Mutation, assert_reported, delete_key, set_key

# (id, mutation of the dev document, exact key path reported, a fragment of the message)
BAD: list[tuple[str, Mutation, str, str]] = [
    ("alert email", set_key("monitoring.alert_emails", ["not-an-email"]), "monitoring.alert_emails[0]", "email"),
    (
        "alert webhook over http",
        set_key("monitoring.alert_https_endpoints", ["http://x.example.com"]),
        "monitoring.alert_https_endpoints[0]",
        "https:// URL",
    ),
    ("missing budget", delete_key("budget"), "budget", "required key is missing"),
    ("negative budget", set_key("budget.monthly_limit_usd", -5), "budget.monthly_limit_usd", "> 0"),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_raises_with_key_path_value_and_allowed(dev_config, mutate, path, fragment):
    assert_reported(dev_config, mutate, path, fragment)
