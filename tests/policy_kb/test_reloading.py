"""Staff edits reach the running knowledge base; a broken edit never replaces the working catalogue."""

from __future__ import annotations

import logging
import shutil
import time

import pytest

from policy_kb.catalogue import CATALOGUE_DIR
from policy_kb.reloading import ReloadingKnowledgeBase, catalogue_fingerprint

NEW_SERVICE = """\
topic: 测试
services:
- id: pet-registration
  name: 犬只登记
  aliases: [养狗登记, 狗证]
  category: 便民服务
  summary: 示例条目：养犬登记和年检。
  eligibility: 本社区养犬居民。
  where: 幸福社区党群服务中心
  hours: 工作日 9:00-17:00
  phone: 025-8888 0000
  fees: 示例：免费
  time_limit: 当场办结
  source: local
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def folder(tmp_path):
    shutil.copytree(CATALOGUE_DIR, tmp_path / "catalogue")
    return tmp_path / "catalogue"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kb(folder, clock) -> ReloadingKnowledgeBase:
    return ReloadingKnowledgeBase(folder, check_every=5, clock=clock, background=False)


def test_the_fingerprint_changes_only_when_a_file_does(folder):
    before = catalogue_fingerprint(folder)
    assert catalogue_fingerprint(folder) == before
    (folder / "pets.yml").write_text(NEW_SERVICE, encoding="utf-8")
    assert catalogue_fingerprint(folder) != before


def test_an_edit_is_served_after_the_next_check_not_on_every_question(kb, folder, clock):
    entries = len(kb.catalogue.entries)
    (folder / "pets.yml").write_text(NEW_SERVICE, encoding="utf-8")
    clock.now += 4  # within the check interval: the files are not even looked at
    assert kb.catalogue.resolve("狗证") is None
    clock.now += 1
    assert kb.search("狗证怎么办").best.id == "pet-registration"
    assert len(kb.catalogue.entries) == entries + 1


def test_a_broken_edit_keeps_the_previous_catalogue_and_says_why(kb, folder, clock, caplog):
    entries = len(kb.catalogue.entries)
    (folder / "pets.yml").write_text(NEW_SERVICE.replace("source: local", "source: 随便写"), encoding="utf-8")
    clock.now += 5
    with caplog.at_level(logging.ERROR):
        answer = kb.search("高龄津贴怎么申请")
    assert answer.best.name == "高龄津贴"
    assert len(kb.catalogue.entries) == entries
    assert "pets.yml: services.0.source" in caplog.text
    assert "not applied" in caplog.text
    (folder / "pets.yml").write_text(NEW_SERVICE, encoding="utf-8")  # the fix is picked up
    clock.now += 5
    assert kb.catalogue.resolve("狗证") is not None


def test_an_emptied_catalogue_is_not_served(kb, folder, clock):
    entries = len(kb.catalogue.entries)
    for path in folder.glob("*.yml"):
        path.unlink()
    clock.now += 5
    assert len(kb.catalogue.entries) == entries


def test_the_rebuild_runs_in_the_background_while_the_old_version_answers(folder):
    kb = ReloadingKnowledgeBase(folder, check_every=0)
    (folder / "pets.yml").write_text(NEW_SERVICE, encoding="utf-8")
    started = time.perf_counter()
    kb.search("狗证")  # notices the change, starts the rebuild, answers from the old version
    assert time.perf_counter() - started < 0.5
    deadline = time.monotonic() + 30
    while kb.catalogue.resolve("狗证") is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert kb.catalogue.resolve("狗证").id == "pet-registration"
