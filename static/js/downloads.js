// Downloads: the board filters apply as soon as one changes (the button stays for no-JS use).
(function () {
  "use strict";
  var form = document.querySelector(".board-filters");
  if (!form) return;
  form.querySelectorAll("select").forEach(function (select) {
    select.addEventListener("change", function () { form.submit(); });
  });
})();
