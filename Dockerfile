# syntax=docker/dockerfile:1
#
# One image for every cveval process. The entrypoint is `python -m`, so the command names the module to run:
#
#   docker build -t cveval:0.1.0 .                        # the tag is the version in pyproject.toml
#   docker run --rm cveval:0.1.0                          # prints the usage below
#   docker run --rm cveval:0.1.0 cveval_upload serve      # python -m cveval_upload serve
#   docker run --rm cveval:0.1.0 cveval_job.worker        # the evaluation worker
#
# No secret is baked in: CVEVAL_LLM_API_KEY and the database credentials come from the environment at run time.
# The runtime stage gets the service dependencies only (pyproject's [project] dependencies): no code generator
# (grpcio-tools, the `codegen` extra), no PostgreSQL / NATS / Envoy wheels (`devstack`), no test tools (`dev`), no
# devstack library. tests/deploy/test_dockerfile.py checks that against pyproject.toml.

# An exact patch release, not a floating 3.11 tag; the digest cannot be checked without a registry, so it is the tag.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# ---------------------------------------------------------------- deps: the runtime dependencies only
FROM ${PYTHON_IMAGE} AS deps

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /src

# Dependencies first (their layer is reused until pyproject.toml changes). pyproject.toml packages nothing
# itself: `pip install .` installs its [project] dependencies into the virtualenv, and no extra.
COPY pyproject.toml ./
RUN pip install --no-cache-dir .

# ---------------------------------------------------------------- codegen: generated code (builder only)
# Adds the code generator to a copy of the deps stage; only its output (gen/python, build/cveval.pb) moves on.
FROM deps AS codegen

RUN pip install --no-cache-dir ".[codegen]"

# Generated gRPC stubs (gen/python/) and the Envoy descriptor set (build/cveval.pb).
COPY protos/ ./protos/
COPY tools/ ./tools/
RUN python tools/gen_protos.py

# ---------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

ARG APP_UID=10001
RUN groupadd --system --gid "${APP_UID}" cveval \
    && useradd --system --uid "${APP_UID}" --gid cveval --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin cveval

# The deps stage's virtualenv: the runtime dependencies and nothing the codegen stage added.
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY --from=codegen /src/gen/python/ /app/gen/python/
COPY --from=codegen /src/build/cveval.pb /app/build/cveval.pb
# The shared kit and the services; libs/cveval_devstack (make run) and libs/cveval_testing (tests) stay out.
COPY libs/cveval_kit/ /app/libs/cveval_kit/
COPY services/ /app/services/

# `docker run cveval:0.1.0` with no command prints this.
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
