# tanfwatch: the bot (CMD) or, with `tanfwatch serve`, Datasette over the same /data volume.
# Three stages: `deps` builds the dependencies' wheels from pyproject.toml alone, `app` builds
# tanfwatch's own wheel, the final slim stage installs each in its own layer. A code change
# rebuilds only `app` and the last small layer; the dependency layer stays cached.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml ./
# The requirements come from pyproject.toml (read with tomllib): no package stub, no README.
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > requirements.txt \
    && python -m pip wheel --quiet --wheel-dir /wheels -r requirements.txt \
    && ls /wheels > wheels.txt

FROM ${PYTHON_IMAGE} AS app
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY watchers ./watchers
COPY matchers ./matchers
COPY storage ./storage
RUN python -m pip wheel --quiet --no-deps --wheel-dir /dist .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    TANFWATCH_DB=/data/tanfwatch.db
RUN useradd --create-home --uid 10001 tanfwatch \
    && mkdir -p /data && chown tanfwatch:tanfwatch /data
# The dependencies' wheels are bind-mounted, not copied: they never become a layer here.
# Podman/buildah does not hash a --mount=from when caching a RUN step, so the wheel list (names
# carry versions) is copied first: a changed dependency invalidates the layer after it.
COPY --from=deps /src/wheels.txt /tmp/wheels.txt
RUN --mount=type=bind,from=deps,source=/wheels,target=/wheels \
    python -m pip install --quiet --no-index --find-links=/wheels /wheels/*.whl
# The code: tanfwatch's own wheel (a few hundred kB), copied so that any change reinstalls it.
COPY --from=app /dist/ /tmp/dist/
RUN python -m pip install --quiet --no-index --no-deps /tmp/dist/*.whl

USER tanfwatch
WORKDIR /data
VOLUME ["/data"]
# Config and token by environment: TANFWATCH_CONFIG, TELEGRAM_BOT_TOKEN (or
# TELEGRAM_BOT_TOKEN_FILE with a mounted secret), TELEGRAM_CHAT_ID, TELEGRAM_API_BASE.
# `run` stops on SIGTERM between two writes: every SQLite write is a synchronous transaction
# on the event loop, so the signal is handled only once the current one has committed.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=60s --timeout=30s --start-period=120s --retries=3 \
    CMD ["tanfwatch", "status", "--check"]
CMD ["tanfwatch", "run"]
