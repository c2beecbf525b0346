// The build page: follow the log by byte offset while the build runs (the page works without it).
(function () {
  "use strict";
  var box = document.querySelector("[data-build-log]");
  if (!box || box.dataset.active !== "true") return;
  var pre = box.querySelector("pre");
  var url = box.dataset.logUrl;
  var offset = parseInt(box.dataset.offset, 10) || 0;
  var progress = document.querySelector("[data-build-progress]");
  var progressLabel = document.querySelector("[data-build-progress-label]");
  var status = document.querySelector("[data-build-status]");
  var live = box.querySelector("[data-build-live]");
  if (live) live.hidden = true;

  function nearBottom() {
    return pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
  }

  function show(data) {
    if (data.text) {
      var follow = nearBottom();
      pre.appendChild(document.createTextNode(data.text));
      if (follow) pre.scrollTop = pre.scrollHeight;
    }
    offset = data.next;
    if (progress) progress.value = data.progress;
    if (progressLabel) progressLabel.textContent = data.progress + "%";
    if (status) {
      status.textContent = data.finished ? data.result_label : data.state_label;
      status.className = "badge build-status " + (data.finished ? data.result : data.state);
    }
  }

  function poll() {
    fetch(url + "?offset=" + offset, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.next < data.size) {
          setTimeout(poll, 0); // more is waiting: read on at once
        } else if (data.finished) {
          window.location.reload(); // the files, the result and the buttons come with the page
        } else {
          setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        setTimeout(poll, 5000);
      });
  }
  setTimeout(poll, 500);
})();
