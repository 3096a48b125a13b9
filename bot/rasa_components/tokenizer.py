"""jieba tokenisation that respects what residents type and what the data annotates.

Rasa's ``JiebaTokenizer`` keeps whitespace as tokens (residents using voice input
separate clauses with spaces, so an entity span learnt over such a token ends in a
space: "家政 "), and jieba's words sometimes straddle an annotated entity (it
reads "3栋2单元501的" or "明天下午三点半" its own way). This tokenizer drops
whitespace tokens and, on training examples, cuts tokens at entity boundaries, so
DIET learns spans that start and end where the annotation does.
"""

from __future__ import annotations

from typing import Iterable, List, Set

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class CommunityJiebaTokenizer(JiebaTokenizer):
    """``JiebaTokenizer`` without whitespace tokens, split at annotated entity edges."""

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        tokens = [token for token in super().tokenize(message, attribute) if token.text.strip()]
        if attribute != TEXT or not message.get(ENTITIES):
            return tokens
        boundaries = _entity_boundaries(message.get(ENTITIES))
        return [piece for token in tokens for piece in _split_at(token, boundaries)]


def _entity_boundaries(entities: Iterable[dict]) -> Set[int]:
    edges: Set[int] = set()
    for entity in entities:
        edges.update((entity["start"], entity["end"]))
    return edges


def _split_at(token: Token, boundaries: Set[int]) -> List[Token]:
    """``token`` cut at every boundary strictly inside it."""
    cuts = sorted(edge for edge in boundaries if token.start < edge < token.end)
    if not cuts:
        return [token]
    pieces = []
    start = token.start
    for end in [*cuts, token.end]:
        pieces.append(Token(token.text[start - token.start : end - token.start], start))
        start = end
    return pieces
