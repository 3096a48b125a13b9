// 社区通 staff console: the duty alarm. Every open console page long-polls /api/alerts for the
// emergencies nobody has acknowledged (answered at once when they differ from those shown), shows them in a banner with a "确认收到" button, sounds a
// beep until one is acknowledged and raises a browser notification for each new one. Browsers
// allow notifications and sound only after the user did something on the page, so the banner
// offers a button for that. Texts go in with textContent only: titles come from residents.
(function () {
  "use strict";

  const root = document.getElementById("alarm");
  if (!root) { return; }
  const list = document.getElementById("alarm-list");
  const enable = document.getElementById("alarm-enable");
  const WAIT_SECONDS = 20;
  const RETRY_MS = 5000;
  const BEEP_EVERY_MS = 2500;
  let newest = 0;
  let open = [];
  let audio = null;

  function cookie(name) {
    const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }

  async function call(method, path) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") { headers["x-csrftoken"] = cookie("csrftoken"); }
    const response = await fetch(path, { method: method, headers: headers, credentials: "same-origin" });
    if (!response.ok) {
      const error = new Error("HTTP " + response.status);
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  // --- Sound and notifications ----------------------------------------------------------------

  function unlockSound() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) { audio = new Context(); }
    if (audio && audio.state === "suspended") { audio.resume(); }
  }

  function beep() {
    if (!audio || audio.state !== "running") { return; }
    [0, 0.35].forEach((start) => {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.type = "square";
      tone.frequency.value = 880;
      gain.gain.value = 0.2;
      tone.connect(gain).connect(audio.destination);
      tone.start(audio.currentTime + start);
      tone.stop(audio.currentTime + start + 0.25);
    });
  }

  function showEnable() {
    const asked = !("Notification" in window) || Notification.permission !== "default";
    enable.hidden = asked && audio !== null && audio.state === "running";
  }

  enable.addEventListener("click", () => {
    unlockSound();
    if ("Notification" in window && Notification.permission === "default") {
      Notification.requestPermission().then(showEnable, showEnable);
    }
    showEnable();
  });
  // Any click on the page is a gesture that lets the beep sound.
  document.addEventListener("click", unlockSound, { once: true });

  function notify(alarm) {
    if (!("Notification" in window) || Notification.permission !== "granted") { return; }
    const note = new Notification("紧急求助 " + alarm.ticket_number, {
      body: alarm.title + (alarm.address ? "\n地址：" + alarm.address : ""),
      tag: "alarm-" + alarm.id,
      requireInteraction: true,
    });
    note.onclick = () => { window.focus(); location.assign("/tickets/" + encodeURIComponent(alarm.ticket_number)); };
  }

  setInterval(() => { if (open.length) { beep(); } }, BEEP_EVERY_MS);

  // --- The banner -----------------------------------------------------------------------------

  function item(alarm) {
    const li = el("li", null, "alarm-item");
    const link = el("a", alarm.ticket_number);
    link.href = "/tickets/" + encodeURIComponent(alarm.ticket_number);
    const what = el("span", " " + alarm.title + (alarm.address ? "（" + alarm.address + "）" : ""));
    const level = alarm.level ? el("strong", "已升级第 " + (alarm.level + 1) + " 次通知", "alarm-level") : null;
    const ack = el("button", "确认收到，我来处理");
    ack.type = "button";
    ack.className = "alarm-ack";
    ack.addEventListener("click", async () => {
      ack.disabled = true;
      try {
        await call("POST", "/api/alerts/" + alarm.id + "/ack");
        show(open.filter((other) => other.id !== alarm.id));
      } catch (error) {
        ack.disabled = false;
        what.textContent = " " + alarm.title + "（确认没有成功，请再点一次）";
      }
    });
    li.append(el("strong", "紧急求助 "), link, what, " ");
    if (level) { li.append(level, " "); }
    li.append(ack);
    return li;
  }

  function show(alarms) {
    open = alarms;
    list.replaceChildren.apply(list, alarms.map(item));
    root.hidden = alarms.length === 0;
    if (alarms.length) { showEnable(); }
  }

  async function poll() {
    try {
      const shown = open.map((alarm) => alarm.id).join(",");
      const alarms = await call("GET", "/api/alerts?shown=" + shown + "&wait=" + WAIT_SECONDS);
      const fresh = alarms.filter((alarm) => alarm.id > newest);
      fresh.forEach(notify);
      if (fresh.length) { beep(); }
      newest = alarms.reduce((most, alarm) => Math.max(most, alarm.id), newest);
      show(alarms);
      setTimeout(poll, 0);
    } catch (error) {
      if (error.status === 401 || error.status === 403) { return; }  // logged out: the page says so
      setTimeout(poll, RETRY_MS);
    }
  }

  poll();

  // --- A ticket's own alerts (ticket page of an emergency) ------------------------------------

  const ROUTES = { console: "工作台", duty_group: "值班群", gateway: "短信/电话", personal: "本人聊天" };
  const STATES = {
    pending: "发送中", delivered: "已送达", acknowledged: "已确认", escalated: "无人确认，已升级", failed: "发送失败",
  };
  const section = document.getElementById("ticket-alerts");
  const ticket = document.getElementById("ticket");
  if (section && ticket) {
    const body = section.querySelector("tbody");
    const path = "/api/tickets/" + encodeURIComponent(ticket.dataset.number) + "/alerts";
    const row = (alert) => {
      const tr = el("tr", null, "alert " + alert.state);
      const to = ROUTES[alert.route] + (alert.staff_username ? "：" + alert.staff_username : "");
      tr.append(
        el("td", to),
        el("td", String(alert.level + 1)),
        el("td", STATES[alert.state] || alert.state),
        el("td", alert.acknowledged_by || "—"),
        el("td", alert.last_error || "—"),
      );
      return tr;
    };
    const load = async () => {
      try {
        const alerts = await call("GET", path);
        body.replaceChildren.apply(body, alerts.map(row));
        section.hidden = alerts.length === 0;
      } catch (error) {
        if (error.status === 401 || error.status === 403 || error.status === 404) { return; }
      }
      setTimeout(load, 10000);
    };
    load();
  }
})();
