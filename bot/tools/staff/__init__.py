"""The staff web app: desk agents' quick reference and analysts' inbox, in a browser.

    python -m bot.tools.staff add-user NAME --role agent|analyst   # password prompted
    python -m bot.tools.staff                                      # http://127.0.0.1:5010

Its own process (Sanic, as Rasa brings it), separate from the Rasa and action servers:
it loads the trained model once (models/amo.tar.gz, or $AMO_MODEL) to parse desk agents'
questions, reads the unanswered messages from $AMO_ANALYTICS_DB_URL (the store the action
server writes), and keeps staff accounts and sessions in $AMO_STAFF_DB_URL
(default sqlite:///var/staff.db). See README, "Desk agents and analysts".
"""
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5010
