FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && npm ci --no-audit --no-fund \
 && mkdir -p frontend/static/govuk \
 && cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.* frontend/static/govuk/ \
 && cp -r node_modules/govuk-frontend/dist/govuk/assets frontend/static/govuk/assets
ENV DJANGO_SETTINGS_MODULE=config.settings CARELEDGER_VAR=/app/var
EXPOSE 8000
