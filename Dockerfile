# syntax=docker/dockerfile:1
# Build stage: wheels for the project and its dependencies (some compile), kept out of the final image.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Runtime stage: the installed package, seeds, a non-root user and a volume for the database.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATABASE_PATH=/data/newsbot.sqlite3
RUN useradd --create-home --uid 10001 newsbot && mkdir /data && chown newsbot /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY seeds ./seeds
USER newsbot
VOLUME ["/data"]
# Webhook mode (WEBHOOK_URL set) serves updates, /healthz and /metrics here; long polling serves /healthz and
# /metrics on METRICS_LISTEN when that is set (e.g. 0.0.0.0:8080).
EXPOSE 8080
# Asks the running bot's /healthz (database, migrations, updates arriving); healthy without a listen address,
# where nothing serves it. The start period covers loading the NLP models and catching up on analysis.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 CMD ["python", "-m", "bot", "healthcheck"]
# `run`, not the bare `python -m bot`: without BOT_TOKEN the bare command opens the console chat, which seeds
# the volume and exits 0, so a misconfigured container would look healthy. `run` refuses in one line, exit 2.
CMD ["python", "-m", "bot", "run"]
