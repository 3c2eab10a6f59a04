"""The Store hub page given whatever a manager types as the URL: refused in words, nothing saved,
the password typed never said back."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings

from budtender_app.domain.messages import Level
from budtender_app.services.credentials import CredentialStore
from budtender_app.services.hub.config import HubConfig, HubConfigError, parse_hub_url
from budtender_app.viewmodels.hub_settings import HubSettingsViewModel
from tests.helpers.memory_keyring import MemoryKeyring
from tests.services.hub.test_hub_url_typed import SECRET, TYPED


@settings(max_examples=60, deadline=None)
@given(TYPED.filter(lambda t: _refused(t)), SECRET)
def test_the_page_refuses_a_bad_url_without_saving_or_saying_the_password(text, secret):
    keys = CredentialStore(MemoryKeyring())
    config = HubConfig(keys, file=None)
    vm = HubSettingsViewModel(config)
    asyncio.run(vm.join(text, secret))
    level, said = vm.message
    assert level == Level.ERROR and said and secret not in said
    assert config.url() is None and config.password() is None


def _refused(text: str) -> bool:
    try:
        parse_hub_url(text)
    except HubConfigError:
        return True
    return False
