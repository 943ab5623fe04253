// Live validation: tells about a missing or out-of-range value when the field is left, in the
// same place and words style the server uses. The server checks everything again; without
// this script the forms work the same, with the errors shown after sending.
(function () {
  "use strict";
  function messageFor(input) {
    var v = input.validity;
    if (v.valid) { return ""; }
    return input.validationMessage;
  }
  function show(input) {
    var id = input.id + "-live-error";
    var existing = document.getElementById(id);
    var message = messageFor(input);
    if (!message) {
      if (existing) { existing.remove(); }
      input.removeAttribute("aria-invalid");
      return;
    }
    if (!existing) {
      existing = document.createElement("p");
      existing.className = "error";
      existing.id = id;
      input.parentNode.insertBefore(existing, input);
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + id).trim());
    }
    existing.textContent = message;
    input.setAttribute("aria-invalid", "true");
  }
  document.querySelectorAll("form[data-live-validate] input, form[data-live-validate] select").forEach(function (input) {
    input.addEventListener("blur", function () { show(input); });
  });
})();
