"""Signed-in users for end-to-end tests: Auth-emulator accounts with real ID tokens."""

from __future__ import annotations

from firebase_admin import auth

from salamin.core import firebase
from tests.support.emulators import AuthEmulator, User


def make_user(auth_emulator: AuthEmulator, email: str, *, admin: bool = False) -> User:
    user = auth_emulator.sign_up(email)
    if admin:
        auth.set_custom_user_claims(user.uid, {"admin": True}, app=firebase.app())
        auth_emulator.sign_in(user)  # claims appear in a refreshed token
    return user
