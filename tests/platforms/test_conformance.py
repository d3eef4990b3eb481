"""One conformance test over every network in the registry (platforms.REGISTRY):
the interface, the facts each network declares, the methods its declared
capabilities need, and the error taxonomy. The contract files
(test_<network>.py) check each network's behaviour against its fake; this file
checks that a new network cannot be added half-declared."""

import datetime as _dt

import httpx
import pytest

import platforms
from kernel import settings
from platforms import http
from platforms.base import AppCredentials, Capability, Platform, TextRules
from platforms.errors import (AuthExpired, OutcomeUnknown, PartlyPublished, Permanent, PlatformError, RateLimited,
                              Transient)

NAMES = platforms.names()
ALWAYS = ("profile", "validate", "publish", "delete", "metrics")
OAUTH = ("authorization_url", "exchange_code", "refresh", "revoke")
NEEDS = {
    Capability.PAGES: ("pages", "select_page"),
    Capability.BOARDS: ("boards",),
    Capability.APP_PASSWORD: ("sign_in",),
    Capability.PER_INSTANCE_APP: ("check", "register_app"),
}


def overrides(module: Platform, method: str) -> bool:
    own = getattr(type(module), method, None)
    return own is not None and own is not getattr(Platform, method, None)


@pytest.mark.parametrize("name", NAMES)
def test_each_network_implements_the_interface(name):
    module = platforms.get(name)
    assert isinstance(module, Platform) and module.name == name and module.display_name
    missing = [m for m in ALWAYS + (OAUTH if module.uses_oauth else ()) if not overrides(module, m)]
    assert not missing, f"{name} leaves {missing} to the base class"


@pytest.mark.parametrize("name", NAMES)
def test_each_network_declares_its_facts(name):
    module = platforms.get(name)
    assert isinstance(module.refresh_ahead, _dt.timedelta) and module.refresh_ahead > _dt.timedelta(0)
    assert isinstance(module.max_concurrent_publishes, int) and module.max_concurrent_publishes >= 1
    assert set(module.pulls_media) <= {"image", "video"}
    assert module.text_rules is None or (isinstance(module.text_rules, TextRules) and module.text_rules.text_limit > 0)
    assert isinstance(module.metrics_batch, int) and module.metrics_batch >= 1
    assert isinstance(module.revokes, bool)
    assert isinstance(module.scopes, tuple) and all(isinstance(s, str) for s in module.scopes)
    assert isinstance(module.capabilities, frozenset) and all(isinstance(c, Capability) for c in module.capabilities)


@pytest.mark.parametrize("name", NAMES)
def test_declared_capabilities_have_their_methods_and_no_method_goes_undeclared(name):
    module = platforms.get(name)
    for capability, methods in NEEDS.items():
        present = [m for m in methods if overrides(module, m) or hasattr(type(module), m)]
        if capability in module.capabilities:
            assert present == list(methods), f"{name} declares {capability} without {set(methods) - set(present)}"
        else:
            assert not present, f"{name} has {present} but does not declare {capability}"
    if Capability.APP_PASSWORD in module.capabilities:
        assert not module.uses_oauth
    if Capability.PER_INSTANCE_APP in module.capabilities:
        assert issubclass(module.app_class, AppCredentials)


@pytest.mark.parametrize("name", NAMES)
def test_an_oauth_network_names_its_app_params_where_deploy_discovery_sees_them(name):
    module = platforms.get(name)
    own_app = module.uses_oauth and Capability.PER_INSTANCE_APP not in module.capabilities
    if own_app:
        assert module.client_id is settings.OAUTH_CLIENT_IDS[name]
        assert module.client_secret is settings.OAUTH_CLIENT_SECRETS[name]
    else:
        assert module.client_id is None and module.client_secret is None


def test_ai_writing_reads_the_text_rules_the_networks_declare():
    from ai import networks

    assert networks.names() == [n for n in NAMES if platforms.get(n).text_rules is not None]
    for name in networks.names():
        declared, used = platforms.get(name).text_rules, networks.rules(name)
        assert (used.text_limit, used.max_hashtags, used.max_tag_length) == (
            declared.text_limit, declared.max_hashtags, declared.max_tag_length)
        assert used.label == platforms.get(name).display_name


@pytest.mark.parametrize("status, error", [(401, AuthExpired), (429, RateLimited), (500, Transient),
                                           (503, Transient), (408, Transient), (400, Permanent), (404, Permanent)])
def test_the_common_status_mapping_is_one_taxonomy(status, error):
    response = httpx.Response(status, headers={"retry-after": "7"} if status == 429 else {})
    mapped = http.classify_status("x", response, "")
    assert type(mapped) is error and mapped.status == status
    if error is RateLimited:
        assert mapped.retry_after == 7.0


def test_a_partial_publish_is_one_declared_error_that_keeps_its_cause():
    from platforms.base import Published

    cause = Transient("mastodon", "The server had a temporary problem.", status=503)
    partly = PartlyPublished(Published(post_id="1", url=None, part_ids=("2",)), cause)
    assert isinstance(partly, PlatformError) and partly.cause is cause
    assert partly.message == cause.message and partly.published.part_ids == ("2",)


# What a person sees when a network refuses, by what the call gave it to judge
# (handlers.edge.NETWORK_ERRORS): the same for every network in the registry.
EXPECTED_EDGE = [
    (Transient, "input", "unavailable"), (RateLimited, "input", "unavailable"),
    (OutcomeUnknown, "input", "unavailable"), (AuthExpired, "input", "invalid-argument"),
    (Permanent, "input", "invalid-argument"),
    (Transient, "account", "unavailable"), (RateLimited, "account", "unavailable"),
    (OutcomeUnknown, "account", "unavailable"), (AuthExpired, "account", "failed-precondition"),
    (Permanent, "account", "failed-precondition"),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("error, judges, code", EXPECTED_EDGE)
def test_the_edge_maps_each_networks_refusals_by_one_table(name, error, judges, code):
    from handlers import edge

    refusal = error(name, "The network's own words for a person.", status=418, detail="raw body, logs only")
    mapped = edge.from_network(refusal, judges)
    assert mapped.code == code and mapped.details["network"] == name
    shown = edge.to_https_error(mapped)
    assert "raw body" not in shown.message
    if error is AuthExpired:  # an expired session says what to do, in the network's name
        assert platforms.get(name).display_name in mapped.message
    else:
        assert mapped.message == "The network's own words for a person."


def test_a_rate_limit_tells_the_person_when_to_come_back():
    from handlers import edge

    mapped = edge.from_network(RateLimited("x", "Too many requests.", retry_after=30.0))
    assert mapped.code == "unavailable" and mapped.details == {"network": "x", "retryAfter": 30.0}


def test_a_handler_cannot_declare_an_unknown_judgement():
    from handlers import edge

    with pytest.raises(ValueError):
        edge.callable_handler(dict, network_judges="vibes")
