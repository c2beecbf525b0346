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
  // A code block that still scrolls sideways can be scrolled by keyboard too.
  document.querySelectorAll("pre").forEach(function (pre) {
    if (pre.scrollWidth > pre.clientWidth && !pre.hasAttribute("tabindex")) pre.tabIndex = 0;
  });
})();
