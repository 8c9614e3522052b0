// A job page, live: follows /events/jobs/{id} (Server-Sent Events) to move the progress bar,
// and reloads the page once the job is done to show its outcome. Without this script the page
// refreshes itself every two seconds instead (the <noscript> refresh in its head).
"use strict";
(function () {
  const status = document.querySelector(".job-status[data-events]");
  if (!status || !("EventSource" in window)) return;
  const bar = status.querySelector("progress");
  const text = status.querySelector(".progress-text");
  const badge = status.querySelector(".badge");
  const note = status.querySelector(".live-note");
  if (note) note.textContent = " Updating live.";
  const events = new EventSource(status.dataset.events);

  function show(snapshot) {
    badge.textContent = snapshot.state;
    badge.className = "badge state-" + snapshot.state;
    const p = snapshot.progress;
    if (p && bar) {
      bar.value = p.percent;
      text.textContent = p.done + " of " + p.total + " (" + p.percent + "%)";
    }
  }

  // A page the browser keeps for its back button must not hold the stream open; coming back
  // reloads it, which shows where the job is now.
  window.addEventListener("pagehide", () => events.close());
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) location.reload();
  });

  events.addEventListener("progress", (event) => show(JSON.parse(event.data)));
  events.addEventListener("done", (event) => {
    show(JSON.parse(event.data));
    events.close();
    location.reload();
  });
})();
