"""Scoring domain of the evaluation worker: rubrics, evidence extraction and the offline and LLM scorers.

Pure Python on purpose: no network, database or clock, so a score can be reproduced from its inputs alone.
"""
