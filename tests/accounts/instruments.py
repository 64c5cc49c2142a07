"""Instruments for the enumeration tests: a password hasher and a real-name provider that count
their calls (the simulated provider's own rules, unchanged), so a test can tell that every
outcome of a registration does the same expensive work."""

from __future__ import annotations

from django.contrib.auth.hashers import MD5PasswordHasher

from xinyong.accounts.realname import SimulatedProvider

CALLS = {"hash": 0, "verify": 0}


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"

    def encode(self, password, salt):
        CALLS["hash"] += 1
        return super().encode(password, salt)


class CountingProvider(SimulatedProvider):
    def verify(self, **kw):
        CALLS["verify"] += 1
        return super().verify(**kw)
