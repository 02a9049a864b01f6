// warner: keeps the incidents list live. Listens to /events (server-sent events) and, on each
// change, fetches the table body again with the page's filters and swaps it in; screen readers
// hear a short note through the page's aria-live region. No inline script: CSP is default-src 'self'.
(function () {
  "use strict";
  var table = document.getElementById("incidents");
  var live = document.getElementById("incidents-live");
  if (!table || !window.EventSource || !window.fetch) { return; }
  var pending = null;
  var changed = {};

  function announce(ids) {
    if (!live) { return; }
    var list = Object.keys(ids).filter(function (id) { return id !== "null"; });
    live.textContent = list.length
      ? live.getAttribute("data-updated").replace("{id}", list.join(", "))
      : live.getAttribute("data-resync");
  }

  function refresh() {
    pending = null;
    var ids = changed;
    changed = {};
    fetch(table.getAttribute("data-fragment"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var scratch = document.createElement("table");
        scratch.innerHTML = html;
        var fresh = scratch.tBodies[0];
        var old = table.tBodies[0];
        if (!fresh || !old) { return; }
        Array.prototype.forEach.call(fresh.rows, function (row) {
          if (ids[row.getAttribute("data-incident")]) { row.classList.add("changed"); }
        });
        old.parentNode.replaceChild(fresh, old);
        announce(ids);
      })
      .catch(function () { /* the next event tries again */ });
  }

  var source = new EventSource("/events");
  source.addEventListener("incident", function (event) {
    var id = null;
    try { id = JSON.parse(event.data).id; } catch (e) { id = null; }
    changed[String(id)] = true;
    if (pending === null) { pending = window.setTimeout(refresh, 250); }  // a burst of events: one fetch
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
