// Review page behaviour: select a field (click, j/k) to zoom the page image to its box;
// e edits it, a approves the document. Plain JavaScript, no dependencies, loaded as a file
// so the Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";

  var root = document.getElementById("review");
  if (!root) {
    return;
  }
  var fields = Array.prototype.slice.call(root.querySelectorAll(".field"));
  var pages = {};
  Array.prototype.forEach.call(root.querySelectorAll(".page-svg"), function (svg) {
    pages[svg.getAttribute("data-page")] = svg;
  });
  var tabs = Array.prototype.slice.call(root.querySelectorAll("[data-page-tab]"));
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var selected = -1;
  var currentPage = null;
  var animation = null;

  function fullBox(svg) {
    return [0, 0, Number(svg.getAttribute("data-width")), Number(svg.getAttribute("data-height"))];
  }

  function currentBox(svg) {
    return svg.getAttribute("viewBox").split(/[\s,]+/).map(Number);
  }

  function setBox(svg, box) {
    svg.setAttribute("viewBox", box.map(function (v) { return v.toFixed(1); }).join(" "));
  }

  function animateTo(svg, target) {
    if (animation) {
      cancelAnimationFrame(animation);
      animation = null;
    }
    if (reduceMotion) {
      setBox(svg, target);
      return;
    }
    var start = currentBox(svg);
    var began = null;
    var duration = 180;
    function step(now) {
      if (began === null) {
        began = now;
      }
      var t = Math.min(1, (now - began) / duration);
      var ease = 1 - Math.pow(1 - t, 3);
      setBox(svg, start.map(function (v, i) { return v + (target[i] - v) * ease; }));
      animation = t < 1 ? requestAnimationFrame(step) : null;
    }
    animation = requestAnimationFrame(step);
  }

  function showPage(number) {
    var key = String(number);
    if (!pages[key] || currentPage === key) {
      return;
    }
    Object.keys(pages).forEach(function (k) {
      pages[k].classList.toggle("hidden", k !== key);
    });
    var image = pages[key].querySelector("image[data-href]");
    if (image && !image.getAttribute("href")) {
      image.setAttribute("href", image.getAttribute("data-href"));
    }
    tabs.forEach(function (tab) {
      tab.setAttribute("aria-pressed", tab.getAttribute("data-page-tab") === key ? "true" : "false");
    });
    currentPage = key;
  }

  function zoomToField(field) {
    var bbox = field.getAttribute("data-bbox");
    var svg = pages[field.getAttribute("data-page")];
    if (!svg) {
      return;
    }
    showPage(field.getAttribute("data-page"));
    var page = fullBox(svg);
    if (!bbox) {
      animateTo(svg, page);
      return;
    }
    var b = bbox.split(",").map(Number);
    var w = b[2] - b[0];
    var h = b[3] - b[1];
    // The frame's shape, so the view fills it; some form around the box so the reader
    // sees the printed label too; never wider than the page.
    var frame = svg.getBoundingClientRect();
    var aspect = frame.width > 0 && frame.height > 0 ? frame.height / frame.width : 1;
    var viewW = Math.min(Math.max(w * 2.2, h * 4 / aspect, page[2] * 0.35), page[2]);
    var viewH = viewW * aspect;
    var x = clamp(b[0] + w / 2 - viewW / 2, 0, page[2] - viewW);
    var y = clamp(b[1] + h / 2 - viewH / 2, 0, page[3] - viewH);
    animateTo(svg, [x, y, viewW, viewH]);
  }

  function clamp(value, low, high) {
    // When the view is larger than the page along an axis, centre the page instead.
    return high < low ? (low + high) / 2 : Math.min(Math.max(value, low), high);
  }

  function resetZoom() {
    if (currentPage && pages[currentPage]) {
      animateTo(pages[currentPage], fullBox(pages[currentPage]));
    }
  }

  function select(index, options) {
    if (index < 0 || index >= fields.length) {
      return;
    }
    var opts = options || {};
    if (selected >= 0) {
      fields[selected].classList.remove("selected");
      fields[selected].removeAttribute("aria-current");
    }
    selected = index;
    var field = fields[index];
    field.classList.add("selected");
    field.setAttribute("aria-current", "true");
    root.querySelectorAll(".box.selected").forEach(function (box) {
      box.classList.remove("selected");
    });
    var name = field.getAttribute("data-field");
    root.querySelectorAll(".box").forEach(function (box) {
      if (box.getAttribute("data-field") === name) {
        box.classList.add("selected");
      }
    });
    if (opts.scroll !== false) {
      field.scrollIntoView({ block: "nearest", behavior: reduceMotion ? "auto" : "smooth" });
    }
    if (!opts.keepFocus) {
      field.focus({ preventScroll: true });
    }
    zoomToField(field);
  }

  function indexOfField(name) {
    for (var i = 0; i < fields.length; i += 1) {
      if (fields[i].getAttribute("data-field") === name) {
        return i;
      }
    }
    return -1;
  }

  function openEditor(index) {
    var form = fields[index] && fields[index].querySelector(".field-edit");
    if (!form) {
      return;
    }
    form.classList.remove("hidden");
    var input = form.querySelector("input[name=value], textarea[name=value]");
    if (input) {
      input.focus();
      input.select();
    }
  }

  function closeEditors() {
    root.querySelectorAll(".field-edit").forEach(function (form) {
      form.classList.add("hidden");
    });
    if (selected >= 0) {
      fields[selected].focus({ preventScroll: true });
    }
  }

  function nextFlagged(from) {
    for (var step = 1; step <= fields.length; step += 1) {
      var i = (from + step) % fields.length;
      if (fields[i].hasAttribute("data-flagged")) {
        return i;
      }
    }
    return -1;
  }

  fields.forEach(function (field, index) {
    field.addEventListener("click", function (event) {
      if (event.target.closest("form, a, button, input, textarea")) {
        return;
      }
      select(index, { scroll: false });
    });
    var editButton = field.querySelector("[data-edit]");
    if (editButton) {
      editButton.addEventListener("click", function () {
        select(index, { scroll: false });
        openEditor(index);
      });
    }
    var cancel = field.querySelector("[data-cancel]");
    if (cancel) {
      cancel.addEventListener("click", closeEditors);
    }
  });

  root.querySelectorAll(".box").forEach(function (box) {
    box.addEventListener("click", function () {
      var i = indexOfField(box.getAttribute("data-field"));
      if (i >= 0) {
        select(i, { zoom: true });
      }
    });
  });

  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () {
      showPage(tab.getAttribute("data-page-tab"));
      resetZoom();
    });
  });

  var zoomButton = document.getElementById("zoom-reset");
  if (zoomButton) {
    zoomButton.addEventListener("click", resetZoom);
  }

  var rejectForm = document.getElementById("reject-form");
  var approveForm = document.getElementById("approve-form");
  var help = document.getElementById("shortcuts");

  // Approving while fields still need a look is a decision about them: ask first.
  if (approveForm) {
    approveForm.addEventListener("submit", function (event) {
      var open = Number(approveForm.getAttribute("data-open") || 0);
      var question = open + (open === 1 ? " field is" : " fields are") +
        " still to check. Approve the document and vouch for " + (open === 1 ? "it?" : "them?");
      if (open > 0 && !window.confirm(question)) {
        event.preventDefault();
      }
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var typing = event.target.closest("input, textarea, select");
    if (event.key === "Escape") {
      closeEditors();
      resetZoom();
      return;
    }
    if (typing) {
      return;
    }
    switch (event.key) {
      case "j":
      case "ArrowDown":
        select(selected < 0 ? 0 : Math.min(selected + 1, fields.length - 1));
        break;
      case "k":
      case "ArrowUp":
        select(selected < 0 ? 0 : Math.max(selected - 1, 0));
        break;
      case "n":
        select(nextFlagged(selected < 0 ? -1 : selected));
        break;
      case "e":
      case "Enter":
        if (selected >= 0) {
          openEditor(selected);
        }
        break;
      case "z":
        resetZoom();
        break;
      case "a":
        if (approveForm) {
          approveForm.requestSubmit();  // the submit handler asks when fields are open
        }
        break;
      case "r":
        if (rejectForm) {
          rejectForm.querySelector("input[name=reason]").focus();
        }
        break;
      case "?":
        if (help) {
          help.open = !help.open;
        }
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // Start where the reviewer left off (?field=name after a save), else on the first field
  // that needs attention, else on the first field.
  // After a refused correction the server names the field: select it, editor open.
  var failed = root.getAttribute("data-failed-field");
  var wanted = failed || new URLSearchParams(window.location.search).get("field");
  var start = wanted ? indexOfField(wanted) : -1;
  if (start < 0) {
    start = nextFlagged(-1);
  }
  if (start < 0 && fields.length) {
    start = 0;
  }
  if (start >= 0) {
    select(start, { keepFocus: false });
    if (failed && indexOfField(failed) === start) {
      openEditor(start);
    }
  } else if (Object.keys(pages).length) {
    showPage(Object.keys(pages)[0]);
  }
})();
