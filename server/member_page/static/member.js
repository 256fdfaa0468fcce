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

// The payment code (signed-in page): a new one every 30 s. Count down, then fetch the next; without this script the
// page shows the code of the moment it was loaded and its refresh link.
(function () {
  "use strict";
  var box = document.getElementById("payment-code");
  var left = document.getElementById("payment-code-left");
  if (!box || !left || !window.fetch) { return; }
  var url = box.getAttribute("data-url");
  var words = box.getAttribute("data-left-words") || "{s}";
  var seconds = parseInt(box.getAttribute("data-seconds-left"), 10) || 30;

  function show() { left.textContent = words.replace("{s}", String(seconds)); }

  function fetchCode() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || !body.display) { return; }
        box.textContent = body.display;
        seconds = body.seconds_left;
        show();
      })
      .catch(function () { /* offline: the link still reloads */ });
  }

  window.setInterval(function () {
    seconds -= 1;
    if (seconds <= 0) { seconds = 30; fetchCode(); }
    show();
  }, 1000);
})();
