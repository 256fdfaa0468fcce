// Keeps the member code fresh: a code lives a few minutes, so fetch a new one before it runs out. The page works
// without this script (the refresh link reloads the page).
(function () {
  "use strict";
  var box = document.getElementById("member-code");
  var valid = document.getElementById("member-code-valid");
  var link = document.getElementById("member-code-refresh");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-url");
  var every = parseInt(box.getAttribute("data-refresh-ms"), 10) || 240000;

  function refresh(event) {
    if (event) { event.preventDefault(); }
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || !body.svg) { return; }
        box.innerHTML = body.svg;  // our own server-drawn SVG
        valid.textContent = body.valid;
      })
      .catch(function () { /* offline: keep the code shown; the link still reloads */ });
  }

  if (link) { link.addEventListener("click", refresh); }
  window.setInterval(refresh, every);
})();
