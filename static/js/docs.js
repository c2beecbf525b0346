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
  var timer = null;
  var sent = 0;

  function refresh() {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("input[name=csrfmiddlewaretoken]").value);
    data.append("source", source.value);
    if (release) data.append("release", release.value);
    var number = ++sent;
    fetch(form.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (text) { return { ok: response.ok, text: text }; });
      })
      .then(function (result) {
        if (number !== sent) return; // an older answer arriving late
        if (result.ok) {
          target.innerHTML = result.text; // sanitized HTML from the markup pipeline
        } else {
          target.textContent = result.text;
        }
        target.classList.toggle("preview-error", !result.ok);
      })
      .catch(function () { /* the Preview button still works */ });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }
  source.addEventListener("input", schedule);
  if (release) release.addEventListener("change", schedule);
  refresh();
})();
