// Docs: switchers that follow the choice at once, and the editor's live preview.
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  var form = document.getElementById("docs-edit-form");
  var target = document.getElementById("docs-preview");
  if (!form || !target) return;
  var source = form.querySelector("textarea[name=source]");
  var release = form.querySelector("select[name=release]");
  var schedule = window.estuaryLivePreview(form, source, function (result) {
    if (result.ok) {
      target.innerHTML = result.text; // sanitized HTML from the markup pipeline
    } else {
      target.textContent = result.text;
    }
    target.classList.toggle("preview-error", !result.ok);
  }, function (data) {
    if (release) data.append("release", release.value);
  });
  if (release) release.addEventListener("change", schedule);
})();
