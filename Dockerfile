FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    EFFDASH_DATABASE_URL=sqlite:////app/data/effdash.db

RUN useradd --create-home --uid 1000 effdash
WORKDIR /app

# Dependency layer: rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=effdash:effdash . .
USER effdash
VOLUME ["/app/data"]
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"
CMD ["sh", "-c", "python -m effdash init && exec streamlit run app.py --server.port=8501 --server.address=0.0.0.0"]
