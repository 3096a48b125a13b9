"""jieba tokenisation that respects what residents type and what the data annotates.

Rasa's ``JiebaTokenizer`` keeps whitespace as tokens (residents using voice input
separate clauses with spaces, so an entity span learnt over such a token ends in a
space: "家政 "), and jieba's words sometimes straddle an annotated entity (it
reads "3栋2单元501的" or "明天下午三点半" its own way). This tokenizer drops
whitespace tokens and, on training examples, cuts tokens at entity boundaries, so
DIET learns spans that start and end where the annotation does.

Cutting at entity edges only helps in training: at inference jieba still joins
characters across an edge it has never seen ("放首学|猫叫" for the song "学猫叫"),
and a span that does not fall on token edges can never be predicted exactly. Two
options, both off by default (the defaults are the behaviour above):

- ``token_unit: char`` makes every character a token (a run of ASCII letters and
  digits stays one token: "tfboys", "501"), so every span can be predicted. The
  jieba word a character belongs to is kept as the token's lemma (featurizers with
  ``use_lemma: true``, the default, count words, not characters) and the
  character's place in that word (B, M, E or S for a one-character word) as its
  ``pos`` tag (the ``pos`` feature of ``LexicalSyntacticFeaturizer``), so word
  segmentation stays a feature instead of a hard limit.
- ``hmm: false`` stops jieba from guessing words missing from its dictionaries
  with its HMM, which glues unknown names to their context less often.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Set

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.spacy_tokenizer import POS_TAG_KEY
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

TOKEN_UNITS = ("word", "char")
# A character token, except that ASCII letters and digits stay together ("tfboys", "501").
CHARACTER = re.compile(r"[A-Za-z0-9]+|\S")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class CommunityJiebaTokenizer(JiebaTokenizer):
    """``JiebaTokenizer`` without whitespace tokens, split at annotated entity edges."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**JiebaTokenizer.get_default_config(), "token_unit": "word", "hmm": True}  # nosec B105

    def __init__(self, config: Dict[str, Any], *args: Any, **kwargs: Any) -> None:
        config = {**self.get_default_config(), **config}
        if config["token_unit"] not in TOKEN_UNITS:
            raise InvalidConfigException(f"token_unit must be one of {TOKEN_UNITS}, not {config['token_unit']!r}")
        super().__init__(config, *args, **kwargs)
        self.token_unit = config["token_unit"]
        self.hmm = bool(config["hmm"])

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        import jieba

        words = [Token(word, start) for word, start, _ in jieba.tokenize(message.get(attribute), HMM=self.hmm)]
        tokens = [token for token in self._apply_token_pattern(words) if token.text.strip()]
        if self.token_unit == "char" and attribute == TEXT:  # nosec B105
            tokens = [character for token in tokens for character in _characters(token)]
        if attribute != TEXT or not message.get(ENTITIES):
            return tokens
        boundaries = _entity_boundaries(message.get(ENTITIES))
        return [piece for token in tokens for piece in _split_at(token, boundaries)]


def _characters(word: Token) -> List[Token]:
    """``word`` as character tokens, each with the word as lemma and its place in it as ``pos``."""
    pieces = list(CHARACTER.finditer(word.text))
    tags = ["S"] if len(pieces) == 1 else ["B", *["M"] * (len(pieces) - 2), "E"]
    return [
        Token(piece.group(), word.start + piece.start(), data={POS_TAG_KEY: tag}, lemma=word.text)
        for piece, tag in zip(pieces, tags, strict=True)
    ]


def _entity_boundaries(entities: Iterable[dict]) -> Set[int]:
    edges: Set[int] = set()
    for entity in entities:
        edges.update((entity["start"], entity["end"]))
    return edges


def _split_at(token: Token, boundaries: Set[int]) -> List[Token]:
    """``token`` cut at every boundary strictly inside it (a lemma other than the text is kept)."""
    cuts = sorted(edge for edge in boundaries if token.start < edge < token.end)
    if not cuts:
        return [token]
    lemma = token.lemma if token.lemma != token.text else None
    pieces = []
    start = token.start
    for end in [*cuts, token.end]:
        text = token.text[start - token.start : end - token.start]
        pieces.append(Token(text, start, data=dict(token.data), lemma=lemma))
        start = end
    return pieces
