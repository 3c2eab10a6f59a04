"""Settings' "Test connection": one cheap AIQ call with the form as typed, and what it found in a
manager's words (split from viewmodels/settings.py, which re-exports these names)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum

from PySide6.QtCore import QObject

from budtender_app.domain import errors
from budtender_app.domain.settings import StoreProfile
from budtender_app.services.credentials import Credentials

log = logging.getLogger(__name__)

ConnectionTester = Callable[[StoreProfile, Credentials], Awaitable[None]]
#: A test that has not finished by then has its answer: AIQ is not answering.
TEST_TIMEOUT = 30.0


class ConnectionResult(StrEnum):
    """What "Test connection" found (a StrEnum: it crosses ``connection_result`` as text)."""

    CLEAR = ""  # no result to show (another profile is in the form)
    WORKS = "works"
    AUTH = "auth"
    NOT_FOUND = "not_found"
    UNREACHABLE = "unreachable"
    CERTIFICATE = "certificate"
    ERROR = "error"
    INVALID = "invalid"  # the form cannot be tested yet


class ConnectionCheck(QObject):
    """Turns a connection test's outcome into (ConnectionResult, words)."""

    async def run(self, tester: ConnectionTester, profile: StoreProfile,
                  credentials: Credentials) -> tuple[ConnectionResult, str]:
        """Run ``tester`` within TEST_TIMEOUT; what it found, in a manager's words."""
        try:
            async with asyncio.timeout(TEST_TIMEOUT):
                await tester(profile, credentials)
        except TimeoutError:
            return ConnectionResult.UNREACHABLE, self.tr(
                "AIQ unreachable: no answer within {s:.0f} seconds.").format(s=TEST_TIMEOUT)
        except errors.AuthRejected:
            return ConnectionResult.AUTH, self.tr("API key Refused by AIQ: copy it again from "
                                                  "AIQ's Settings > API & Tracking, for this store.")
        except errors.NotFound:
            return ConnectionResult.NOT_FOUND, self.tr("UID or store not found: AIQ does not know this UID. "
                                                       "Check it in AIQ's Settings > API & Tracking.")
        except errors.Unreachable:
            return ConnectionResult.UNREACHABLE, self.tr(
                "AIQ unreachable: check the internet connection and the base URL.")
        except errors.CertificateProblem:
            return ConnectionResult.CERTIFICATE, self.tr(
                "Certificate problem: AIQ's certificate was refused. Check the computer's date and the base URL, "
                "or ask IT about a proxy.")
        except errors.AiqError as exc:
            return ConnectionResult.ERROR, str(exc)
        except Exception as exc:  # noqa: BLE001 - the tester is the caller's; say something, not crash
            log.warning("The connection test failed unexpectedly: %s", type(exc).__name__)
            return ConnectionResult.ERROR, self.tr("The test could not run ({kind}).").format(kind=type(exc).__name__)
        # AIQ's answer names no store (E7 returns contacts only): the UID is what says which store it is.
        return ConnectionResult.WORKS, self.tr("Works: AIQ accepted the API key for UID {uid}. AIQ names no store "
                                               "in its answer: check this UID is {store}'s.").format(
            uid=profile.uid, store=profile.name)
