# syntax=docker/dockerfile:1
#
# The production image of bapas-sop: the official Apache Airflow 3.3.2 image (Python 3.11, the
# version the project and its lock are made for) with bapas-sop installed from uv.lock, the
# same lock the tests run against. docker-compose.yml builds it (`docker compose build`); on its
# own: `docker build -t bapas-sop:latest .`
#
# Layout inside the image (the same as a checkout, so the package finds its templates, data
# and config next to itself exactly as in development):
#   /opt/bapas/dags       AIRFLOW__CORE__DAGS_FOLDER
#   /opt/bapas/plugins    AIRFLOW__CORE__PLUGINS_FOLDER
#   /opt/bapas/templates  Jinja2 templates (emails, form pages, documents)
#   /opt/bapas/include    the bapas_sop package, demo data, include/config/bapas.toml
#   /opt/airflow/bapas-var  BAPAS_VAR_DIR (a volume: dev maildir, generated files)
#   /opt/airflow/auth       simple auth manager passwords file (a volume, written by airflow-init)

# The default image comes with many providers preinstalled (amazon, google, ...); bapas-sop needs
# none of them, and `slim-3.3.2-python3.11` works the same way with fewer. Either way the lock is
# installed over it, so the packages bapas-sop uses are exactly the locked ones.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
# The uv that wrote uv.lock (lock format revision 5); an older uv may not read it.
ARG UV_VERSION=0.13.9

# ------------------------------------------------------------------------------------------
# Stage 1: turn uv.lock into a fully pinned requirements file with hashes.
# `uv export --frozen` reads the lock as it is (it fails instead of re-resolving if pyproject.toml
# and uv.lock disagree); --extra celery adds the CeleryExecutor provider with celery pinned
# >=5.5,<5.7 (measured: celery 5.7 breaks apache-airflow-providers-celery 3.26.0), redis, and
# asyncpg (the driver of the postgresql+asyncpg URL Airflow 3.3 derives from the psycopg2 one);
# --no-dev leaves out pytest/playwright; --no-emit-project leaves out bapas-sop itself, which is
# installed from the source in stage 2.
# ------------------------------------------------------------------------------------------
FROM ${AIRFLOW_IMAGE} AS lock
ARG UV_VERSION
USER airflow
WORKDIR /tmp/lock
# This stage is thrown away: installing uv into the image's environment here is harmless. (The
# image ships its own, older uv; the pinned one reads our lock format for sure.)
RUN pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"
COPY --chown=airflow:0 pyproject.toml uv.lock ./
RUN UV_PYTHON_DOWNLOADS=never python -m uv export \
        --frozen --extra celery --no-dev --no-emit-project --no-header \
        --output-file /tmp/lock/requirements.txt

# ------------------------------------------------------------------------------------------
# Stage 2: the runtime image.
# ------------------------------------------------------------------------------------------
FROM ${AIRFLOW_IMAGE}

USER root
# WeasyPrint (HTML -> PDF certificates and reports) loads pango and harfbuzz through cffi at
# import time; harfbuzz-subset makes font subsetting fast. DejaVu gives a font with the glyphs
# the documents use. The directories made below are the mount points of docker-compose.yml's
# named volumes: a new volume takes their owner, so the airflow user can write to it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
 && apt-get autoremove -yqq --purge \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /opt/bapas /opt/airflow/logs /opt/airflow/bapas-var/mail /opt/airflow/auth \
 && chown -R airflow:0 /opt/bapas /opt/airflow/logs /opt/airflow/bapas-var /opt/airflow/auth

USER airflow

# Install the locked dependencies into the image's own Airflow environment, as the Airflow docs
# recommend for extending the image (pip as the airflow user). Why pip --no-deps -r:
#  * every package of the lock is pinned (==) with its hashes, so --require-hashes makes pip
#    install exactly the locked files and nothing else;
#  * --no-deps means no resolver runs: the lock is the only source of versions, no constraints
#    file is needed (the official one lives on GitHub) and a package already in the base image
#    at another version is replaced by the locked one (celery 5.6.x, the lock's fastapi, ...).
# `uv pip install --no-deps -r` would do the same, faster; pip is used because it is the
# installer the base image documents and it needs nothing extra in the final image.
COPY --from=lock --chown=airflow:0 /tmp/lock/requirements.txt /opt/bapas/requirements.lock.txt
RUN pip install --no-cache-dir --disable-pip-version-check --no-deps --require-hashes \
        -r /opt/bapas/requirements.lock.txt

# The project itself, editable like in development: bapas_sop finds templates/, include/data
# and include/config relative to its source (settings.PROJECT_DIR = /opt/bapas), and the
# scheduler, workers and the triggerer import it from one place. --no-deps: its dependencies
# are exactly the locked ones installed above.
COPY --chown=airflow:0 pyproject.toml README.md /opt/bapas/
COPY --chown=airflow:0 include/ /opt/bapas/include/
RUN pip install --no-cache-dir --disable-pip-version-check --no-deps --editable /opt/bapas

COPY --chown=airflow:0 templates/ /opt/bapas/templates/
COPY --chown=airflow:0 plugins/ /opt/bapas/plugins/
COPY --chown=airflow:0 dags/ /opt/bapas/dags/

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/bapas/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/bapas/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    BAPAS_VAR_DIR=/opt/airflow/bapas-var

# Fail the build, not the first task, if the image is not what the lock says: the package
# imports, WeasyPrint finds pango, asyncpg is there for Airflow's async engine, and celery is the
# pinned 5.6 (not 5.7, not the base image's).
RUN python -c "import bapas_sop.settings, weasyprint, celery, asyncpg; \
from importlib.metadata import version; \
assert version('apache-airflow') == '3.3.2', version('apache-airflow'); \
assert celery.__version__.startswith(('5.5.', '5.6.')), celery.__version__; \
print('bapas-sop image OK: airflow', version('apache-airflow'), 'celery', celery.__version__)"
