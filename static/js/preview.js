// Live preview of a schedule: re-post the form to its preview URL when a field changes and
// show the returned fragment. Without JavaScript the form's "Update the preview" button does
// the same with a full page load. A static file because the CSP forbids inline scripts.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  if (!form || !window.fetch) return;
  var target = document.getElementById(form.getAttribute("data-preview-target"));
  var status = document.getElementById("preview-status");
  if (!target) return;
  var timer = null;
  var latest = 0;

  function refresh() {
    var ticket = ++latest;
    var data = new FormData(form);
    data.delete("action");
    form.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        if (ticket !== latest) return; // a newer request is on its way
        target.innerHTML = html;
        var result = target.querySelector("[data-summary]");
        if (status && result) status.textContent = result.getAttribute("data-summary");
      })
      .catch(function () {
        if (status) status.textContent = "";
      })
      .finally(function () {
        if (ticket === latest) form.removeAttribute("aria-busy");
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  }

  form.addEventListener("change", later);
  form.addEventListener("input", function (event) {
    if (event.target && event.target.tagName !== "TEXTAREA") later();
  });
})();
