"""How an alert looks: rendering a judged article as Telegram HTML within Telegram's limits."""
