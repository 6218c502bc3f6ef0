"""Channels the Rasa server loads from credentials.yml: WhatsApp Cloud API
(`whatsapp`), Twilio WhatsApp (`twilio_whatsapp`), both on the webhook base of
`webhook.py`; the hardened REST channel (`rest`) and the web chat page (`webchat`).
Setup: docs/channels.md."""

# The user message for what only a human could read (image, voice note, location...):
# the intent share_media answers, in the member's language, that only text is read.
SHARE_MEDIA = "/share_media"
