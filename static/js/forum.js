// Forum improvements; every page works without them.
(function () {
  "use strict";
  // Live preview: the same pipeline as a saved post (site.js asks for it).
  document.querySelectorAll("form.post-form[data-preview-url]").forEach(function (form) {
    var source = form.querySelector("textarea[name=source]");
    var target = form.querySelector("[data-preview-target]");
    if (!source || !target) return;
    window.estuaryLivePreview(form, source, function (result) {
      target.hidden = source.value.trim() === "";
      if (result.ok) {
        target.innerHTML = result.text; // sanitized by the server's pipeline
      } else {
        target.textContent = result.text;
      }
    });
  });
  // Quote: with text selected inside a post, quote just that part; always into the page's box.
  var replyBox = document.querySelector("#reply textarea[name=source]");
  document.querySelectorAll("a.quote-link[data-quote]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var selection = window.getSelection ? String(window.getSelection()) : "";
      var post = link.closest("[data-post-id]");
      var body = post && post.querySelector(".post-body");
      var within = selection && body && body.contains(window.getSelection().anchorNode);
      if (within) {
        var url = new URL(link.href, window.location.href);
        url.searchParams.set("part", selection.trim().slice(0, 5000));
        link.href = url.toString();
      }
      if (!replyBox) return;
      event.preventDefault();
      var url2 = new URL(link.href, window.location.href);
      fetch(url2.toString(), { credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var quoted = doc.querySelector("textarea[name=source]");
          if (quoted) {
            replyBox.value = (replyBox.value ? replyBox.value + "\n\n" : "") + quoted.value;
            replyBox.focus();
            replyBox.dispatchEvent(new Event("input"));
          }
        });
    });
  });
})();
