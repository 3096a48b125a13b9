// 社区通 statistics page. The figures come from /api/stats (same origin, the staff_session
// cookie); the charts are drawn by the vendored Chart.js (/static/vendor/chart.umd.min.js), so
// the page works without internet access. Every chart has a data table next to it for screen
// readers and for copying. The filter lives in the address (?since=&until=&department=), so a
// view can be bookmarked and the CSV link exports exactly what is shown.
(function () {
  "use strict";

  // Okabe-Ito colours: told apart with the common kinds of colour blindness.
  const KIND_COLOURS = {
    complaint: "#0072B2",
    suggestion: "#009E73",
    booking: "#56B4E9",
    handoff: "#E69F00",
    emergency: "#D55E00",
    legal: "#CC79A7",
  };
  const STATUS_LABELS = { new: "新工单", assigned: "已派单", in_progress: "处理中" };
  const ON_TIME = "#009E73";
  const LATE = "#D55E00";
  const NOT_DUE = "#BBBBBB";
  const BAR = "#0072B2";

  const form = document.getElementById("filters");
  const since = document.getElementById("since");
  const until = document.getElementById("until");
  const department = document.getElementById("department");
  const exportLink = document.getElementById("export");
  const status = document.getElementById("status");
  const charts = {};

  const reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  Chart.defaults.font.size = 16;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#111";
  Chart.defaults.maintainAspectRatio = false;
  if (reduceMotion) { Chart.defaults.animation = false; }

  function query() {
    const params = new URLSearchParams();
    if (since.value) { params.set("since", since.value); }
    if (until.value) { params.set("until", until.value); }
    if (department.value) { params.set("department", department.value); }
    return params.toString();
  }

  function formatHours(hours) {
    if (hours === null || hours === undefined) { return "暂无"; }
    if (hours < 1) { return Math.max(1, Math.round(hours * 60)) + " 分钟"; }
    if (hours < 48) { return hours.toFixed(1) + " 小时"; }
    return (hours / 24).toFixed(1) + " 天";
  }

  function formatTime(iso) {
    return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  }

  function setText(id, text) {
    document.getElementById(id).textContent = text;
  }

  // A table from a header row and body rows; cells that are numbers are right-aligned.
  function fillTable(id, header, rows, rowClass) {
    const table = document.getElementById(id);
    table.replaceChildren();
    const head = table.createTHead().insertRow();
    header.forEach(function (text) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      head.appendChild(th);
    });
    const body = table.createTBody();
    rows.forEach(function (cells, index) {
      const row = body.insertRow();
      if (rowClass) { row.className = rowClass(index); }
      cells.forEach(function (value) {
        const cell = row.insertCell();
        cell.textContent = value;
        if (typeof value === "number") { cell.className = "number"; }
      });
    });
  }

  function draw(name, config) {
    if (charts[name]) { charts[name].destroy(); }
    charts[name] = new Chart(document.getElementById("chart-" + name), config);
  }

  function renderCards(stats) {
    const share = stats.within_deadline;
    setText("card-created", String(stats.tickets_created));
    setText("card-rate", share.rate === null ? "暂无" : (share.rate * 100).toFixed(1) + "%");
    setText("card-rate-note", "应办结 " + share.due + " 件，按时 " + share.on_time + " 件，超时 " + share.late + " 件");
    setText("card-first-response", formatHours(stats.first_response.average_hours));
    setText("card-first-response-note", "共 " + stats.first_response.tickets + " 件有回复记录");
    setText("card-resolution", formatHours(stats.resolution.average_hours));
    setText("card-resolution-note", "共 " + stats.resolution.tickets + " 件已办结");
    const satisfaction = stats.satisfaction;
    setText("card-satisfaction", satisfaction.average === null ? "暂无" : satisfaction.average.toFixed(2) + " 分");
    setText("card-satisfaction-note", "满分 5 分，共 " + satisfaction.ratings + " 条评价");
    setText("card-emergencies", String(stats.open_emergencies));
    document.getElementById("card-emergencies-box").classList.toggle("alert", stats.open_emergencies > 0);
    setText("card-unanswered", String(stats.unanswered.questions));
    setText("card-unanswered-note", "累计被问 " + stats.unanswered.asked + " 次");
  }

  function renderPerDay(stats) {
    const kinds = Object.keys(stats.kind_labels);
    const labels = stats.per_day.map(function (day) { return day.day.slice(5); });
    draw("per-day", {
      type: "bar",
      data: {
        labels: labels,
        datasets: kinds.map(function (kind) {
          return {
            label: stats.kind_labels[kind],
            data: stats.per_day.map(function (day) { return day.by_kind[kind] || 0; }),
            backgroundColor: KIND_COLOURS[kind] || BAR,
          };
        }),
      },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
    fillTable(
      "table-per-day",
      ["日期", "合计"].concat(kinds.map(function (kind) { return stats.kind_labels[kind]; })),
      stats.per_day.map(function (day) {
        return [day.day, day.total].concat(kinds.map(function (kind) { return day.by_kind[kind] || 0; }));
      })
    );
  }

  function renderPerCategory(stats) {
    const rows = stats.per_category;
    draw("per-category", {
      type: "bar",
      data: {
        labels: rows.map(function (row) { return row.full_label; }),
        datasets: [{
          label: "工单数",
          data: rows.map(function (row) { return row.count; }),
          backgroundColor: rows.map(function (row) { return KIND_COLOURS[row.kind] || BAR; }),
        }],
      },
      options: {
        indexAxis: "y",
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } },
      },
    });
    fillTable(
      "table-per-category",
      ["类型", "分类", "工单数"],
      rows.map(function (row) { return [stats.kind_labels[row.kind] || row.kind, row.label, row.count]; })
    );
  }

  function renderDeadline(stats) {
    const share = stats.within_deadline;
    const nothingDue = share.due === 0;
    draw("deadline", {
      type: "doughnut",
      data: {
        labels: nothingDue ? ["暂无应办结工单"] : ["按时办结", "超时"],
        datasets: [{
          data: nothingDue ? [1] : [share.on_time, share.late],
          backgroundColor: nothingDue ? [NOT_DUE] : [ON_TIME, LATE],
        }],
      },
      options: { plugins: { legend: { position: "bottom" }, tooltip: { enabled: !nothingDue } } },
    });
    fillTable("table-deadline", ["项目", "件数"], [
      ["应办结", share.due],
      ["按时办结", share.on_time],
      ["超时（含超时未办结）", share.late],
      ["其中超时仍未办结", share.open_overdue],
    ]);
  }

  function renderSatisfaction(stats) {
    const distribution = stats.satisfaction.distribution;
    draw("satisfaction", {
      type: "bar",
      data: {
        labels: distribution.map(function (entry) { return entry.rating + " 分"; }),
        datasets: [{ label: "评价数", data: distribution.map(function (entry) { return entry.count; }), backgroundColor: BAR }],
      },
      options: {
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } },
      },
    });
    fillTable("table-satisfaction", ["评分", "评价数"], distribution.map(function (entry) {
      return [entry.rating + " 分", entry.count];
    }));
  }

  function renderLists(stats) {
    const emergencies = stats.emergencies;
    document.getElementById("emergencies-empty").hidden = emergencies.length > 0;
    fillTable(
      "table-emergencies",
      emergencies.length ? ["工单号", "状态", "部门", "提交时间", "办结时限"] : [],
      emergencies.map(function (item) {
        return [
          item.number,
          (STATUS_LABELS[item.status] || item.status) + (item.overdue ? "（已超时）" : ""),
          item.department,
          formatTime(item.created_at),
          formatTime(item.deadline),
        ];
      }),
      function (index) { return emergencies[index].overdue ? "overdue" : ""; }
    );
    const top = stats.unanswered.top;
    document.getElementById("unanswered-empty").hidden = top.length > 0;
    fillTable(
      "table-unanswered",
      top.length ? ["问题", "累计被问次数"] : [],
      top.map(function (item) { return [item.question, item.count]; })
    );
  }

  function fillDepartments(stats) {
    const chosen = stats.period.department || "";
    const names = stats.departments.slice();
    if (chosen && names.indexOf(chosen) < 0) { names.push(chosen); }
    department.replaceChildren(new Option("全部部门", ""));
    names.forEach(function (name) { department.appendChild(new Option(name, name, false, name === chosen)); });
    department.value = chosen;
  }

  function render(stats) {
    since.value = stats.period.since;
    until.value = stats.period.until;
    fillDepartments(stats);
    renderCards(stats);
    renderPerDay(stats);
    renderPerCategory(stats);
    renderDeadline(stats);
    renderSatisfaction(stats);
    renderLists(stats);
    exportLink.href = "/api/stats.csv?" + query();
    status.classList.remove("error");
    status.textContent = "统计区间：" + stats.period.since + " 至 " + stats.period.until +
      "（" + (stats.period.department || "全部部门") + "），更新于 " + formatTime(stats.generated_at);
  }

  function fail(message) {
    status.classList.add("error");
    status.textContent = message;
  }

  async function load() {
    status.classList.remove("error");
    status.textContent = "正在加载统计数据…";
    let response;
    try {
      response = await fetch("/api/stats?" + query(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch (error) {
      fail("连不上服务器，请检查网络后刷新页面。");
      return;
    }
    if (response.status === 401) {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
      return;
    }
    if (response.status === 422) {
      fail("日期不对：结束日期不能早于开始日期，统计区间最长一年。");
      return;
    }
    if (!response.ok) {
      fail("统计数据暂时取不到（" + response.status + "），请稍后再试。");
      return;
    }
    render(await response.json());
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const search = query();
    window.history.replaceState(null, "", search ? "?" + search : window.location.pathname);
    load();
  });

  const params = new URLSearchParams(window.location.search);
  since.value = params.get("since") || "";
  until.value = params.get("until") || "";
  if (params.get("department")) { department.appendChild(new Option(params.get("department"), params.get("department"), true, true)); }
  load();
})();
