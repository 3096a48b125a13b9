"""The staff console's pages over HTTP: logged out they send staff to the login page (and only
back to a page of this site), logged in they render, and their script and style are served."""

from __future__ import annotations

import re

import pytest

from bot.staff.console import safe_next
from tests.staff.conftest import ADMIN
from tickets.accounts import AccountService
from tickets.models import StaffRole
from tickets.service import TicketService

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "/\tevil",
    " /tickets",
    "",
]


def log_in(client, username: str = ADMIN[0], password: str = ADMIN[1]) -> None:
    """As the login page does: the session cookie stays in the client."""
    response = client.post("/api/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text


def next_of(html: str) -> str:
    match = re.search(r'data-next="([^"]*)"', html)
    assert match, "the login form names no next page"
    return match.group(1)


@pytest.mark.parametrize(
    ("path", "login"),
    [
        ("/", "/login?next=/"),
        ("/posts", "/login?next=/posts"),
        ("/tickets/GD20261129-0001", "/login?next=/tickets/GD20261129-0001"),
        # The query stays as it came (percent-encoded) inside next, which is encoded once more.
        ("/?status=new&q=电梯", "/login?next=/%3Fstatus%3Dnew%26q%3D%25E7%2594%25B5%25E6%25A2%25AF"),
    ],
)
def test_pages_send_whoever_is_not_logged_in_to_the_login_page(staff_client, path, login):
    response = staff_client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == login


def test_the_login_page_is_plain_accessible_chinese_and_goes_back_where_it_came_from(staff_client):
    response = staff_client.get("/login", params={"next": "/tickets/GD20261129-0001"})
    assert response.status_code == 200
    html = response.text
    assert '<html lang="zh-CN">' in html
    assert '<label for="username">用户名</label>' in html
    assert '<label for="password">密码</label>' in html
    assert '<button type="submit">登录</button>' in html
    assert next_of(html) == "/tickets/GD20261129-0001"
    assert 'src="/static/console.js"' in html and "http" not in re.findall(r'src="([^"]*)"', html)[0]
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "csrftoken" in response.cookies  # the first page gives the token the script sends back
    assert next_of(staff_client.get("/login").text) == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_cannot_point_off_site(staff_client, target):
    assert safe_next(target) == "/"
    assert next_of(staff_client.get("/login", params={"next": target}).text) == "/"
    log_in(staff_client)
    response = staff_client.get("/login", params={"next": target}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


@pytest.mark.parametrize("target", ["/", "/posts", "/tickets/GD20261129-0001", "/?kind=complaint&q=a"])
def test_next_may_be_any_page_of_this_site(target):
    assert safe_next(target) == target


def test_next_is_escaped_in_the_page(staff_client):
    html = staff_client.get("/login", params={"next": '/x"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in html
    assert next_of(html) == "/x&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def test_logged_in_the_queue_renders_with_its_filters_and_links(staff_client):
    log_in(staff_client)
    response = staff_client.get("/")
    assert response.status_code == 200
    html = response.text
    assert "<h1>工单队列</h1>" in html
    for label in ("状态", "类型", "分类", "责任部门", "网格", "渠道", "搜索（工单号、标题、描述、地址）"):
        assert f">{label}</label>" in html
    assert '<option value="lift">电梯故障</option>' in html  # categories from routes.yml
    assert '<option value="社区值班室">社区值班室</option>' in html
    assert 'href="/stats"' in html and 'href="/posts"' in html
    assert '<button type="button" id="logout" class="light">退出登录</button>' in html
    assert "当前登录：<strong>admin</strong>" in html
    assert response.headers["cache-control"] == "no-store"


def test_logged_in_the_login_page_goes_straight_on(staff_client):
    log_in(staff_client)
    response = staff_client.get("/login", params={"next": "/posts"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/posts"


def test_logged_in_a_ticket_page_and_the_posts_page_render(staff_client):
    log_in(staff_client)
    ticket = staff_client.get("/tickets/gd20261129-0001")
    assert ticket.status_code == 200
    assert 'data-number="GD20261129-0001"' in ticket.text
    for heading in ("居民联系方式", "对话记录", "处理记录", "发给居民的消息", "疑似重复工单", "办理"):
        assert heading in ticket.text
    for button in ("认领", "回复居民", "派单", "更改状态", "合并", "改约", "接手对话", "交还小助手", "重新打开工单"):
        assert f">{button}</button>" in ticket.text
    assert staff_client.get("/tickets/not%20a%20number").status_code == 404
    posts = staff_client.get("/posts")
    assert posts.status_code == 200
    assert "<h1>互助帖审核</h1>" in posts.text


def test_viewers_are_sent_to_the_statistics(staff_client, sqlite_url):
    store = TicketService(sqlite_url)
    AccountService(sqlite_url, ensure_schema=store.ensure_schema).create_user(
        "viewer1", "password-123", role=StaffRole.viewer, display_name="统计员"
    )
    log_in(staff_client, "viewer1", "password-123")
    html = staff_client.get("/").text
    assert "您的账号只能查看统计" in html
    assert 'id="filters"' not in html


def test_the_script_and_style_are_served_by_the_service(staff_client):
    script = staff_client.get("/static/console.js")
    assert script.status_code == 200
    assert "x-csrftoken" in script.text
    style = staff_client.get("/static/console.css")
    assert style.status_code == 200
    for page in ("console.js", "console.css"):
        text = staff_client.get(f"/static/{page}").text
        assert "https://" not in text and "http://" not in text  # nothing from another origin
