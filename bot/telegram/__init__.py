"""The Telegram side: the Bot API client, sending and delivering alerts, the bot's commands."""
