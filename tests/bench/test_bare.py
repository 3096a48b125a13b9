"""The bare Rasa project of the speed ratios is Rasa's defaults on the project's own data."""

from __future__ import annotations

import yaml
from rasa.shared.importers.importer import TrainingDataImporter

from bench import bare


def test_same_data_project_answers_every_intent_of_ours_with_rasas_defaults(tmp_path):
    project = tmp_path / "same_data"
    bare.same_data(project)

    config = yaml.safe_load((project / "config.yml").read_text(encoding="utf-8"))
    # Rasa's defaults as shipped: the stock NLU peer is this model, so nothing may be cut.
    assert config == yaml.safe_load(bare.DEFAULT_CONFIG.read_text(encoding="utf-8"))
    assert config["pipeline"][0]["name"] == "WhitespaceTokenizer"
    assert {c["epochs"] for c in config["pipeline"] + config["policies"] if "epochs" in c} == {100}

    intents = set(yaml.safe_load((bare.ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    importer = TrainingDataImporter.load_from_config(
        str(project / "config.yml"), str(project / "domain.yml"), [str(project / "data")]
    )
    domain = importer.get_domain()
    assert set(domain.intents) >= intents
    assert not domain.form_names  # nothing needs an action server
    assert all(action.startswith("utter_") for action in domain.user_actions)
    rules = [step for story in importer.get_stories().story_steps for step in story.events]
    assert {f"utter_{intent}" for intent in intents} <= {getattr(e, "action_name", None) for e in rules}
    nlu = importer.get_nlu_data()
    assert {example.get("intent") for example in nlu.intent_examples} == intents
