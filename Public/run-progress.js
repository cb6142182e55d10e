// Live progress on a run page (progressive enhancement): reads the same address as JSON (Accept:
// application/json) and fills the figures the server rendered. Without JavaScript the page shows the same
// figures; a reload updates them. When the run ends, a link offers the reload that shows its rows and history.
(function () {
  "use strict";
  var section = document.getElementById("run-progress");
  if (!section || section.getAttribute("data-active") !== "true") return;
  var url = section.getAttribute("data-status-url");

  function show(id, text) {
    var element = document.getElementById(id);
    if (!element) return;
    element.textContent = text || "";
    element.hidden = !text && id === "run-reason";
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (run) {
        show("run-status", run.status);
        show("run-reason", run.reason);
        show("run-progress-text", run.progress);
        show("run-batches", run.batchesText);
        show("run-rate", run.rate);
        show("run-time-left", run.timeLeft);
        if (run.active) {
          window.setTimeout(poll, 1000);
        } else {
          var finished = document.getElementById("run-finished");
          if (finished) finished.hidden = false;
          // Cancel and Confirm no longer apply to an ended run.
          document.querySelectorAll("[data-while-active]").forEach(function (form) { form.hidden = true; });
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
