"""The key that signs sessions and sign-in links: SECRET_KEY, or else the installation's own random key.

No known key may ever sign anything, so there is no embedded default. With SECRET_KEY unset, the
first process to need a key generates a random one and keeps it in the database
(`installation_secrets`), so every web process of the installation signs alike and a restart does
not sign everyone out. Simultaneous first starts agree: the row's primary key lets one insert win.
"""

from __future__ import annotations

import logging
import secrets
import threading
import weakref

from sqlalchemy.exc import IntegrityError

from config.settings import Settings
from transcripts.db import Database
from transcripts.models import InstallationSecret

log = logging.getLogger(__name__)

SIGNING_KEY_NAME = "signing_key"
_keys: weakref.WeakKeyDictionary[Database, str] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def signing_key(settings: Settings, db: Database | None) -> str:
    """SECRET_KEY when set; otherwise the key generated once for the installation whose database is `db`."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if db is None:
        raise ValueError("SECRET_KEY is not set and no database was given to keep a generated key in")
    with _lock:
        key = _keys.get(db)
        if key is None:
            key = _keys[db] = _stored_key(db)
            log.warning("SECRET_KEY is not set: signing with this installation's random key, kept in its database")
    return key


def _stored_key(db: Database) -> str:
    with db.session() as session:
        row = session.get(InstallationSecret, SIGNING_KEY_NAME)
        if row is not None:
            return row.value
    try:
        with db.session() as session:
            session.add(InstallationSecret(name=SIGNING_KEY_NAME, value=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass  # another process generated it first; everyone uses that one
    with db.session() as session:
        row = session.get(InstallationSecret, SIGNING_KEY_NAME)
        if row is None:
            raise RuntimeError("the installation's signing key could not be stored")
        return row.value
