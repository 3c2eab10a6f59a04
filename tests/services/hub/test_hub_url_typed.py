"""Whatever a manager types or pastes as the hub URL (Manager settings, ``hub set``): a clear
refusal or a checked address, never a crash, never TLS skipped to a remote host, never a
password echoed back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budtender_app.services.hub.config import LOCAL_HOSTS, TLS_MODES, HubConfigError, parse_hub_url

PIECES = st.sampled_from(["postgresql://", "postgres://", "http://", "@", ":", "/", "?", "&", "=", "[", "]",
                          "sslmode", "require", "disable", "verify-full", "localhost", "127.0.0.1", "::1",
                          "hub.store.lan", "budtender", "hub", "5432", "%40", " ", "#"])
TYPED = st.one_of(st.text(max_size=80), st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=14).map("".join))
SECRET = st.text(alphabet="ABCDEFGHJKMNPQRSTUVWXYZ23456789", min_size=8, max_size=20)


@settings(max_examples=400, deadline=None)
@given(TYPED)
def test_any_text_is_refused_in_words_or_a_checked_address(text):
    try:
        url = parse_hub_url(text)
    except HubConfigError as exc:
        refusal = str(exc)
    else:
        refusal = ""
    if refusal:
        return
    assert url.user and url.host and url.dbname and 0 < url.port < 65536
    assert url.host in LOCAL_HOSTS or url.sslmode in TLS_MODES  # TLS to every other host


@settings(max_examples=200, deadline=None)
@given(SECRET, st.sampled_from(["hub.store.lan", "127.0.0.1"]), st.sampled_from(["", "?sslmode=require"]))
def test_a_password_put_in_the_url_is_refused_and_never_said_back(secret, host, query):
    with pytest.raises(HubConfigError) as refused:
        parse_hub_url(f"postgresql://budtender:{secret}@{host}/hub{query}")
    assert secret not in str(refused.value)


def test_the_words_for_a_failed_connection_read_libpqs_reason_not_the_host_name():
    import psycopg

    from budtender_app.services.hub.config import HubUnreachable
    from budtender_app.services.hub.manage import explain

    url = parse_hub_url("postgresql://budtender@ssl-timeout.store.lan/hub?sslmode=require")

    def said(reason: str) -> str:
        where = 'connection to server at "ssl-timeout.store.lan" (10.0.0.9), port 5432'
        cause = psycopg.OperationalError(f"connection failed: {where} failed: {reason}")
        try:
            raise HubUnreachable("x") from cause
        except HubUnreachable as exc:
            return explain(exc, url)

    assert said('FATAL:  password authentication failed for user "budtender"') == (
        "The hub refused the password for budtender: type it again.")
    assert "does not answer" in said("Connection refused Is the server running on that host?")
    assert "does not offer TLS" in said("server does not support SSL, but SSL was required")
    assert "certificate" in said("certificate verify failed")
    assert said('FATAL:  database "hub" does not exist') == 'The hub has no database "hub": check the end of the URL.'
    assert "pg_hba.conf" in said('FATAL:  no pg_hba.conf entry for host "10.0.0.2"')
