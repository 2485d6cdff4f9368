// Supervision task: the cursor starts in the first open field. Typing corrects; Enter
// confirms the value (or saves the correction) and moves on; Tab moves without deciding;
// F2 opens the whole page; Ctrl+Enter approves. Decisions are posted in the background,
// so the reviewer's hands never leave the keyboard. Plain JavaScript, loaded as a file
// (the Content-Security-Policy forbids inline scripts).
(function () {
  "use strict";

  var root = document.getElementById("supervise");
  if (!root) {
    return;
  }
  var csrf = root.getAttribute("data-csrf");
  var started = Date.now();
  var items = Array.prototype.slice.call(root.querySelectorAll(".task-field"));
  var openCount = document.getElementById("open-count");
  var approveForm = document.getElementById("task-approve");

  function inputOf(item) {
    return item.querySelector(".task-input");
  }

  function refreshCount() {
    if (openCount) {
      openCount.textContent = String(items.filter(function (i) { return !i.classList.contains("decided"); }).length);
    }
  }

  function nextOpen(from) {
    for (var step = 1; step <= items.length; step += 1) {
      var item = items[(from + step) % items.length];
      if (!item.classList.contains("decided") && inputOf(item)) {
        return item;
      }
    }
    return null;
  }

  function post(url, body) {
    var data = new URLSearchParams(body || {});
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: data
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) {
          throw new Error(json.error || "not saved");
        }
        return json;
      });
    });
  }

  function decide(item) {
    var input = inputOf(item);
    // Blind QA: every answer goes to the server, which compares it with the machine's.
    var changed = item.hasAttribute("data-blind") || input.value !== input.getAttribute("data-original");
    var state = item.querySelector(".task-state");
    var request = changed
      ? post(item.getAttribute("data-correct"), { value: input.value })
      : post(item.getAttribute("data-confirm"));
    item.classList.add("pending");
    return request.then(function (json) {
      item.classList.remove("pending", "conf-low", "conf-mid");
      item.classList.add("decided", "conf-high");
      input.setAttribute("data-original", input.value);
      state.textContent = json.decision;
      refreshCount();
    }, function (error) {
      item.classList.remove("pending");
      state.textContent = "Not saved: " + error.message;
      input.focus();
      throw error;
    });
  }

  function approve() {
    if (!approveForm) {
      return;
    }
    approveForm.querySelector("input[name=seconds]").value = ((Date.now() - started) / 1000).toFixed(1);
    approveForm.requestSubmit();
  }

  items.forEach(function (item, index) {
    var input = inputOf(item);
    if (!input) {
      return;
    }
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.ctrlKey || event.metaKey) {
        return;
      }
      event.preventDefault();
      var following = nextOpen(index);
      decide(item).then(function () {
        var target = nextOpen(index) || following;
        if (target && target !== item) {
          inputOf(target).focus();
          inputOf(target).select();
        } else if (approveForm) {
          approveForm.querySelector("button[type=submit]").focus();
        }
      }, function () {});
    });
  });

  if (approveForm) {
    approveForm.addEventListener("submit", function () {
      var seconds = approveForm.querySelector("input[name=seconds]");
      if (!seconds.value) {
        seconds.value = ((Date.now() - started) / 1000).toFixed(1);
      }
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "F2") {
      event.preventDefault();
      var whole = document.getElementById("whole-page");
      if (whole) {
        window.location.href = whole.getAttribute("href");
      }
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      approve();
    }
  });

  var first = nextOpen(-1);
  if (first) {
    inputOf(first).focus();
    inputOf(first).select();
  }
})();
