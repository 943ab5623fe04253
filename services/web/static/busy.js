// A form that takes a while (a file import is checked and recorded in one request): once sent,
// its button is disabled and says what is happening, so it is not sent twice. Without this
// script the form works the same.
(function () {
  "use strict";
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter || form.querySelector("button[type=submit]");
      var text = button ? button.getAttribute("data-busy-text") : null;
      // disabled after this event: a disabled button would leave its own value out of the form
      window.setTimeout(function () {
        form.setAttribute("aria-busy", "true");
        if (button) {
          button.setAttribute("data-idle-text", button.textContent);
          button.disabled = true;
          if (text) { button.textContent = text; }
        }
        var status = form.querySelector("[data-busy-status]");
        if (status && text) { status.textContent = text; }
      }, 0);
    });
  });
  // back to a page from the history: the form is ready again
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-busy] button[data-idle-text]").forEach(function (button) {
      button.disabled = false;
      button.textContent = button.getAttribute("data-idle-text");
      button.closest("form").removeAttribute("aria-busy");
    });
  });
})();
