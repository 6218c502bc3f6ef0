"""The analysts' review of unanswered questions: `python -m bot.review --help`."""
