"""What the Rasa server process loads: NLU components (config.yml), the reply-language
policy (config.yml), the tracker and lock stores (endpoints.yml), the channels
(credentials.yml). Importing any of them imports this package first, which installs
our Rasa patches once, after checking the Rasa version (bot/server/rasa_patches.py).

With AMO_ENV=production it first refuses unsafe settings (bot/shared/production.py):
no web chat secret, the API on without a token, the PostgreSQL superuser..."""
import os
import sys

from bot.shared import production

production.enforce(os.environ, "rasa", sys.argv)

from bot.server import rasa_patches  # noqa: E402 - after the check, on purpose

rasa_patches.install()
