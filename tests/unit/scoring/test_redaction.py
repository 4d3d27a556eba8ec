from __future__ import annotations

from dataclasses import replace

from cveval_job.scoring.llm_scorer import LlmScorer
from cveval_job.scoring.model import ScoringInput
from cveval_job.scoring.redaction import redact, redaction_flags
from cveval_job.scoring.rubrics import default_vacancy
from tests.unit.scoring.test_scoring_llm import CV_SCORES, PROJECT_SCORES, FakeChat, stage_reply

CV = (
    "Maya Lindqvist\nSenior Backend Engineer\nmaya.lindqvist@example.com | +46 70 555 0142 | github.com/mayalind\n"
    "Date of birth: 03.04.1990\nNationality: Swedish\n\nBuilt gRPC services in Python and Go for 6 years."
)


def test_contact_data_is_replaced_and_counted_by_kind() -> None:
    text, counts = redact(CV, first_line_is_name=True)
    for value in ("Maya", "maya.lindqvist@example.com", "555 0142", "github.com/mayalind", "1990", "Swedish"):
        assert value not in text
    assert "Built gRPC services in Python and Go for 6 years." in text
    assert dict(counts) == {"name": 1, "email": 1, "phone": 1, "link": 1, "personal_detail_line": 2}
    assert redaction_flags(counts) == (
        "redacted:email=1", "redacted:link=1", "redacted:name=1", "redacted:personal_detail_line=2", "redacted:phone=1"
    )


async def test_the_model_never_sees_contact_data_and_provenance_says_what_was_removed() -> None:
    chat = FakeChat(cv=[stage_reply(CV_SCORES)], project=[stage_reply(PROJECT_SCORES)])
    inp = ScoringInput(CV, "Report by maya.lindqvist@example.com.", default_vacancy())
    evaluation = await LlmScorer(chat).score(inp)
    sent = "\n".join(content for call in chat.calls for _, content in call[1])
    assert "maya.lindqvist@example.com" not in sent and "555 0142" not in sent and "Lindqvist" not in sent
    assert "redacted:email=2" in evaluation.flags and "redacted:name=1" in evaluation.flags
    assert not any("maya" in flag.lower() for flag in evaluation.flags)


async def test_redaction_can_be_switched_off_per_vacancy() -> None:
    chat = FakeChat(cv=[stage_reply(CV_SCORES)], project=[stage_reply(PROJECT_SCORES)])
    vacancy = replace(default_vacancy(), redact_personal_data=False)
    evaluation = await LlmScorer(chat).score(ScoringInput(CV, "Report.", vacancy))
    sent = "\n".join(content for call in chat.calls for _, content in call[1])
    assert "maya.lindqvist@example.com" in sent
    assert not any(flag.startswith("redacted:") for flag in evaluation.flags)
