// VectorFab's pages work without this script; it adds live checks and progress.
"use strict";

(function () {
  // The process editor: read a chosen file into the text area; check the text while typing.
  var form = document.getElementById("process-form");
  if (form) {
    var text = document.getElementById("text");
    var live = document.getElementById("live");
    var input = document.getElementById("file-input");
    var nameField = form.querySelector("input[name=name]");
    if (input) {
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (!file) return;
        if (file.size > 1048576) { live.textContent = "That file is larger than 1 MiB."; return; }
        file.text().then(function (content) {
          text.value = content;
          if (nameField && !nameField.value) nameField.value = file.name.toLowerCase();
          check();
        });
      });
    }
    var timer = null;
    var check = function () {
      var body = new URLSearchParams();
      body.set("csrf", form.querySelector("input[name=csrf]").value);
      body.set("name", nameField ? nameField.value : "");
      body.set("text", text.value);
      fetch("/processes/check", { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          live.textContent = "";
          var mistakes = answer.mistakes || [];
          if (answer.message) { live.textContent = answer.message; return; }
          if (mistakes.length === 0) {
            var warnings = answer.warnings || [];
            live.className = warnings.length ? "live warn" : "live ok";
            live.textContent = "No mistake: this file makes a lot." + (warnings.length ? " Worth a second look:" : "");
            if (warnings.length) {
              var wl = document.createElement("ul");
              warnings.slice(0, 20).forEach(function (w) {
                var item = document.createElement("li");
                item.textContent = w.field + ": " + w.message + " (typical: " + w.typical + "; " + w.source + ")";
                wl.appendChild(item);
              });
              live.appendChild(wl);
            }
            return;
          }
          live.className = "live bad";
          var list = document.createElement("ol");
          mistakes.slice(0, 50).forEach(function (m) {
            var item = document.createElement("li");
            item.textContent = (m.line ? "line " + m.line + (m.column ? ", column " + m.column : "") : "the file") + " · " + m.field + ": " + m.message;
            if (m.line) item.addEventListener("click", function () { goToLine(m.line); });
            list.appendChild(item);
          });
          live.appendChild(list);
        })
        .catch(function () { live.textContent = ""; });
    };
    var goToLine = function (line) {
      var lines = text.value.split("\n");
      var start = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
      text.focus();
      text.setSelectionRange(start, start + (lines[line - 1] || "").length);
      text.scrollTop = Math.max(0, (line - 5) * 18);
    };
    text.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 400);
    });
    document.querySelectorAll("#mistakes a[data-line]").forEach(function (a) {
      a.addEventListener("click", function (e) {
        var line = parseInt(a.getAttribute("data-line"), 10);
        if (line > 0) { e.preventDefault(); goToLine(line); }
      });
    });
  }
})();

(function () {
  // The Monte Carlo form: run it with its progress shown (server-sent events), then show the
  // page of the run. Without this script the form runs it as a plain request.
  var form = document.getElementById("mc-form");
  if (!form || typeof EventSource === "undefined") return;
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var query = new URLSearchParams(new FormData(form)).toString();
    var box = document.getElementById("mc-progress");
    var bar = box.querySelector("progress");
    var label = box.querySelector("span");
    var button = form.querySelector("button[type=submit]");
    box.hidden = false;
    button.disabled = true;
    label.textContent = "Starting…";
    var started = Date.now();
    var source = new EventSource("/uncertainty/progress?" + query);
    source.addEventListener("progress", function (m) {
      var p = JSON.parse(m.data);
      bar.max = p.total;
      bar.value = p.done;
      label.textContent = p.done.toLocaleString("en") + " of " + p.total.toLocaleString("en") + " samples · " + ((Date.now() - started) / 1000).toFixed(1) + " s";
    });
    source.addEventListener("sobol", function (m) {
      var p = JSON.parse(m.data);
      label.textContent = "Sobol indices: " + p.samples.toLocaleString("en") + " base samples · " + ((Date.now() - started) / 1000).toFixed(1) + " s";
    });
    source.addEventListener("done", function () {
      source.close();
      label.textContent = "Done: drawing the charts…";
      window.location.href = "/uncertainty?" + query;
    });
    source.addEventListener("refused", function (m) {
      source.close();
      box.hidden = true;
      button.disabled = false;
      form.submit();
    });
    source.onerror = function () {
      source.close();
      form.submit();
    };
  });
})();

(function () {
  // A batch phase: a value outside its range is flagged as it is typed (the server asks to
  // confirm it and opens the deviation).
  document.querySelectorAll("input[data-low][data-high]").forEach(function (input) {
    var low = parseFloat(input.getAttribute("data-low")), high = parseFloat(input.getAttribute("data-high"));
    var note = input.closest("form").querySelector(".live-range");
    input.addEventListener("input", function () {
      var v = parseFloat(input.value.replace(",", "."));
      var out = input.value.trim() !== "" && !isNaN(v) && (v < low || v > high);
      input.classList.toggle("out-of-range", out);
      if (note) note.textContent = out ? "Outside " + input.getAttribute("data-low") + "–" + input.getAttribute("data-high") + ": recording it opens a deviation." : "";
    });
  });
})();

// The batch record's print button (no inline script: the page's security policy forbids it).
document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));

(function () {
  // The live alarm banner: the server tells every page (server-sent events) how many alarms
  // are active or waiting to be acknowledged; the banner shows it without a reload.
  var banner = document.getElementById("alarm-banner");
  if (!banner || typeof EventSource === "undefined") return;
  var source = new EventSource("/alarms/events");
  source.addEventListener("alarms", function (m) {
    var c = JSON.parse(m.data);
    var link = banner.querySelector("a");
    link.textContent = c.text;
    banner.hidden = !(c.active > 0 || c.unacknowledged > 0);
    banner.classList.toggle("action", c.action > 0);
    banner.setAttribute("data-live", "1");
  });
})();

(function () {
  // Monitoring: a CSV file read into the upload's text area.
  var input = document.getElementById("csv-input");
  var area = document.getElementById("csv");
  if (!input || !area) return;
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) return;
    if (file.size > 1048576) { alert("That file is larger than 1 MiB: split it."); return; }
    file.text().then(function (content) { area.value = content; });
  });
})();

(function () {
  // A trend: drag across the chart to zoom to that span (the server draws it again, min/max
  // downsampled). The plot spans x = 80 to 870 of the chart's 900-wide view box.
  var figure = document.querySelector(".trend-chart");
  if (!figure) return;
  var svg = figure.querySelector("svg");
  if (!svg || !svg.getScreenCTM) return;
  var t0 = parseFloat(figure.getAttribute("data-from")), t1 = parseFloat(figure.getAttribute("data-to"));
  if (!(t1 > t0)) return;
  var left = 80, right = 870, start = null, box = null;
  function viewX(e) {
    var p = svg.createSVGPoint();
    p.x = e.clientX; p.y = e.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse()).x;
  }
  function time(x) { return t0 + (Math.min(right, Math.max(left, x)) - left) / (right - left) * (t1 - t0); }
  function iso(t) { return new Date(Math.round(t) * 1000).toISOString().replace(".000Z", "Z"); }
  svg.style.cursor = "crosshair";
  svg.addEventListener("mousedown", function (e) {
    start = viewX(e);
    box = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    box.setAttribute("y", "30"); box.setAttribute("height", "244"); box.setAttribute("fill", "rgba(40,90,160,.15)");
    box.setAttribute("x", String(start)); box.setAttribute("width", "0");
    svg.appendChild(box);
    e.preventDefault();
  });
  svg.addEventListener("mousemove", function (e) {
    if (start === null) return;
    var x = viewX(e);
    box.setAttribute("x", String(Math.min(start, x)));
    box.setAttribute("width", String(Math.abs(x - start)));
  });
  window.addEventListener("mouseup", function (e) {
    if (start === null) return;
    var a = time(Math.min(start, viewX(e))), b = time(Math.max(start, viewX(e)));
    start = null;
    if (b - a < 1) { box.remove(); return; }
    window.location.href = figure.getAttribute("data-link") + "&from=" + encodeURIComponent(iso(a)) + "&to=" + encodeURIComponent(iso(b));
  });
})();
