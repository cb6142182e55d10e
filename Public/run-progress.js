// Live progress on a run page (progressive enhancement): reads the same address as JSON (Accept:
// application/json) and fills the figures the server rendered. Without JavaScript the page shows the same
// figures; a reload updates them. When the run ends, its timings, counts, rows and history are fetched once and
// put in place (the link to reload stays as the fallback when that fetch fails).
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
          refreshDetails();
          // Cancel and Confirm no longer apply to an ended run.
          document.querySelectorAll("[data-while-active]").forEach(function (form) { form.hidden = true; });
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  function refreshDetails() {
    fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("run-details");
        var current = document.getElementById("run-details");
        if (fresh && current) current.replaceWith(document.importNode(fresh, true));
        var finished = document.getElementById("run-finished");
        if (finished) finished.hidden = true;
      })
      .catch(function () {});
  }

  window.setTimeout(poll, 1000);
})();
