"""The training data keeps its promises: enough varied examples, a clean held-out set,
entity spans on token boundaries, and every response reachable."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import jieba
import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_components.tokenizer import CommunityJiebaTokenizer

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "inform",
    "book_service",
    "cancel_booking",
    "file_complaint",
    "make_suggestion",
    "consult_service",
    "ask_legal",
    "post_mutual_help",
    "browse_mutual_help",
    "check_ticket_status",
    "request_human",
    "report_emergency",
    "give_feedback",
    "bot_challenge",
    "out_of_scope",
}
# Beyond the contract: residents' data rights (PIPL), see data/nlu/privacy.yml.
OWN_INTENTS = {"request_my_data", "delete_my_data"}
CONTRACT_ENTITIES = {"service", "date_time", "address", "phone", "ticket_id", "legal_topic"}


@pytest.fixture(scope="module")
def training():
    return load_data(str(ROOT / "data" / "nlu"))


@pytest.fixture(scope="module")
def heldout():
    return load_data(str(ROOT / "bench" / "heldout"))


@pytest.fixture(scope="module")
def independent():
    """Written by someone who never saw the training data (bench/independent/README.md)."""
    return load_data(str(ROOT / "bench" / "independent" / "messages.yml"))


def test_intents_and_entities_are_exactly_the_contracts_and_our_own(training):
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(domain["intents"]) == CONTRACT_INTENTS | OWN_INTENTS
    assert set(domain["entities"]) == CONTRACT_ENTITIES
    assert training.intents == CONTRACT_INTENTS | OWN_INTENTS
    assert training.entities == CONTRACT_ENTITIES


def test_every_intent_has_at_least_sixty_training_and_fifteen_heldout_examples(training, heldout):
    train_counts = Counter(e.get("intent") for e in training.intent_examples)
    heldout_counts = Counter(e.get("intent") for e in heldout.intent_examples)
    assert min(train_counts[intent] for intent in CONTRACT_INTENTS | OWN_INTENTS) >= 60
    assert min(heldout_counts[intent] for intent in CONTRACT_INTENTS) >= 15


# Short messages (你好, 转人工, the contract's own examples) coincide by nature in a set
# written independently; longer ones only when copied.
@pytest.mark.parametrize("test_set, shortest", [("heldout", 0), ("independent", 12)])
def test_no_test_message_is_trained_on(training, test_set, shortest, request):
    fold = lambda text: re.sub(r"[\s，。！？,.!?~]", "", text)  # noqa: E731
    trained = {fold(e.get("text")) for e in training.intent_examples}
    examples = [e.get("text") for e in request.getfixturevalue(test_set).intent_examples]
    leaked = [text for text in examples if len(fold(text)) >= shortest and fold(text) in trained]
    assert leaked == []


def test_entity_spans_fall_on_token_boundaries(training, monkeypatch):
    """A span that cuts through a token as parsing sees it (no entities known) can never
    be predicted exactly. Parsing is a fresh Rasa server's, with config.yml's tokenizer (with
    characters as tokens, a span may still not cut a run of digits or Latin letters): jieba's
    shared dictionary gets only the project's words, not whatever earlier tests in this process
    added to it."""
    fresh = jieba.Tokenizer()
    monkeypatch.setattr(jieba, "tokenize", fresh.tokenize)
    monkeypatch.setattr(jieba, "load_userdict", fresh.load_userdict)
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    [settings] = [c for c in pipeline if c["name"].endswith(CommunityJiebaTokenizer.__name__)]
    config = {**CommunityJiebaTokenizer.get_default_config(), **settings}
    config["dictionary_path"] = str(ROOT / config["dictionary_path"])
    tokenizer = CommunityJiebaTokenizer.create(config, None, None, None)
    misaligned = []
    for example in training.entity_examples:
        tokens = tokenizer.tokenize(Message(data={"text": example.get("text")}), "text")
        starts, ends = {t.start for t in tokens}, {t.end for t in tokens}
        for entity in example.get("entities"):
            if entity["start"] not in starts or entity["end"] not in ends:
                misaligned.append((example.get("text"), entity["value"]))
    assert misaligned == []


def test_every_response_is_used_by_a_rule_a_story_or_an_action():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    dialogue = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "data").glob("*.yml"))
    code = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "actions").glob("*.py"))
    emergencies = yaml.safe_load((ROOT / "policy_kb" / "emergencies.yml").read_text(encoding="utf-8"))
    sent_by_kind = {f"utter_emergency_{rule['id']}" for rule in emergencies} | {"utter_emergency_general"}
    unused = [
        name
        for name in domain["responses"]
        if name not in dialogue
        and f'"{name}"' not in code
        and name not in sent_by_kind
        and not name.startswith("utter_ask_")  # forms ask with these by name
        and name != "utter_default"  # Rasa's own fallback action sends it
    ]
    assert unused == []


def _situation_texts() -> list:
    """Every message of bench/situations: the intents file and the three lists of {text, ...}."""
    folder = ROOT / "bench" / "situations"
    texts = [e.get("text") for e in load_data(str(folder / "intents.yml")).intent_examples]
    for name in ("emergencies.yml", "not_emergencies.yml", "service_questions.yml"):
        texts += [row["text"] for row in yaml.safe_load((folder / name).read_text(encoding="utf-8"))]
    return texts


def _without_punctuation(text: str) -> str:
    """A message as compared for leaks: lower case, without punctuation or spaces."""
    return "".join(c for c in text.lower() if not c.isspace() and not unicodedata.category(c).startswith("P"))


# Messages of one or two characters (行, 中, 嗯嗯, ok, 88) coincide by nature: a resident has
# few ways to write them, and the sets keep them because residents send them.
SHORTEST_LEAK = 3


def test_no_situations_message_is_in_the_training_data(training):
    """bench/situations was written apart from data/ and must stay out of it (issue 20): no
    message of it is a training example, a lookup-table entry or a synonym, once punctuation,
    spaces and case are set aside."""
    trained = {_without_punctuation(e.get("text")) for e in training.training_examples if e.get("text")}
    for table in training.lookup_tables:
        trained |= {_without_punctuation(str(element)) for element in table.get("elements") or []}
    trained |= {_without_punctuation(synonym) for synonym in training.entity_synonyms}
    folded = {text: _without_punctuation(text) for text in _situation_texts()}
    leaked = sorted(text for text, fold in folded.items() if len(fold) >= SHORTEST_LEAK and fold in trained)
    assert leaked == []
