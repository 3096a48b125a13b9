"""Grids and buildings from addresses as residents write them (digits, Chinese numerals, place names)."""

from __future__ import annotations

import pytest

from tickets.handling import building_of
from tickets.routing import Router, building_number


@pytest.fixture(scope="module")
def router() -> Router:
    return Router()


@pytest.mark.parametrize(
    "address, number",
    [
        ("3栋2单元501", 3),
        ("幸福小区12号楼楼下", 12),
        ("三号楼二单元", 3),
        ("十五幢", 15),
        ("我家住5楼", None),  # a floor, not a building
        ("东门门口", None),
        (None, None),
    ],
)
def test_the_building_number_of_an_address(address, number):
    assert building_number(address) == number


@pytest.mark.parametrize(
    "address, grid",
    [
        ("3栋2单元501", "第一网格"),
        ("七号楼", "第二网格"),
        ("20栋", "第三网格"),
        ("菜市场门口", "第二网格"),
        ("99栋", None),
        ("不知道哪里", None),
    ],
)
def test_an_address_lies_in_its_grid(router, address, grid):
    assert router.grid_for(address) == grid


def test_buildings_written_differently_are_the_same_building():
    assert building_of("三号楼二单元") == building_of("3栋1单元101") == "3栋"
    assert building_of("幸福小区东门") == "幸福小区东门"
