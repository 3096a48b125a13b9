"""The project's tokenizer: no whitespace tokens, entity edges respected in training."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_components.tokenizer import CommunityJiebaTokenizer

DICTIONARY = Path(__file__).resolve().parents[2] / "data" / "dict"


@pytest.fixture(scope="module")
def tokenizer() -> CommunityJiebaTokenizer:
    config = {**CommunityJiebaTokenizer.get_default_config(), "dictionary_path": str(DICTIONARY)}
    return CommunityJiebaTokenizer.create(config, None, None, None)


def test_voice_input_spaces_are_not_tokens(tokenizer):
    tokens = tokenizer.tokenize(Message(data={"text": "约个家政  明天下午 3栋"}), "text")
    assert all(token.text.strip() == token.text != "" for token in tokens)
    assert "".join(token.text for token in tokens) == "约个家政明天下午3栋"


def test_training_tokens_are_cut_at_entity_edges(tokenizer):
    text = "帮我约明天下午的体检"
    start = text.index("下午")
    entities = [{"start": start, "end": start + 1, "value": "下", "entity": "date_time"}]
    plain = tokenizer.tokenize(Message(data={"text": text}), "text")
    assert any(token.start < start + 1 < token.end for token in plain), "the case must straddle a token"

    tokens = tokenizer.tokenize(Message(data={"text": text, "entities": entities}), "text")
    assert {token.start for token in tokens} >= {start, start + 1}
    assert "".join(token.text for token in tokens) == text
    assert [(t.start, t.end) for t in tokens] == sorted((t.start, t.end) for t in tokens)
