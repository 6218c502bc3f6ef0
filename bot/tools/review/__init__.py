"""The analysts' review of unanswered questions: `python -m bot.tools.review --help`."""
