"""The rasa_sdk action server (`rasa run actions`). Actions are thin: they read
slots, call plain business modules next to them, and utter responses by name."""
