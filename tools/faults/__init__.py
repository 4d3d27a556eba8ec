"""Fault drill on a `make run`-style stack (`python -m tools.faults`, `make faults`): a report, not a test.

It starts the whole system (cveval_devstack.Stack) in a temporary folder, keeps evaluations flowing through Envoy,
injects one fault at a time (PostgreSQL stopped, NATS killed and restarted, a worker killed, the ai-gateway killed
and restarted) and prints, per fault, how many evaluations were sent, accepted, completed, failed, lost and
duplicated, and how long after the fault ended every accepted job had finished.
"""
