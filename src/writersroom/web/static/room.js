// The review room: while the room works, show who is working; reload when it stops, or when
// the checkpoint this page shows was decided elsewhere (another tab, the command line).
// Model text is only ever set as textContent, never as markup.
(function () {
  "use strict";
  const box = document.getElementById("status");
  if (!box) return;
  const after = document.getElementById("status-after");
  const now = document.getElementById("status-now");
  const steps = document.getElementById("status-steps");
  const resume = document.getElementById("status-resume");
  let busy = box.dataset.busy === "true";
  const shown = document.getElementById("checkpoint");
  const waiting = shown
    ? JSON.stringify([Number(shown.dataset.episode), shown.dataset.checkpoint,
      Number(shown.dataset.revision)])
    : null;

  function line(s) {
    return s.agent + " · " + s.task + " · " + s.model + " · " + s.input_tokens + " in / " +
      s.output_tokens + " out · " + s.seconds.toFixed(1) + " s" +
      (s.rejected ? " (" + s.rejected + " answer(s) rejected)" : "");
  }

  function show(s) {
    box.hidden = !s.busy && !s.error;
    box.classList.toggle("failed", !s.busy && !!s.error);
    resume.hidden = s.busy || !s.error;
    after.textContent = s.label;
    if (s.busy) {
      now.textContent = s.working
        ? s.working.agent + " is working: " + s.working.task + "…"
        : "The room is working…";
    } else if (s.error) {
      now.textContent = "The run stopped: " + s.error;
    }
    steps.replaceChildren(...s.steps.filter((x) => x.done).map((x) => {
      const li = document.createElement("li");
      li.textContent = line(x);
      return li;
    }));
  }

  async function poll() {
    try {
      const r = await fetch("/status", { cache: "no-store", credentials: "same-origin" });
      if (r.ok) {
        const s = await r.json();
        show(s);
        const moved = waiting !== null && !s.busy && JSON.stringify(s.waiting) !== waiting;
        if ((busy && !s.busy) || moved) {
          location.reload();
          return;
        }
        busy = s.busy;
      }
    } catch (e) {
      // the server is restarting or gone: keep trying quietly
    }
    setTimeout(poll, busy ? 400 : 2000);
  }
  setTimeout(poll, busy ? 200 : 2000);
})();
