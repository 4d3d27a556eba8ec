# syntax=docker/dockerfile:1
#
# One image for every cveval process. The entrypoint is `python -m`, so the command names the module to run:
#
#   docker build -t cveval:local .
#   docker run --rm cveval:local                          # prints the usage below
#   docker run --rm cveval:local cveval_upload serve      # python -m cveval_upload serve
#   docker run --rm cveval:local cveval_job.worker        # the evaluation worker
#
# No secret is baked in: CVEVAL_LLM_API_KEY and the database credentials come from the environment at run time.

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------- build: dependencies and generated code
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /src

# Dependencies first (their layer is reused until pyproject.toml changes). pyproject.toml packages nothing
# itself: `pip install .` installs its [project] dependencies into the virtualenv.
COPY pyproject.toml ./
RUN pip install --no-cache-dir .

# Generated gRPC stubs (gen/python/) and the Envoy descriptor set (build/cveval.pb).
COPY protos/ ./protos/
COPY tools/ ./tools/
RUN python tools/gen_protos.py

COPY libs/ ./libs/
COPY services/ ./services/

# ---------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

ARG APP_UID=10001
RUN groupadd --system --gid "${APP_UID}" cveval \
    && useradd --system --uid "${APP_UID}" --gid cveval --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin cveval

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --from=build /src/gen/python/ /app/gen/python/
COPY --from=build /src/build/cveval.pb /app/build/cveval.pb
COPY --from=build /src/libs/ /app/libs/
COPY --from=build /src/services/ /app/services/

# `docker run cveval:local` with no command prints this.
COPY <<'PYEOF' /opt/venv/lib/python3.11/site-packages/cveval_usage.py
"""Usage of the cveval image (its default command)."""

USAGE = """cveval image: the entrypoint is `python -m`; pass the module and its arguments.

  cveval_upload serve        upload service (gRPC :50051, metrics :9464)
  cveval_job serve           job service
  cveval_job.worker          evaluation worker (metrics :9464; `cveval_job.worker healthcheck` for probes)
  cveval_gateway serve       ai-gateway service
  cveval_result serve        result service
  cveval_auth serve          auth service (ext_authz check :9002, ApiKeyService gRPC :50051)
  cveval_upload migrate      database migrations (likewise cveval_job, cveval_result, cveval_gateway, cveval_auth)

Configuration comes from CVEVAL_* environment variables (CVEVAL_DATABASE_URL, CVEVAL_NATS_URL, ...).
The Envoy descriptor set is at /app/build/cveval.pb.
"""

if __name__ == "__main__":
    print(USAGE, end="")
PYEOF

# Byte-compile once at build time: containers run with a read-only root filesystem.
RUN python -m compileall -q /app/gen /app/libs /app/services /opt/venv/lib/python3.11/site-packages/cveval_usage.py

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app/gen/python:/app/libs:/app/services \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CVEVAL_GRPC_HOST=0.0.0.0 \
    CVEVAL_GRPC_PORT=50051 \
    CVEVAL_METRICS_PORT=9464

USER ${APP_UID}:${APP_UID}

EXPOSE 50051 9464

ENTRYPOINT ["python", "-m"]
CMD ["cveval_usage"]
