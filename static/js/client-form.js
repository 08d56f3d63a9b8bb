// The client form: choosing a country fills in its main time zone, unless the therapist has
// typed another one. Without JavaScript an empty time zone gets the same default on saving.
(function () {
  "use strict";
  var form = document.querySelector("form[data-country-zones]");
  if (!form) return;
  var zones = JSON.parse(form.getAttribute("data-country-zones") || "{}");
  var country = form.querySelector("select[name=country]");
  var timezone = form.querySelector("input[name=timezone]");
  if (!country || !timezone) return;
  var filled = zones[country.value] || "";
  country.addEventListener("change", function () {
    var zone = zones[country.value] || "";
    if (timezone.value === "" || timezone.value === filled) {
      timezone.value = zone;
      filled = zone;
    }
  });
})();
