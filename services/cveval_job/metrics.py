"""The job service's and the evaluation worker's Prometheus metrics (one module: both are this service's code).

Names carry the `cveval_` prefix. The original system's `job_processing_duration_seconds`, `queue_depth` and
`evaluations_degraded_total` became `cveval_job_processing_duration_seconds`, `cveval_queue_pending_messages` /
`cveval_queue_ack_pending_messages` and `cveval_evaluations_degraded_total` (README, "Observe").
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# The worker: every finished job, by outcome (status label: completed or failed). Its _count is the job outcome
# counter the failure-ratio alert and the jobs-within-60 s SLO read.
JOB_PROCESSING = Histogram(
    "cveval_job_processing_duration_seconds",
    "Time from a worker picking a job up to the job completed or failed",
    ["job_type", "status"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
)
DEGRADED = Counter(
    "cveval_evaluations_degraded_total",
    "Evaluations scored by the offline scorer because the model provider was unavailable",
    ["reason"],
)

# The job service: the reconciler, and the worker consumer's backlog read from JetStream once for the whole fleet
# (the job service runs it, not each worker replica, so a sum over replicas never counts it twice).
RECONCILED = Counter("cveval_jobs_reconciled_total", "Stranded jobs the reconciler acted on", ["action"])
QUEUE_PENDING = Gauge(
    "cveval_queue_pending_messages",
    "Messages in the stream not yet delivered to the consumer (its lag)",
    ["stream", "consumer"],
)
QUEUE_ACK_PENDING = Gauge(
    "cveval_queue_ack_pending_messages",
    "Messages delivered to the consumer and not yet acknowledged (being worked on)",
    ["stream", "consumer"],
)
QUEUE_REDELIVERED = Gauge(
    "cveval_queue_redelivered_messages",
    "Messages delivered more than once and not yet acknowledged",
    ["stream", "consumer"],
)
QUEUE_WATCH_ERRORS = Counter(
    "cveval_queue_watch_errors_total",
    "Failed reads of the consumer's state (the lag gauges then keep their last value)",
)
