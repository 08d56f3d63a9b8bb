// The printable plan's "Print" button (hidden without JavaScript; the browser's own print
// command works either way).
(function () {
  "use strict";
  var button = document.getElementById("print-button");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
