# effdash dashboard. SQLite in the /data volume by default; set EFFDASH_DATABASE_URL to a
# postgresql+psycopg:// URL for a team (see docker-compose.yml).
#   docker build -t effdash . && docker run -p 8501:8501 -v effdash-data:/data effdash
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    EFFDASH_DATABASE_URL=sqlite:////data/effdash.db

# The database lives in /data, not in /app/data: /app/data/sources holds the bundled reference
# data, which a volume mounted over it would hide (or freeze at the first image's version).
RUN useradd --create-home --uid 1000 effdash && mkdir /data && chown effdash:effdash /data
WORKDIR /app

# Dependency layer: rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The code stays owned by root: the app user can write only to /data (and its HOME).
COPY . .
USER effdash
VOLUME ["/data"]
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"
CMD ["sh", "-c", "python -m effdash init && exec streamlit run app.py --server.port=8501 --server.address=0.0.0.0"]
