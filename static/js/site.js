// Small improvements on pages that work without JavaScript.
(function () {
  "use strict";
  // A copy button on every code block and on elements marked data-copy.
  function addCopyButton(container, getText) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button small secondary";
    button.textContent = container.dataset.copyLabel || "Copy";
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(getText()).then(function () {
        var old = button.textContent;
        button.textContent = "✓";
        setTimeout(function () { button.textContent = old; }, 1200);
      });
    });
    container.appendChild(button);
  }
  document.querySelectorAll(".highlight").forEach(function (block) {
    var pre = block.querySelector("pre");
    if (pre) addCopyButton(block, function () { return pre.innerText; });
  });
  document.querySelectorAll("[data-copy]").forEach(function (el) {
    addCopyButton(el, function () { return el.dataset.copy; });
  });
  // The language switch submits on change; the button stays for people without JavaScript.
  var language = document.getElementById("language-select");
  if (language) {
    language.addEventListener("change", function () { language.form.submit(); });
  }
})();
