// 社区通 web chat. What the resident types goes to /chat/send (the service relays it to Rasa and
// answers even when Rasa is down). Staff replies and other later messages are polled from
// /chat/updates every few seconds while the page is visible: no socket library, no second origin
// (see bot/staff/webchat.py). Sender id, transcript, poll cursor and the large-text choice live in
// localStorage, so a reload keeps the conversation.
(function () {
  "use strict";

  const KEYS = { sender: "stt-sender", history: "stt-history", cursor: "stt-cursor", bigger: "stt-bigger" };
  const HISTORY_LIMIT = 200;
  const POLL_MS = 4000;
  const MAX_POLL_MS = 30000;
  const SPEAKERS = { resident: "我", bot: "小助手", staff: "工作人员" };
  const OFFLINE = "网络好像断了，您的消息没有发出去。请检查网络后再试。遇到危险请直接拨打 110、119、120。";

  const root = document.documentElement;
  const log = document.getElementById("log");
  const busy = document.getElementById("busy");
  const handoff = document.getElementById("handoff");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const bigger = document.getElementById("bigger");

  // Storage can be switched off (private browsing, a full store): the chat then still works and
  // only forgets on reload.
  function load(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function save(key, text) {
    try { window.localStorage.setItem(key, text); } catch (e) { /* forgotten on reload */ }
  }

  function read(key, fallback) {
    try {
      const text = load(key);
      return text === null ? fallback : JSON.parse(text);
    } catch (e) {
      return fallback;
    }
  }

  function write(key, value) {
    save(key, JSON.stringify(value));
  }

  // The sender id and the large-text choice are plain strings, as the first version stored them.
  function senderId() {
    let id = load(KEYS.sender) || "";
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
      const random = window.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random();
      id = String(random).replace(/[^A-Za-z0-9-]/g, "");
      save(KEYS.sender, id);
    }
    return id;
  }

  // A set of options is answered once: a second (or double) tap must not send twice, and the
  // choice is remembered across reloads.
  function choose(entry, options, button, choice) {
    options.querySelectorAll("button").forEach(function (other) { other.disabled = true; });
    button.classList.add("chosen");
    const items = read(KEYS.history, []);
    items.forEach(function (item) { if (item.id === entry.id) { item.chosen = choice.title; } });
    write(KEYS.history, items);
    send(choice.payload, choice.title);
  }

  function render(entry) {
    const item = document.createElement("li");
    item.className = entry.role;
    const speaker = document.createElement("span");
    speaker.className = "speaker";
    speaker.textContent = (SPEAKERS[entry.role] || SPEAKERS.bot) + "：";
    item.appendChild(speaker);
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = entry.text || "";
    item.appendChild(text);
    if (entry.buttons && entry.buttons.length) {
      const options = document.createElement("div");
      options.className = "options";
      options.setAttribute("role", "group");
      options.setAttribute("aria-label", "可以点选的选项");
      entry.buttons.forEach(function (choice) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = choice.title;
        button.disabled = Boolean(entry.chosen);
        button.classList.toggle("chosen", entry.chosen === choice.title);
        button.addEventListener("click", function () { choose(entry, options, button, choice); });
        options.appendChild(button);
      });
      item.appendChild(options);
    }
    log.appendChild(item);
    toBottom();
  }

  // The composer is sticky at the bottom of the page: the newest message sits right above it.
  function toBottom() {
    window.scrollTo(0, document.documentElement.scrollHeight);
  }

  function add(entry) {
    entry.id = Date.now().toString(36) + Math.random().toString(36).slice(2);
    const items = read(KEYS.history, []);
    items.push(entry);
    write(KEYS.history, items.slice(-HISTORY_LIMIT));
    render(entry);
  }

  function showBusy(on) {
    busy.hidden = !on;
    if (on) { toBottom(); }
  }

  // One message at a time, so answers always appear in the order the resident asked.
  let queue = Promise.resolve();

  function send(message, shown) {
    add({ role: "resident", text: shown || message });
    queue = queue.then(function () { return deliver(message); });
  }

  async function deliver(message) {
    showBusy(true);
    try {
      const response = await fetch("/chat/send", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: senderId(), message: message })
      });
      const answers = await response.json(); // a 503 still carries a reply for the resident
      if (!Array.isArray(answers)) { throw new Error("unexpected answer"); }
      answers.forEach(function (answer) {
        if (answer.text || (answer.buttons && answer.buttons.length)) {
          add({ role: "bot", text: answer.text || "", buttons: answer.buttons || [] });
        }
      });
    } catch (e) {
      add({ role: "bot", text: OFFLINE });
    } finally {
      showBusy(false);
    }
    poll(); // this turn may have handed the chat to staff
  }

  let polling = false;
  let pollAgain = false;
  let delay = POLL_MS;
  let timer = null;

  async function poll() {
    if (polling) { pollAgain = true; return; }
    polling = true;
    try {
      const query = "?sender=" + encodeURIComponent(senderId()) + "&after=" + encodeURIComponent(read(KEYS.cursor, 0));
      const response = await fetch("/chat/updates" + query, { cache: "no-store" });
      if (!response.ok) { throw new Error("updates " + response.status); }
      const update = await response.json();
      if (handoff.hidden === update.handoff) {
        handoff.hidden = !update.handoff;
        toBottom(); // the banner changes the composer's height
      }
      update.messages.forEach(function (message) {
        add({ role: message.staff ? "staff" : "bot", text: message.text, buttons: message.buttons });
      });
      write(KEYS.cursor, update.cursor);
      delay = POLL_MS;
    } catch (e) {
      delay = Math.min(delay * 2, MAX_POLL_MS); // Rasa or the network is down: ask less often
    } finally {
      polling = false;
      if (pollAgain) { pollAgain = false; poll(); } else { schedule(); }
    }
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      if (document.hidden) { schedule(); } else { poll(); }
    }, delay);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { poll(); }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
    input.focus();
  });

  // Enter sends, Shift+Enter starts a new line. While a Chinese IME is composing, Enter only
  // confirms the candidate: compositionstart/compositionend, isComposing and Safari's keyCode 229.
  let composing = false;
  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () { composing = false; });
  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey) { return; }
    if (composing || event.isComposing || event.keyCode === 229) { return; }
    event.preventDefault();
    if (form.requestSubmit) { form.requestSubmit(); } else { form.querySelector("[type=submit]").click(); }
  });

  function setBigger(on) {
    root.classList.toggle("bigger", on);
    bigger.setAttribute("aria-pressed", String(on));
  }

  bigger.addEventListener("click", function () {
    const on = !root.classList.contains("bigger");
    setBigger(on);
    save(KEYS.bigger, on ? "1" : "0");
  });

  setBigger(load(KEYS.bigger) === "1");
  const past = read(KEYS.history, []);
  if (past.length) {
    log.setAttribute("aria-busy", "true"); // screen readers should not read the whole history aloud
    past.forEach(render);
    log.setAttribute("aria-busy", "false");
    poll();
  } else {
    send("/greet", "你好");
  }
})();
