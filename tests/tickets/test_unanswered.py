"""Questions without a good answer are counted for staff, on SQLite and PostgreSQL, without phone numbers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from tickets.db import session_scope
from tickets.models import UnansweredQuestion
from tickets.service import normalise_question


def test_repeats_of_a_question_are_counted_together(tickets, clock):
    first_seen = clock.now
    tickets.record_unanswered("宠物登记在哪办？", ["pet-care", "property-office"])
    clock.now += timedelta(hours=2)
    tickets.record_unanswered(" 宠物登记在哪办", ["property-office"])
    tickets.record_unanswered("停车位怎么租", [])
    [pets, parking] = tickets.unanswered_questions(limit=10)
    assert (pets.question, pets.count, parking.count) == ("宠物登记在哪办", 2, 1)
    assert pets.first_seen == first_seen
    assert pets.last_seen == clock.now
    assert pets.candidates == ["property-office"]  # the latest ranking
    assert parking.candidates == []


def test_the_most_asked_come_first_and_the_limit_holds(tickets, clock):
    for text, times in (("甲问题", 1), ("乙问题", 3), ("丙问题", 2)):
        for _ in range(times):
            clock.now += timedelta(minutes=1)
            tickets.record_unanswered(text, ["a", "b", "c", "d"])
    listed = tickets.unanswered_questions(limit=2)
    assert [row.question for row in listed] == ["乙问题", "丙问题"]
    assert listed[0].candidates == ["a", "b", "c"]  # the top three candidates only


def test_phone_numbers_never_reach_the_table(tickets, database_url):
    tickets.record_unanswered("我电话13812345678，一三九一二三四五六七八，座机025-84561234，低保找谁", [])
    with session_scope(database_url) as session:
        [stored] = session.execute(select(UnansweredQuestion.question)).scalars().all()
    assert "*" in stored
    for digits in ("13812345678", "一三九一二三四五六七八", "84561234", "5678"):
        assert digits not in stored
    assert "低保找谁" in stored


def test_an_empty_question_is_not_recorded(tickets):
    tickets.record_unanswered("？？ ", ["x"])
    assert tickets.unanswered_questions() == []


def test_concurrent_repeats_lose_no_count(database_url, service_factory):
    service = service_factory(database_url)
    service.ensure_schema()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: service.record_unanswered("垃圾分类几点收", ["waste-sorting"]), range(24)))
    [row] = service.unanswered_questions()
    assert row.count == 24


def test_normalising_folds_width_case_and_surrounding_punctuation():
    assert normalise_question("ＷｉＦｉ  密码是多少？！") == "wifi 密码是多少"
    assert normalise_question("低保 怎么申请。。") == normalise_question("低保  怎么申请") == "低保 怎么申请"
