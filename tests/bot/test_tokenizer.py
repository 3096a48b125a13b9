"""The project's tokenizer: no whitespace tokens, entity edges respected in training."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.exceptions import InvalidConfigException
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


def test_options_default_to_jieba_words_with_its_hmm():
    defaults = CommunityJiebaTokenizer.get_default_config()
    assert defaults["token_unit"] == "word"
    assert defaults["hmm"] is True


def test_default_tokens_are_jiebas_words(tokenizer):
    import jieba

    text = "我要听tfboys唱的歌，放首学猫叫"
    tokens = tokenizer.tokenize(Message(data={"text": text}), "text")
    assert [(t.text, t.start) for t in tokens] == [(w, s) for w, s, _ in jieba.tokenize(text) if w.strip()]
    assert all(t.lemma == t.text and not t.data for t in tokens)


@pytest.fixture(scope="module")
def character_tokenizer() -> CommunityJiebaTokenizer:
    config = {**CommunityJiebaTokenizer.get_default_config(), "dictionary_path": str(DICTIONARY), "token_unit": "char"}
    return CommunityJiebaTokenizer.create(config, None, None, None)


def test_character_tokens_reach_every_span(character_tokenizer, tokenizer):
    text = "放首学猫叫 tfboys的501"
    song = text.index("学")
    plain = tokenizer.tokenize(Message(data={"text": text}), "text")
    assert song not in {t.start for t in plain}, "jieba must glue the song to its context for this case"

    tokens = character_tokenizer.tokenize(Message(data={"text": text}), "text")
    assert [t.text for t in tokens] == ["放", "首", "学", "猫", "叫", "tfboys", "的", "501"]
    assert song in {t.start for t in tokens}
    assert all(text[t.start : t.end] == t.text for t in tokens)


def test_character_tokens_carry_their_word_and_place_in_it(character_tokenizer):
    import jieba

    text = "我想听周杰伦的稻香"
    words = [w for w in jieba.cut(text) if w.strip()]
    tokens = character_tokenizer.tokenize(Message(data={"text": text}), "text")
    assert [t.lemma for t in tokens] == [w for w in words for _ in w]
    expected = [tag for w in words for tag in (["S"] if len(w) == 1 else ["B", *["M"] * (len(w) - 2), "E"])]
    assert [t.get("pos") for t in tokens] == expected


def test_character_training_tokens_keep_their_word(character_tokenizer):
    text = "放首学猫叫"
    entities = [{"start": 2, "end": 5, "value": "学猫叫", "entity": "song_name"}]
    plain = character_tokenizer.tokenize(Message(data={"text": text}), "text")
    trained = character_tokenizer.tokenize(Message(data={"text": text, "entities": entities}), "text")
    assert [(t.text, t.lemma, t.data) for t in trained] == [(t.text, t.lemma, t.data) for t in plain]


def test_intents_are_not_cut_into_characters(character_tokenizer):
    message = Message(data={"text": "放首歌", "intent": "PlayMusic"})
    assert [t.text for t in character_tokenizer.tokenize(message, "intent")] == ["PlayMusic"]


def test_without_hmm_unknown_words_are_not_guessed():
    config = {**CommunityJiebaTokenizer.get_default_config(), "dictionary_path": str(DICTIONARY), "hmm": False}
    tokenizer = CommunityJiebaTokenizer.create(config, None, None, None)
    import jieba

    text = "放首学猫叫"
    assert [t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")] == [
        w for w in jieba.cut(text, HMM=False)
    ]
    assert "放首学" not in jieba.lcut(text, HMM=False)


def test_an_unknown_token_unit_is_refused():
    config = {**CommunityJiebaTokenizer.get_default_config(), "token_unit": "syllable"}
    with pytest.raises(InvalidConfigException):
        CommunityJiebaTokenizer.create(config, None, None, None)
