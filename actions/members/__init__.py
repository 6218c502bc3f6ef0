"""The member file-status look-up: identifiers, verification rules, the members
database and the service the rasa_sdk actions (actions/file_status.py) call.

Nothing here touches a database at import time; the engine is built from
AMO_MEMBERS_DB_URL by `repository.repository_from_env()` when first needed."""
