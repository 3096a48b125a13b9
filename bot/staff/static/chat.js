// 社区通 web chat: sends what the resident types to /chat/send and shows the answers.
// The conversation (sender id and messages) is kept in localStorage across reloads.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const bigger = document.getElementById("bigger");
  const store = window.localStorage;

  function senderId() {
    let id = store.getItem("stt-sender");
    if (!id) {
      id = (window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2)).replace(/[^A-Za-z0-9-]/g, "");
      store.setItem("stt-sender", id);
    }
    return id;
  }

  function history() {
    try { return JSON.parse(store.getItem("stt-history") || "[]"); } catch (e) { return []; }
  }

  function remember(entry) {
    const items = history();
    items.push(entry);
    store.setItem("stt-history", JSON.stringify(items.slice(-100)));
  }

  function show(entry) {
    const item = document.createElement("li");
    item.className = entry.role;
    item.textContent = (entry.role === "bot" ? "小助手：" : "我：") + (entry.text || "");
    if (entry.buttons && entry.buttons.length) {
      const options = document.createElement("div");
      options.className = "options";
      entry.buttons.forEach(function (button) {
        const choice = document.createElement("button");
        choice.type = "button";
        choice.textContent = button.title;
        choice.addEventListener("click", function () { send(button.payload, button.title); });
        options.appendChild(choice);
      });
      item.appendChild(options);
    }
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function add(entry) { remember(entry); show(entry); }

  async function send(message, shown) {
    add({ role: "resident", text: shown || message });
    try {
      const response = await fetch("/chat/send", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: senderId(), message: message })
      });
      const answers = await response.json();
      answers.forEach(function (answer) { add({ role: "bot", text: answer.text, buttons: answer.buttons }); });
    } catch (e) {
      add({ role: "bot", text: "网络好像断了，请稍后再试。遇到危险请直接拨打 110、119、120。" });
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    // Enter sends, but never while a Chinese IME is still composing.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  bigger.addEventListener("click", function () {
    const on = document.body.classList.toggle("bigger");
    bigger.setAttribute("aria-pressed", String(on));
    store.setItem("stt-bigger", on ? "1" : "0");
  });

  if (store.getItem("stt-bigger") === "1") { document.body.classList.add("bigger"); bigger.setAttribute("aria-pressed", "true"); }
  const past = history();
  if (past.length) { past.forEach(show); } else { send("/greet", "你好"); }
})();
