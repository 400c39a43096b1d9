FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TANFWATCH_DB=/data/tanfwatch.db

WORKDIR /app
# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY watchers ./watchers
COPY matchers ./matchers
COPY storage ./storage
RUN python -m pip install --upgrade pip && python -m pip install . \
    && useradd --create-home --uid 10001 tanfwatch \
    && mkdir -p /data && chown tanfwatch:tanfwatch /data

USER tanfwatch
VOLUME ["/data"]
# Config and token by environment: TANFWATCH_CONFIG, TELEGRAM_BOT_TOKEN (or
# TELEGRAM_BOT_TOKEN_FILE with a mounted secret), TELEGRAM_CHAT_ID, TELEGRAM_API_BASE.
CMD ["tanfwatch", "run"]
