"""Noisy copies of the training examples, written the way residents type them (issue 20).

Residents dictate without punctuation, write dialect words (啥 for 什么, 俺 for 我, 伐 for 吗)
and pick the wrong character of the right sound from their pinyin input (高龄金贴 for
高龄津贴). Hand-written data covers each style in a few hundred examples; this component,
placed before the tokenizer, adds for every training example one copy with those habits
applied at random, so the features learnt from the clean example also fire on its noisy
twins. Entity spans move with the text and keep their values (a service written with a
wrong character still means the catalogue's service). Copies are marked (``NOISY_COPY``):
the intent classifier learns from them, DIET does not (``bot/rasa_components/diet.py``),
because trained on them its exact spans came out worse (held-out entity F1 0.936 to 0.909),
and copying only examples without entities took the intent gain away.

Training only: at parse time messages pass through untouched. Copies are drawn from a
seeded generator, so a training run is repeatable. Homophones are taken from the characters
the training data itself uses (jionlp's readings, ``policy_kb/homophones.py``): an input
method offers common characters, and rare ones would only add features nobody types.
"""

from __future__ import annotations

import logging
import random
import re
from collections import defaultdict
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from policy_kb.homophones import char_sounds

logger = logging.getLogger(__name__)

# Set on every copy, so that a component can leave copies out (LeanDIETClassifier does).
NOISY_COPY = "noisy_copy"
HAN = re.compile(r"[\u4e00-\u9fff]")
PUNCTUATION = re.compile(r"[，。！？、；：,.!?;:~…]+")
# Dialect and spoken words residents write for the standard ones (northern, Shanghai).
DIALECT: Dict[str, Tuple[str, ...]] = {
    "什么": ("啥", "啥子"),
    "怎么": ("咋", "哪能"),
    "怎么办": ("咋办", "哪能办"),
    "我们": ("俺们", "阿拉"),
    "我": ("俺",),
    "你": ("侬",),
    "吗": ("伐", "不"),
    "的": ("额",),
    "不要": ("覅", "勿要"),
    "星期": ("礼拜",),
    "今天": ("今朝", "今儿个"),
    "明天": ("明朝", "明儿个"),
    "很": ("老", "蛮", "挺"),
    "家里": ("屋里厢", "屋里"),
}
PARTICLES = ("啊", "呀", "哦", "呢", "嘛", "哈")
# Longest words first, so 怎么办 is read before 怎么.
DIALECT_PATTERN = re.compile("|".join(sorted(map(re.escape, DIALECT), key=len, reverse=True)))

Piece = Tuple[int, int, str]  # (start, end) in the original text and what replaces it


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class NoisyCopies(GraphComponent):
    """Adds one noisy copy of each training example; parsing is left alone."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Chance that a Chinese character becomes another one of the same sound.
            "homophone_rate": 0.08,
            # Chance that a dialect word replaces a standard one where one is listed.
            "dialect_rate": 0.5,
            # Chance that the copy loses its punctuation and spaces (voice input).
            "unpunctuated_rate": 0.5,
            # Chance that the copy ends with a spoken particle.
            "particle_rate": 0.2,
            # Intents that are left alone (e.g. short answers whose wording is their meaning).
            "skip_intents": [],
            # Whether examples with entities get copies too (their spans moved along).
            "copy_entity_examples": True,
            "random_seed": 42,
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NoisyCopies:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """The training data with one noisy copy of each intent example added."""
        rng = random.Random(self.config["random_seed"])  # nosec B311
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        homophones = homophone_table(m.get(TEXT) for m in examples)
        skip = set(self.config["skip_intents"])
        seen = {m.get(TEXT) for m in training_data.training_examples}
        copies = []
        for message in examples:
            if message.get(INTENT) in skip or (message.get(ENTITIES) and not self.config["copy_entity_examples"]):
                continue
            copy = self.noisy_copy(message, homophones, rng)
            if copy is not None and copy.get(TEXT) not in seen:
                seen.add(copy.get(TEXT))
                copies.append(copy)
        logger.debug("Added %s noisy copies to %s training examples.", len(copies), len(examples))
        return training_data.merge(TrainingData(training_examples=copies))

    def process(self, messages: List[Message]) -> List[Message]:
        """Parsing is untouched."""
        return messages

    def noisy_copy(self, message: Message, homophones: Dict[str, Sequence[str]], rng: random.Random) -> Message | None:
        """``message`` rewritten with residents' habits, its entity spans moved along."""
        text = message.get(TEXT)
        pieces: List[Piece] = []
        for match in DIALECT_PATTERN.finditer(text):
            if rng.random() < self.config["dialect_rate"]:
                pieces.append((match.start(), match.end(), rng.choice(DIALECT[match.group()])))
        taken = {i for start, end, _ in pieces for i in range(start, end)}
        for index, char in enumerate(text):
            if index in taken:
                continue
            if char.isspace() or PUNCTUATION.fullmatch(char):
                if not _between_latin(text, index) and rng.random() < self.config["unpunctuated_rate"]:
                    pieces.append((index, index + 1, ""))
            elif char in homophones and rng.random() < self.config["homophone_rate"]:
                pieces.append((index, index + 1, rng.choice(homophones[char])))
        suffix = rng.choice(PARTICLES) if rng.random() < self.config["particle_rate"] else ""
        if not pieces and not suffix:
            return None
        new_text, moved = rewrite(text, sorted(pieces), message.get(ENTITIES) or [])
        data = {**message.data, TEXT: new_text + suffix, ENTITIES: moved, NOISY_COPY: True}
        if not moved:
            data.pop(ENTITIES)
        return Message(data=data)


def rewrite(text: str, pieces: List[Piece], entities: List[Dict[str, Any]]) -> Tuple[str, List[Dict[str, Any]]]:
    """``text`` with each (start, end) replaced and the entities moved to where their characters
    went. Inside an entity only one character for one (a homophone) is applied, so every span
    keeps its edges; other replacements touching an entity are left out."""
    spans = [(entity["start"], entity["end"]) for entity in entities]

    def allowed(piece: Piece) -> bool:
        start, end, replacement = piece
        touching = [(s, e) for s, e in spans if start < e and s < end]
        return not touching or (len(replacement) == 1 and end - start == 1)

    offsets = list(range(len(text) + 1))  # new position of each old position
    out: List[str] = []
    cursor = length = 0
    for start, end, replacement in filter(allowed, pieces):
        for i in range(cursor, start):
            offsets[i] = length
            length += 1
            out.append(text[i])
        for i in range(start, end):
            offsets[i] = length
        out.append(replacement)
        length += len(replacement)
        cursor = end
    for i in range(cursor, len(text) + 1):
        offsets[i] = length + i - cursor
    out.append(text[cursor:])
    moved = [
        {
            **entity,
            "start": offsets[entity["start"]],
            "end": offsets[entity["end"]],
            "value": entity.get("value", text[entity["start"] : entity["end"]]),
        }
        for entity in entities
    ]
    return "".join(out), moved


def _between_latin(text: str, index: int) -> bool:
    """A space between two Latin words or numbers ("thanks a lot") is not punctuation to drop."""
    before, after = text[index - 1 : index], text[index + 1 : index + 2]
    return before.isascii() and before.isalnum() and after.isascii() and after.isalnum()


def homophone_table(texts: Iterable[str]) -> Dict[str, Sequence[str]]:
    """Each character of ``texts`` and the other characters of ``texts`` that share a reading."""
    used = sorted({char for text in texts for char in text if HAN.match(char)})
    sounds = char_sounds()
    by_sound: Dict[str, List[str]] = defaultdict(list)
    for char in used:
        for sound in sounds.get(char, ()):
            by_sound[sound].append(char)
    table = {}
    for char in used:
        alikes = sorted({other for sound in sounds.get(char, ()) for other in by_sound[sound]} - {char})
        if alikes:
            table[char] = alikes
    return table
