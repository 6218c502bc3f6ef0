"""Custom Rasa 3.6 graph components for Arabic script, Arabizi and French."""
