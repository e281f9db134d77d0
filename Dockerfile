FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# DejaVu lets contract PDFs print names beyond Latin-1 (marketplace/contracts/layout.py).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY marketplace ./marketplace
COPY workers ./workers
COPY migrations ./migrations
COPY wsgi.py gunicorn.conf.py ./
RUN pip install --no-cache-dir -e .
EXPOSE 8000
# sync workers, 2 x cores + 1 on a 2-core node, behind a buffering proxy in production (docs/PERFORMANCE.md).
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--worker-class", "sync", "--workers", "5", "wsgi:app"]
