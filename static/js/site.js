// Small improvements on pages that work without JavaScript.
(function () {
  "use strict";
  var body = document.body;
  // The menu is a <details> open in the HTML (so it is there without JavaScript); on a narrow
  // screen it starts folded, and its <summary> is the keyboard's button to unfold it.
  var menu = document.querySelector("details.site-menu");
  var narrow = window.matchMedia("(max-width: 860px)");
  function fitMenu() { if (menu) menu.open = !narrow.matches; }
  fitMenu();
  if (narrow.addEventListener) narrow.addEventListener("change", fitMenu);

  // A copy button beside every code block and every element marked data-copy. It sits
  // outside the copied element, so selecting the text by hand never takes its label along.
  function addCopyButton(anchor, place, label, getText) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button small secondary";
    button.textContent = label;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(getText()).then(function () {
        button.textContent = body.dataset.copiedLabel || "Copied";
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
    var bar = document.createElement("div");
    bar.className = "copy-bar";
    bar.appendChild(button);
    anchor.insertAdjacentElement(place, bar);
  }
  document.querySelectorAll(".highlight").forEach(function (block) {
    var pre = block.querySelector("pre");
    if (pre && !block.querySelector("[data-copy]")) {
      addCopyButton(pre, "beforebegin", block.dataset.copyLabel || body.dataset.copyCodeLabel,
        function () { return pre.innerText; });
    }
  });
  document.querySelectorAll("[data-copy]").forEach(function (el) {
    addCopyButton(el, "afterend", el.dataset.copyLabel || body.dataset.copyCodeLabel,
      function () { return el.dataset.copy; });
  });
  // The live preview of a text box (a forum post, a doc page): the server's own pipeline,
  // asked 400 ms after the last keystroke, and at once for text already there (typed before
  // this script arrived, or a draft the browser restored). An answer that arrives after a
  // newer one was asked for is dropped. `fill(data)` adds the form's other fields; `show`
  // gets each answer. Returns the function that asks again, for other fields' changes.
  window.estuaryLivePreview = function (form, source, show, fill) {
    var timer = null;
    var asked = 0;
    function refresh() {
      var data = new FormData();
      var token = form.querySelector("input[name=csrfmiddlewaretoken]");
      if (token) data.append("csrfmiddlewaretoken", token.value);
      data.append("source", source.value);
      if (fill) fill(data);
      var number = ++asked;
      fetch(form.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          return response.text().then(function (text) { return { ok: response.ok, text: text }; });
        })
        .then(function (result) { if (number === asked) show(result); })
        .catch(function () { /* the form's Preview button still works */ });
    }
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    }
    source.addEventListener("input", schedule);
    if (source.value.trim() !== "") refresh();
    return schedule;
  };

  // A code block that still scrolls sideways can be scrolled by keyboard too.
  document.querySelectorAll("pre").forEach(function (pre) {
    if (pre.scrollWidth > pre.clientWidth && !pre.hasAttribute("tabindex")) pre.tabIndex = 0;
  });
})();
