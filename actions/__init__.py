"""The rasa_sdk action server (`rasa run actions`). Actions are thin: they read
slots, call plain business modules next to them, and utter responses by name.

With AMO_ENV=production the server refuses unsafe settings before any action loads
(bot/shared/production.py): the public analytics salt, the PostgreSQL superuser."""
import os
import sys

from bot.shared import production

production.enforce(os.environ, "actions", sys.argv)
