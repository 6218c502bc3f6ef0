"""What the Rasa server process loads: NLU components (config.yml), the reply-language
policy (config.yml), the tracker and lock stores (endpoints.yml), the channels
(credentials.yml). Importing any of them imports this package first, which installs
our Rasa patches once, after checking the Rasa version (bot/server/rasa_patches.py)."""
from bot.server import rasa_patches

rasa_patches.install()
