// The console works without this file; it only asks before destructive actions.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.classList && form.classList.contains("confirm")) {
    if (!window.confirm(form.getAttribute("data-confirm") || "?")) {
      event.preventDefault();
    }
  }
});
