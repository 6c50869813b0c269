FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && npm ci --no-audit --no-fund \
 && mkdir -p frontend/static/govuk \
 && cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.* frontend/static/govuk/ \
 && cp -r node_modules/govuk-frontend/dist/govuk/assets frontend/static/govuk/assets \
 && rm -rf node_modules
# Not root: the processes run as an unprivileged user that owns only var/ (uploads, keys).
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin careledger \
 && mkdir -p /app/var && chown -R careledger /app/var
USER careledger
# A deployment's settings: behind a TLS proxy, secure cookies, HSTS (config/production.py).
ENV DJANGO_SETTINGS_MODULE=config.production CARELEDGER_VAR=/app/var
EXPOSE 8000
