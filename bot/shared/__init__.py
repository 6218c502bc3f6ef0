"""Pure logic used by both servers and by the tools: no rasa or rasa_sdk import here
(tests/test_layout.py walks the imports). Languages, identifiers and masks, redaction,
slot names and outcome values, text normalisation, the unanswered-questions store."""
