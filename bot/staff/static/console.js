// 社区通 staff console: the queue, a ticket's page, post moderation and the login form.
// Everything comes from the JSON API under /api on this same origin: the browser keeps the
// HttpOnly staff_session cookie, and every change (POST) carries the CSRF header x-csrftoken
// with the value of the csrftoken cookie (double submit, see bot/staff/app.py). Texts are put
// into the page with textContent only, never as HTML: titles and transcripts come from residents.
(function () {
  "use strict";

  const LABELS = JSON.parse(document.getElementById("console-labels").textContent);
  const OPEN = ["new", "assigned", "in_progress"];
  // A conversation being handed off is refreshed often (the resident's messages appear in it);
  // other tickets only change when someone acts on them.
  const HANDOFF_POLL_MS = 5000;
  const TICKET_POLL_MS = 30000;
  const QUEUE_POLL_MS = 30000;
  const SPEAKERS = { resident: "居民", bot: "小助手", staff: "工作人员" };
  const DELIVERY_STATUS = { sent: "已送达", retrying: "重试中", sending: "发送中", pending: "等居民留言后发送" };
  const PURPOSES = {
    reply: "工作人员回复",
    dispatched: "派单通知",
    rating_request: "办结通知（请居民评价）",
    referred: "转办通知",
    no_action: "无需处理通知",
    booking_cancelled: "预约取消通知",
    booking_confirmed: "预约确认通知",
    reopened: "重新办理通知",
    merged: "合并通知",
    rescheduled: "改约通知",
    taken_over: "人工接手通知",
    handed_back: "交还小助手通知",
  };
  const EVENTS = {
    created: "居民提交",
    claimed: "认领",
    dispatched: "派单",
    staff_reply: "回复居民",
    delivery: "发出消息",
    status: "更改状态",
    reopened: "重新打开",
    merged: "合并到其他工单",
    merged_in: "合并进来一个重复工单",
    taken_over: "工作人员接手对话",
    handed_back: "交还小助手",
    rating_requested: "请居民评价",
    rescheduled: "改约",
    message: "居民留言",
    rated: "居民评价",
  };
  const POST_KINDS = { need: "求助", offer: "帮忙" };
  const POST_STATUS = { pending: "待审核", approved: "已发布", rejected: "已拒绝", closed: "已关闭" };
  // What the API's English validation messages mean, for the people reading them.
  const MESSAGES = {
    "name a colleague or a department": "请选择派给的同事，或填写派到的部门。",
    "a resolution note is needed to resolve a ticket": "办结需要填写办结说明。",
    "name the body the ticket is referred to": "转办需要填写转办单位。",
    "merge the ticket into another one to mark it a duplicate": "标记为重复工单请用“合并”。",
    "a ticket cannot be merged into itself": "不能把工单合并到它自己。",
    "say why the post is rejected": "拒绝互助帖需要写明原因。",
    "merge target must be open": "要合并到的工单已经结束，只能合并到未办结的工单",
    "take over": "接手对话",
    "hand back": "交还小助手",
    reschedule: "改约",
  };
  const FIELDS = {
    text: "回复内容", into: "工单号", at: "时间", note: "说明", status: "状态", reason: "原因",
    referred_to: "转办单位", assignee: "同事", department: "部门", username: "用户名", password: "密码",
  };

  const TIME = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false,
  });

  const notice = document.getElementById("notice");
  const errorBox = document.getElementById("error");

  // --- Talking to the API ---------------------------------------------------------------------

  function cookie(name) {
    const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function statusLabel(value) {
    return LABELS.statuses[value] || value;
  }

  function translate(text) {
    let result = String(text);
    Object.keys(MESSAGES).forEach((english) => { result = result.split(english).join(MESSAGES[english]); });
    Object.keys(LABELS.statuses).forEach((value) => {
      result = result.replace(new RegExp("\\b" + value + "\\b", "g"), LABELS.statuses[value]);
    });
    return result;
  }

  function hasChinese(text) {
    return typeof text === "string" && /[\u4e00-\u9fff]/.test(text);
  }

  function sentence(text) {
    return /[。！？.!?]$/.test(text) ? text : text + "。";
  }

  // A refusal of the API as one sentence in Chinese.
  function explain(status, detail, raw) {
    if (status === 0) { return "网络连接失败，请检查网络后重试。"; }
    if (status === 401) { return hasChinese(detail) ? sentence(detail) : "登录已过期，请重新登录。"; }
    if (status === 403) {
      if (typeof detail !== "string" && /csrf/i.test(raw || "")) {
        return "页面已过期（安全校验没有通过），请刷新页面后再试。";
      }
      return hasChinese(detail) ? sentence(detail) : "您的账号没有权限做这个操作。";
    }
    if (status === 404) { return hasChinese(detail) ? sentence(detail) : "没有找到要找的内容，可能已被删除。"; }
    if (status === 409) {
      return typeof detail === "string" ? sentence(translate(detail)) : "当前状态不能这样操作，请刷新后再试。";
    }
    if (status === 422) {
      if (typeof detail === "string") {
        return MESSAGES[detail] || (hasChinese(detail) ? sentence(detail) : "填写的内容有误：" + translate(detail));
      }
      if (Array.isArray(detail)) {
        const names = detail
          .map((item) => FIELDS[(item.loc || []).slice(-1)[0]])
          .filter((name, index, all) => name && all.indexOf(name) === index);
        return names.length ? "请检查这些内容：" + names.join("、") + "。" : "填写的内容有误，请检查后再试。";
      }
      return "填写的内容有误，请检查后再试。";
    }
    if (status === 503) { return "系统暂时不可用，请稍后再试。"; }
    if (status >= 500) { return "服务器出错了（错误码 " + status + "），请稍后再试。"; }
    return "操作没有成功（错误码 " + status + "）。";
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const options = { method: method, headers: headers, credentials: "same-origin" };
    if (method !== "GET") {
      headers["x-csrftoken"] = cookie("csrftoken");
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (e) {
      throw new ApiError(0, explain(0));
    }
    const raw = await response.text();
    let data = null;
    try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
    if (!response.ok) {
      throw new ApiError(response.status, explain(response.status, data && data.detail, raw));
    }
    return data;
  }

  // --- Showing things -------------------------------------------------------------------------

  function say(text) {
    errorBox.textContent = "";
    notice.textContent = text;
  }

  function fail(error) {
    notice.textContent = "";
    errorBox.textContent = error instanceof ApiError ? error.message : "出错了：" + error;
    if (error instanceof ApiError && error.status === 401 && document.body.dataset.page !== "login") {
      const here = location.pathname + location.search;
      const link = el("a", "重新登录");
      link.href = "/login?next=" + encodeURIComponent(here);
      errorBox.append(" ", link);
    }
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function formatTime(iso) {
    return iso ? TIME.format(new Date(iso)) : "—";
  }

  function isOpen(status) {
    return OPEN.indexOf(status) >= 0;
  }

  // 剩余 5 小时 / 已超时 3 小时 (minutes under an hour); nothing left to count once finished.
  function timeLeft(seconds, open) {
    if (!open) { return "已结束"; }
    const amount = Math.abs(seconds);
    const text = amount < 3600
      ? Math.max(1, Math.floor(amount / 60)) + " 分钟"
      : Math.floor(amount / 3600) + " 小时";
    return (seconds < 0 ? "已超时 " : "剩余 ") + text;
  }

  function isUrgent(ticket) {
    return ticket.priority === 0 || ticket.kind === "emergency";
  }

  function fill(list, items, render) {
    list.replaceChildren.apply(list, items.map(render));
  }

  // Runs an action once at a time: the button is disabled while it is under way. True when it
  // worked; a failure is shown and gives false.
  async function busy(button, work) {
    if (button.disabled) { return false; }
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await work();
      return true;
    } catch (error) {
      fail(error);
      return false;
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  function safeNext(value) {
    if (!value || value.charAt(0) !== "/" || value.startsWith("//") || /[\\\s\u0000-\u001f]/.test(value)) {
      return "/";
    }
    return value;
  }

  const logout = document.getElementById("logout");
  if (logout) {
    logout.addEventListener("click", () => busy(logout, async () => {
      try {
        await api("POST", "/api/logout");
      } catch (error) {
        if (error.status !== 401) { throw error; }
      }
      location.assign("/login");
    }));
  }

  // --- Login ----------------------------------------------------------------------------------

  function loginPage() {
    const form = document.getElementById("login-form");
    const username = document.getElementById("username");
    const password = document.getElementById("password");
    const submit = form.querySelector("button[type=submit]");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!username.value.trim() || !password.value) {
        fail(new ApiError(422, "请输入用户名和密码。"));
        (username.value.trim() ? password : username).focus();
        return;
      }
      busy(submit, async () => {
        try {
          await api("POST", "/api/login", { username: username.value.trim(), password: password.value });
        } catch (error) {
          password.value = "";
          password.focus();
          throw error;
        }
        say("登录成功，正在进入工作台…");
        location.assign(safeNext(form.dataset.next));
      });
    });
  }

  // --- The queue ------------------------------------------------------------------------------

  function queuePage() {
    const form = document.getElementById("filters");
    if (!form) { return; }
    const body = document.querySelector("#queue tbody");
    const count = document.getElementById("count");
    const names = ["status", "kind", "category", "department", "grid", "channel", "q"];

    const params = new URLSearchParams(location.search);
    names.forEach((name) => { if (params.has(name)) { form.elements[name].value = params.get(name); } });

    function query() {
      const chosen = new URLSearchParams();
      names.forEach((name) => {
        const value = form.elements[name].value.trim();
        if (value) { chosen.set(name, value); }
      });
      return chosen;
    }

    function apiQuery(chosen) {
      const sent = new URLSearchParams(chosen);
      if (sent.get("status") === "all") {
        sent.delete("status");
        sent.set("open_only", "false");
      }
      return sent;
    }

    function row(ticket) {
      const open = isOpen(ticket.status);
      const tr = el("tr");
      const classes = [];
      if (isUrgent(ticket)) { classes.push("urgent"); }
      if (ticket.overdue) { classes.push("overdue"); }
      tr.className = classes.join(" ");
      const numberCell = el("td");
      const link = el("a", ticket.number);
      link.href = "/tickets/" + encodeURIComponent(ticket.number);
      numberCell.append(link);
      if (isUrgent(ticket)) { numberCell.append(" ", el("strong", "紧急", "badge urgent")); }
      const left = el("td", null, "time-left");
      left.append(ticket.overdue ? el("strong", timeLeft(ticket.seconds_left, open)) : timeLeft(ticket.seconds_left, open));
      tr.append(
        numberCell,
        el("td", LABELS.kinds[ticket.kind] || ticket.kind, "nowrap"),
        el("td", ticket.title),
        el("td", LABELS.categories[ticket.category] || ticket.category),
        el("td", ticket.department || "—"),
        el("td", ticket.grid || "—"),
        el("td", statusLabel(ticket.status), "nowrap"),
        el("td", [ticket.contact_name, ticket.contact_phone].filter(Boolean).join(" ") || "—"),
        el("td", ticket.assignee || "未认领", "nowrap"),
        el("td", formatTime(ticket.deadline)),
        left,
      );
      return tr;
    }

    async function load() {
      const data = await api("GET", "/api/tickets?" + apiQuery(query()).toString());
      fill(body, data.tickets, row);
      document.getElementById("queue").hidden = data.tickets.length === 0;
      const overdue = data.tickets.filter((ticket) => ticket.overdue).length;
      const urgent = data.tickets.filter(isUrgent).length;
      count.textContent = data.tickets.length
        ? "共 " + data.tickets.length + " 条工单，其中紧急 " + urgent + " 条、已超时 " + overdue + " 条。"
        : "没有符合条件的工单。";
    }

    async function pending() {
      const items = await api("GET", "/api/messages/pending");
      const list = document.getElementById("pending-list");
      document.getElementById("pending-empty").hidden = items.length > 0;
      fill(list, items, (item) => el(
        "li",
        formatTime(item.created_at) + "（" + (LABELS.channels[item.channel] || item.channel) + "）：" + item.text,
      ));
    }

    function refresh() {
      return load().catch(fail);
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = query().toString();
      history.replaceState(null, "", chosen ? "?" + chosen : location.pathname);
      errorBox.textContent = "";
      refresh();
    });
    document.getElementById("clear-filters").addEventListener("click", () => {
      form.reset();
      names.forEach((name) => { form.elements[name].value = ""; });
      form.requestSubmit();
    });
    refresh();
    pending().catch(fail);
    setInterval(() => { if (!document.hidden) { refresh(); } }, QUEUE_POLL_MS);
  }

  // --- A ticket -------------------------------------------------------------------------------

  function ticketPage() {
    const root = document.getElementById("ticket");
    if (!root) { return; }
    const number = root.dataset.number;
    const path = "/api/tickets/" + encodeURIComponent(number);
    const shown = {};
    let latest = null;

    const $ = (id) => document.getElementById(id);

    // A part of the page is redrawn only when its data changed, so a refresh does not move
    // the reader's place or focus.
    function redraw(key, data, draw) {
      const text = JSON.stringify(data);
      if (shown[key] === text) { return; }
      shown[key] = text;
      draw(data);
    }

    function facts(list, pairs) {
      const nodes = [];
      pairs.forEach(([term, value]) => {
        if (value === null || value === undefined || value === "") { return; }
        const dd = el("dd");
        dd.append(value);
        nodes.push(el("dt", term), dd);
      });
      list.replaceChildren.apply(list, nodes);
    }

    function actor(name) {
      if (!name) { return "—"; }
      if (name.startsWith("staff:")) { return "工作人员 " + name.slice(6); }
      if (name.startsWith("resident:")) { return "居民（" + (LABELS.channels[name.slice(9)] || name.slice(9)) + "）"; }
      return { resident: "居民", system: "系统" }[name] || name;
    }

    function eventDetail(event) {
      const data = event.data || {};
      const parts = [];
      if (event.type === "status" || (event.type === "reopened" && data.to)) {
        parts.push(statusLabel(data.from) + " → " + statusLabel(data.to));
        if (data.referred_to) { parts.push("转办到 " + data.referred_to); }
      } else if (event.type === "dispatched") {
        if (data.assignee) { parts.push("派给 " + data.assignee); }
        if (data.department) { parts.push("部门 " + data.department); }
      } else if (event.type === "merged") {
        parts.push("合并到 " + data.into);
      } else if (event.type === "merged_in") {
        parts.push("来自 " + data.from);
      } else if (event.type === "rescheduled") {
        parts.push(formatTime(data.from) + " → " + formatTime(data.to));
      } else if (event.type === "delivery") {
        parts.push(PURPOSES[data.purpose] || data.purpose || "");
      }
      if (event.note) { parts.push(event.note); }
      return parts.filter(Boolean).join("；");
    }

    function takenOver(ticket) {
      const switches = ticket.events.filter((event) => event.type === "taken_over" || event.type === "handed_back");
      return switches.length > 0 && switches[switches.length - 1].type === "taken_over";
    }

    function transcriptLine(line) {
      const item = el("li", null, "line " + (line.role || ""));
      const who = el("span", (SPEAKERS[line.role] || line.role || "") + (line.at ? " · " + formatTime(line.at) : ""), "speaker");
      item.append(who, el("span", line.text || "", "text"));
      return item;
    }

    // New messages are appended (the list is a live region: only they are read out).
    function showTranscript(lines) {
      const list = $("transcript");
      const before = list.children.length;
      const prefix = shown.transcriptLines || [];
      const extends_ = prefix.length <= lines.length
        && JSON.stringify(lines.slice(0, prefix.length)) === JSON.stringify(prefix)
        && before === prefix.length;
      if (extends_) {
        lines.slice(prefix.length).forEach((line) => list.append(transcriptLine(line)));
      } else {
        fill(list, lines, transcriptLine);
      }
      shown.transcriptLines = lines;
      $("no-transcript").hidden = lines.length > 0;
    }

    // The line under the heading changes with every refresh (the time left); it is not a live region.
    function showSummary(ticket) {
      const open = isOpen(ticket.status);
      document.title = "工单 " + ticket.number + " · 社区通工作台";
      $("ticket-title").textContent = "：" + ticket.title;
      $("urgent-badge").hidden = !isUrgent(ticket);
      $("status-text").textContent = statusLabel(ticket.status);
      $("deadline-text").textContent = formatTime(ticket.deadline);
      const left = $("time-left");
      left.textContent = timeLeft(ticket.seconds_left, open);
      left.className = ticket.overdue ? "overdue-text" : "";
    }

    function showFacts(ticket) {
      const mergedInto = ticket.merged_into ? ticketLink(ticket.merged_into) : null;
      facts($("info"), [
        ["类型", LABELS.kinds[ticket.kind] || ticket.kind],
        ["分类", LABELS.categories[ticket.category] || ticket.category],
        ["责任部门", ticket.department],
        ["网格", ticket.grid],
        ["渠道", LABELS.channels[ticket.channel] || ticket.channel],
        ["承办人", ticket.assignee || "未认领"],
        ["首问负责人", ticket.responsible],
        ["提交时间", formatTime(ticket.created_at)],
        ["首次响应", ticket.first_response_at ? formatTime(ticket.first_response_at) : null],
        ["预约时间", ticket.booking_time ? formatTime(ticket.booking_time) : null],
        ["办结时间", ticket.resolved_at ? formatTime(ticket.resolved_at) : null],
        ["办结说明", ticket.resolution],
        ["转办单位", ticket.referred_to],
        ["已合并到", mergedInto],
        ["居民评价", ticket.rating ? ticket.rating + " 分（满分 5 分）" : null],
      ]);
      const phone = ticket.contact_phone ? el("a", ticket.contact_phone) : null;
      if (phone) { phone.href = "tel:" + ticket.contact_phone.replace(/[^\d+]/g, ""); }
      const resident = el("a", ticket.sender_id);
      resident.href = "/residents?sender=" + encodeURIComponent(ticket.sender_id);
      facts($("contact"), [
        ["姓名", ticket.contact_name || "未留"],
        ["电话", phone || "未留"],
        ["地址", ticket.address || "未留"],
        ["居民编号", resident],
      ]);
      $("description").textContent = ticket.description || "（没有描述）";
    }

    function ticketLink(value) {
      const link = el("a", value);
      link.href = "/tickets/" + encodeURIComponent(value);
      return link;
    }

    function showAttachments(items) {
      $("no-attachments").hidden = items.length > 0;
      fill($("attachments"), items, (item) => {
        const li = el("li");
        if (item.kind === "location") {
          li.append("位置：" + (item.label || "") + (item.latitude !== null ? "（" + item.latitude + ", " + item.longitude + "）" : ""));
        } else if (item.url && /^(https?:\/\/|\/(?![\/\\]))/.test(item.url)) {
          const link = el("a", "图片" + (item.label ? "：" + item.label : "") + "（在新窗口打开）");
          link.href = item.url;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
          li.append(link);
        } else {
          li.append((item.kind === "image" ? "图片" : item.kind) + (item.label ? "：" + item.label : ""));
        }
        li.append(" · " + formatTime(item.created_at));
        return li;
      });
    }

    function showDeliveries(deliveries) {
      $("no-deliveries").hidden = deliveries.length > 0;
      $("deliveries").hidden = deliveries.length === 0;
      fill(document.querySelector("#deliveries tbody"), deliveries, (delivery) => {
        const tr = el("tr", null, "delivery " + delivery.status);
        tr.append(
          el("td", PURPOSES[delivery.purpose] || delivery.purpose),
          el("td", DELIVERY_STATUS[delivery.status] || delivery.status, "delivery-status"),
          el("td", String(delivery.attempts)),
          el("td", delivery.last_error || "—"),
        );
        return tr;
      });
    }

    function showDuplicates(numbers, ticket) {
      $("no-duplicates").hidden = numbers.length > 0;
      const canMerge = ticket.allowed_statuses.indexOf("duplicate") >= 0;
      fill($("duplicates"), numbers, (other) => {
        const li = el("li");
        li.append(ticketLink(other));
        if (canMerge) {
          const button = el("button", "把本工单合并到 " + other);
          button.type = "button";
          button.className = "secondary";
          button.addEventListener("click", () => merge(button, other));
          li.append(" ", button);
        }
        return li;
      });
    }

    function showEvents(events) {
      fill($("events"), events, (event) => {
        const li = el("li");
        li.append(
          el("span", formatTime(event.created_at), "when"),
          " ",
          el("strong", EVENTS[event.type] || event.type),
          " · " + actor(event.actor),
        );
        const detail = eventDetail(event);
        if (detail) { li.append(el("span", detail, "detail")); }
        return li;
      });
    }

    // The usual next steps first; a duplicate is marked by merging, not here.
    const MOVE_ORDER = ["in_progress", "resolved", "assigned", "referred", "no_action", "closed", "cancelled"];
    const NOTE_LABELS = {
      resolved: "办结说明（必填，会发给居民）",
      referred: "转办说明（会发给居民）",
      no_action: "不需处理的原因（会发给居民）",
      cancelled: "取消原因（会发给居民）",
      in_progress: "说明（可不填）",
    };

    function statusOptionLabel(value, ticket) {
      if (value === "in_progress" && !isOpen(ticket.status)) { return "重新打开（处理中）"; }
      if (value === "resolved") { return "已办结（问题已解决）"; }
      if (value === "referred") { return "转办（不归本社区管）"; }
      return statusLabel(value);
    }

    function showStatusChoice() {
      const value = $("status-select").value;
      $("referred-box").hidden = value !== "referred";
      $("referred-to").required = value === "referred";
      $("status-note").required = value === "resolved";
      $("status-note-label").textContent = NOTE_LABELS[value] || "说明（可不填）";
    }

    function showActions(ticket) {
      const open = isOpen(ticket.status);
      const moves = MOVE_ORDER.filter((value) => ticket.allowed_statuses.indexOf(value) >= 0);
      $("finished-note").hidden = open;
      $("claim-box").hidden = !open;
      $("assign-box").hidden = ticket.allowed_statuses.indexOf("assigned") < 0;
      $("merge-box").hidden = ticket.allowed_statuses.indexOf("duplicate") < 0;
      $("reopen-box").hidden = open || moves.indexOf("in_progress") < 0;
      $("status-box").hidden = moves.length === 0;
      $("reschedule-box").hidden = !(open && ticket.booking_time);
      $("handoff-box").hidden = !(open && ticket.kind === "handoff");
      const select = $("status-select");
      const previous = select.value;
      fill(select, moves, (value) => {
        const option = el("option", statusOptionLabel(value, ticket));
        option.value = value;
        return option;
      });
      if (moves.indexOf(previous) >= 0) { select.value = previous; }
      showStatusChoice();
    }

    function showHandoff(ticket) {
      const state = $("handoff-state");
      const handoff = ticket.kind === "handoff" && isOpen(ticket.status);
      state.hidden = !handoff;
      if (handoff) {
        state.textContent = takenOver(ticket)
          ? "工作人员已接手对话：小助手暂停回复，居民的新消息会出现在下面。"
          : "居民请求人工服务，目前还是小助手在接待。";
        $("takeover").disabled = takenOver(ticket);
        $("handback").disabled = !takenOver(ticket);
      }
    }

    function show(page) {
      const ticket = page.ticket;
      latest = ticket;
      $("loading").hidden = true;
      root.hidden = false;
      showSummary(ticket);
      const stable = Object.assign({}, ticket, { seconds_left: 0, overdue: false, transcript: [], events: [] });
      redraw("facts", stable, () => showFacts(ticket));
      showTranscript(ticket.transcript);
      redraw("attachments", ticket.attachments, showAttachments);
      redraw("deliveries", page.deliveries, showDeliveries);
      redraw("duplicates", [ticket.likely_duplicates, ticket.allowed_statuses], () => showDuplicates(ticket.likely_duplicates, ticket));
      redraw("events", ticket.events, showEvents);
      redraw("actions", [ticket.status, ticket.kind, ticket.allowed_statuses, ticket.booking_time], () => showActions(ticket));
      showHandoff(ticket);
    }

    // The first load is the audited view of the contact data; refreshes say they are refreshes.
    async function load(first) {
      show(await api("GET", path + (first ? "" : "?refresh=1")));
    }

    function pollEvery() {
      return latest && latest.kind === "handoff" && isOpen(latest.status) ? HANDOFF_POLL_MS : TICKET_POLL_MS;
    }

    function poll() {
      setTimeout(async () => {
        if (!document.hidden) {
          try {
            await load(false);
          } catch (error) {
            if (error.status === 401 || error.status === 403 || error.status === 404) {
              fail(error);
              return;  // no more refreshing: the page says why
            }
            notice.textContent = "自动刷新没有成功，稍后会再试。";
          }
        }
        poll();
      }, pollEvery());
    }

    // busy() gives the button back when done; the take-over buttons then follow the ticket again.
    function act(button, action, body, done) {
      return busy(button, async () => {
        show(await api("POST", path + "/" + action, body));
        say(done);
      }).then((worked) => {
        if (latest) { showHandoff(latest); }
        return worked;
      });
    }

    function merge(button, into) {
      if (!window.confirm("确定把本工单作为重复工单合并到 " + into + " 吗？合并后本工单关闭，居民会收到通知。")) { return; }
      act(button, "merge", { into: into }, "已合并到 " + into + "，本工单已关闭。");
    }

    function submitButton(form) {
      return form.querySelector("button[type=submit]");
    }

    $("claim").addEventListener("click", (event) => act(event.currentTarget, "claim", undefined, "已认领，这个工单由您承办。"));
    $("takeover").addEventListener("click", (event) => act(event.currentTarget, "takeover", undefined, "已接手对话，居民已收到通知。"));
    $("handback").addEventListener("click", (event) => act(event.currentTarget, "handback", undefined, "已交还小助手。"));
    $("reopen").addEventListener("click", (event) => act(event.currentTarget, "status", { status: "in_progress" }, "工单已重新打开。"));

    $("reply-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("reply-text").value.trim();
      if (!text) { fail(new ApiError(422, "请先写好回复内容。")); $("reply-text").focus(); return; }
      act(submitButton(event.target), "reply", { text: text }, "回复已发出，送达情况见“发给居民的消息”。").then((done) => {
        if (done) { $("reply-text").value = ""; }
      });
    });

    $("assign-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const body = {
        assignee: $("assign-user").value || null,
        department: $("assign-department").value.trim() || null,
        note: $("assign-note").value.trim() || null,
      };
      if (!body.assignee && !body.department) {
        fail(new ApiError(422, MESSAGES["name a colleague or a department"]));
        $("assign-user").focus();
        return;
      }
      act(submitButton(event.target), "assign", body, "已派单。").then((done) => {
        if (done) { $("assign-note").value = ""; }
      });
    });

    $("status-select").addEventListener("change", showStatusChoice);
    $("status-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const status = $("status-select").value;
      const note = $("status-note").value.trim();
      const referredTo = $("referred-to").value.trim();
      if (status === "resolved" && !note) {
        fail(new ApiError(422, MESSAGES["a resolution note is needed to resolve a ticket"]));
        $("status-note").focus();
        return;
      }
      if (status === "referred" && !referredTo) {
        fail(new ApiError(422, MESSAGES["name the body the ticket is referred to"]));
        $("referred-to").focus();
        return;
      }
      const body = { status: status, note: note || null, referred_to: status === "referred" ? referredTo : null };
      act(submitButton(event.target), "status", body, "状态已改为“" + statusLabel(status) + "”。").then((done) => {
        if (done) { $("status-note").value = ""; $("referred-to").value = ""; }
      });
    });

    $("merge-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const into = $("merge-into").value.trim().toUpperCase();
      if (!into) { fail(new ApiError(422, "请填写要合并到的工单号。")); $("merge-into").focus(); return; }
      merge(submitButton(event.target), into);
    });

    // datetime-local is a wall-clock time without a zone: it is Beijing time (UTC+8, no DST).
    $("reschedule-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const local = $("reschedule-at").value;
      if (!local) { fail(new ApiError(422, "请选择新的预约时间。")); $("reschedule-at").focus(); return; }
      const at = (local.length === 16 ? local + ":00" : local) + "+08:00";
      const body = { at: at, note: $("reschedule-note").value.trim() || null };
      act(submitButton(event.target), "reschedule", body, "已改约到 " + formatTime(at) + "，居民会收到通知。");
    });

    async function colleagues() {
      const users = await api("GET", "/api/staff");
      const select = $("assign-user");
      users.filter((user) => user.role !== "viewer").forEach((user) => {
        const option = el("option", user.display_name ? user.display_name + "（" + user.username + "）" : user.username);
        option.value = user.username;
        select.append(option);
      });
    }

    load(true).then(poll, (error) => {
      $("loading").textContent = "工单没有加载出来。";
      fail(error);
    });
    colleagues().catch(() => { /* assigning to a department still works */ });
  }

  // --- Mutual-help posts ----------------------------------------------------------------------

  function postsPage() {
    const form = document.getElementById("post-filter");
    if (!form) { return; }
    const body = document.querySelector("#posts tbody");
    const count = document.getElementById("count");
    const status = document.getElementById("post-status");

    function actionCell(post) {
      const cell = el("td", null, "post-actions");
      async function moderate(button, action, reason, done) {
        await busy(button, async () => {
          await api("POST", "/api/posts/" + post.id + "/" + action, { reason: reason || null });
          say(done);
          await load();
        });
      }
      if (post.status === "pending") {
        const approve = el("button", "通过");
        approve.type = "button";
        approve.addEventListener("click", () => moderate(approve, "approve", null, "互助帖 #" + post.id + " 已通过，居民会收到通知。"));
        const label = el("label", "拒绝原因");
        const reason = el("input");
        reason.id = "reason-" + post.id;
        reason.type = "text";
        reason.maxLength = 500;
        label.htmlFor = reason.id;
        const reject = el("button", "拒绝", "secondary");
        reject.type = "button";
        reject.addEventListener("click", () => {
          if (!reason.value.trim()) {
            fail(new ApiError(422, MESSAGES["say why the post is rejected"]));
            reason.focus();
            return;
          }
          moderate(reject, "reject", reason.value.trim(), "互助帖 #" + post.id + " 已拒绝，原因已告诉居民。");
        });
        cell.append(approve, el("span", null, "reject-row"));
        cell.lastChild.append(label, reason, reject);
      } else if (post.status === "approved") {
        const close = el("button", "关闭", "secondary");
        close.type = "button";
        close.addEventListener("click", () => moderate(close, "close", null, "互助帖 #" + post.id + " 已关闭。"));
        cell.append(close);
      } else {
        cell.append(post.reject_reason ? "原因：" + post.reject_reason : "—");
      }
      return cell;
    }

    function row(post) {
      const tr = el("tr");
      tr.append(
        el("td", "#" + post.id),
        el("td", POST_KINDS[post.kind] || post.kind),
        el("td", post.content, "prewrap"),
        el("td", post.when_text || "—"),
        el("td", post.contact_phone || "—"),
        el("td", formatTime(post.created_at)),
        el("td", POST_STATUS[post.status] || post.status),
        actionCell(post),
      );
      return tr;
    }

    async function load() {
      const posts = await api("GET", "/api/posts?status=" + encodeURIComponent(status.value));
      fill(body, posts, row);
      document.getElementById("posts").hidden = posts.length === 0;
      count.textContent = posts.length
        ? "共 " + posts.length + " 条" + POST_STATUS[status.value] + "的互助帖。"
        : "没有" + POST_STATUS[status.value] + "的互助帖。";
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      errorBox.textContent = "";
      load().catch(fail);
    });
    load().catch(fail);
  }

  // --- One resident's data (admins): what is kept, export, erasure -------------------------------

  function residentsPage() {
    const find = document.getElementById("resident-find");
    if (!find) { return; }
    const input = document.getElementById("sender");
    const section = document.getElementById("resident");
    const kept = document.getElementById("kept");
    const erase = document.getElementById("erase");
    const confirmInput = document.getElementById("erase-confirm");
    let shown = "";

    function path(sender, rest) {
      return "/api/residents/" + encodeURIComponent(sender) + (rest || "");
    }

    function listed(values) {
      return values.length ? values.join("、") : "无";
    }

    async function load() {
      const sender = input.value.trim();
      if (!sender) { return; }
      const data = await api("GET", path(sender));
      shown = sender;
      const pairs = [
        ["工单", data.tickets + " 件（预约 " + data.bookings + " 件，未办完 " + data.open_tickets + " 件）"],
        ["互助帖", data.posts + " 条"],
        ["评价", data.feedback + " 条"],
        ["电话（打码）", listed(data.phones)],
        ["联系人（打码）", listed(data.names)],
        ["地址（到楼栋）", listed(data.buildings)],
      ];
      kept.replaceChildren();
      pairs.forEach((pair) => kept.append(el("dt", pair[0]), el("dd", pair[1])));
      section.hidden = false;
    }

    find.addEventListener("submit", (event) => {
      event.preventDefault();
      errorBox.textContent = "";
      load().catch(fail);
    });

    document.getElementById("export").addEventListener("click", (event) => {
      busy(event.currentTarget, async () => {
        const data = await api("GET", path(shown, "/export"));
        const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
        const link = el("a");
        link.href = URL.createObjectURL(blob);
        link.download = "resident-data.json";
        link.click();
        URL.revokeObjectURL(link.href);
        say("已导出，导出已记入审计日志。");
      });
    });

    erase.addEventListener("submit", (event) => {
      event.preventDefault();
      const button = erase.querySelector("button");
      busy(button, async () => {
        const result = await api("POST", path(shown, "/erase"), { confirm: confirmInput.value.trim() });
        confirmInput.value = "";
        section.hidden = true;
        say("已删除：工单 " + result.tickets + " 件、互助帖 " + result.posts + " 条、评价 " + result.feedback
          + " 条已匿名，照片 " + result.attachments + " 张已删除。"
          + (result.conversation_emptied ? "聊天记录已清空。" : "聊天记录稍后自动清空。"));
      });
    });

    if (input.value.trim()) { load().catch(fail); }
  }

  const pages = { login: loginPage, queue: queuePage, ticket: ticketPage, posts: postsPage, residents: residentsPage };
  const start = pages[document.body.dataset.page];
  if (start) { start(); }
})();
