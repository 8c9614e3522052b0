// The chat room, live: joins the room's WebSocket, shows new messages and who is here, and posts
// through the socket. Without this script the page still works: it shows the last messages and
// its form posts with a reload.
"use strict";
(function () {
  const root = document.querySelector(".chat");
  if (!root || !("WebSocket" in window)) return;
  const room = root.dataset.room;
  const maxBytes = Number(root.dataset.maxBytes) || 4096;
  const log = root.querySelector(".chat-log");
  const status = root.querySelector(".chat-status");
  const form = root.querySelector(".chat-form");
  const input = form && form.querySelector("textarea");
  const fieldError = form && form.querySelector(".error");
  const seen = new Set(Array.from(log.querySelectorAll("li[data-id]"), (li) => li.dataset.id));
  let socket = null;
  let retry = 1000;
  let leaving = false;

  // A message's time in the reader's own zone: "14:05" today, "3 Nov, 14:05" before; the full
  // date and time on hover.
  function showTime(el) {
    const at = new Date(el.dateTime);
    if (Number.isNaN(at.getTime())) return;
    const today = new Date().toDateString() === at.toDateString();
    const clock = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    el.textContent = today
      ? clock
      : at.toLocaleDateString([], { day: "numeric", month: "short" }) + ", " + clock;
    el.title = at.toLocaleString([], { dateStyle: "full", timeStyle: "long" });
  }
  log.querySelectorAll("time[datetime]").forEach(showTime);

  function show(message) {
    const id = String(message.id);
    if (seen.has(id)) return;
    seen.add(id);
    const empty = log.querySelector(".empty");
    if (empty) empty.remove();
    const li = document.createElement("li");
    li.dataset.id = id;
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = message.author;
    const when = document.createElement("time");
    when.dateTime = message.created_at;
    showTime(when);
    const body = document.createElement("p");
    body.className = "body";
    body.textContent = message.body;
    li.append(author, " ", when, body);
    log.append(li);
    li.scrollIntoView({ block: "nearest" });
  }

  function presence(p) {
    const list = root.querySelector(".presence-users");
    list.replaceChildren(...p.users.map((name) => {
      const li = document.createElement("li");
      li.textContent = name;
      return li;
    }));
    root.querySelector(".presence-guests").textContent = p.guests + (p.guests === 1 ? " guest" : " guests");
  }

  function setError(text) {
    if (!fieldError) return;
    fieldError.textContent = text;
    fieldError.hidden = !text;
    const field = input.closest(".field");
    if (field) field.classList.toggle("has-error", Boolean(text));
    if (text) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", fieldError.id);
    } else {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + location.host + "/ws/chat/" + encodeURIComponent(room));
    socket.addEventListener("open", () => {
      retry = 1000;
      status.textContent = "Live.";
    });
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "history") frame.messages.forEach(show);
      else if (frame.type === "message") show(frame.message);
      else if (frame.type === "presence") presence(frame);
      else if (frame.type === "error") setError(frame.message);
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      if (leaving) return;
      status.textContent = event.code === 1009
        ? "That message was too big; reconnecting…"
        : "Disconnected; reconnecting…";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  }

  if (form) {
    form.addEventListener("submit", (event) => {
      if (!socket || socket.readyState !== WebSocket.OPEN) return; // falls back to the form post
      event.preventDefault();
      const body = input.value.trim();
      if (!body) return setError("A message must not be empty.");
      if (new TextEncoder().encode(body).length > maxBytes) {
        return setError("A message may be at most " + maxBytes + " bytes.");
      }
      setError("");
      socket.send(JSON.stringify({ type: "say", body }));
      input.value = "";
    });
    // An error is about what was typed: it goes as soon as the text changes.
    input.addEventListener("input", () => setError(""));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }
  // Leaving the page closes the socket, so the room sees this reader go (a browser may keep the
  // page, frozen, for its back button); coming back to it reconnects.
  window.addEventListener("pagehide", () => {
    leaving = true;
    if (socket) socket.close(1000, "page hidden");
  });
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    leaving = false;
    connect();
  });
  connect();
})();
