// Tally's pages: the live status line, the filters, and the charts (day by day, the
// last 13 months, and the sales by channel).
// No build step: plain JavaScript, served from the binary.
(function () {
  "use strict";

  function setLive(connected) {
    var status = document.getElementById("live-status");
    if (!status) return;
    status.textContent = connected ? status.dataset.live : status.dataset.reconnecting;
    status.classList.toggle("connected", connected);
  }

  // The live feed: one EventSource per page, open only while the page is shown. A page
  // the browser keeps in its back/forward cache would otherwise hold its stream open,
  // and a few such pages take every connection the browser allows to this server, so
  // the next page never loads. Each "changed" asks the page's live part to fetch itself
  // again (hx-trigger="live-changed"); a page shown again reconnects with the version
  // it last heard of, and the server says at once if the numbers moved meanwhile.
  var live = { source: null, version: null };

  function listen() {
    var holder = document.querySelector("[data-live-since]");
    if (!holder || live.source) return;
    if (live.version === null) live.version = holder.dataset.liveSince;
    var feed = holder.dataset.liveFeed || "/live";
    var source = new EventSource(feed + "?since=" + encodeURIComponent(live.version));
    live.source = source;
    source.addEventListener("hello", function () { setLive(true); });
    source.addEventListener("changed", function (event) {
      live.version = event.data;
      // Notices are found just after a change: the bell looks again a moment later.
      var bell = document.getElementById("bell");
      if (bell) setTimeout(function () { htmx.trigger(document.getElementById("bell"), "bell-check"); }, 1500);
      holder.querySelectorAll("[hx-trigger='live-changed']").forEach(function (part) {
        htmx.trigger(part, "live-changed");
      });
    });
    source.onerror = function () {
      setLive(false);
      // A feed the server refused (a revoked TV link) is not retried by the browser:
      // the page loads again, and shows why, rather than stale numbers for ever.
      if (source.readyState === EventSource.CLOSED && holder.dataset.reloadWhenClosed !== undefined) {
        setTimeout(function () { window.location.reload(); }, 3000);
      }
    };
  }

  function stopListening() {
    if (!live.source) return;
    live.source.close();
    live.source = null;
    setLive(false);
  }

  document.addEventListener("DOMContentLoaded", listen);
  window.addEventListener("pageshow", listen);
  window.addEventListener("pagehide", stopListening);

  // A filter menu or a date changes the report at once; the button stays for the
  // keyboard and for browsers without scripts.
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form#filters");
    if (!form) return;
    if (event.target.id === "from" || event.target.id === "to") {
      var period = document.getElementById("period-field");
      var from = document.getElementById("from"), to = document.getElementById("to");
      // Both days, and typed whole (dd/mm/yyyy on the Vietnamese page), before it moves.
      if (!from.value || !to.value || !from.checkValidity() || !to.checkValidity()) return;
      if (period) period.remove();
    }
    form.requestSubmit();
  });

  var units = {
    count: function (v, lang) { return v.toLocaleString(lang === "vi" ? "vi-VN" : "en-US"); },
    seconds: function (v) {
      v = Math.round(v);
      var h = Math.floor(v / 3600), m = Math.floor(v / 60) % 60, s = v % 60;
      return h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
    },
    // Axis labels stay short: 15,5 tr ₫ / 1,2 tỷ ₫ (15.5M ₫ / 1.2B ₫).
    money: function (v, lang) {
      var vi = lang === "vi", locale = vi ? "vi-VN" : "en-US";
      var steps = [[1e9, vi ? " tỷ" : "B"], [1e6, vi ? " tr" : "M"], [1e3, vi ? " N" : "K"]];
      for (var i = 0; i < steps.length; i++) {
        if (Math.abs(v) >= steps[i][0]) {
          return (v / steps[i][0]).toLocaleString(locale, { maximumFractionDigits: 1 }) + steps[i][1] + " ₫";
        }
      }
      return v.toLocaleString(locale) + " ₫";
    }
  };

  // Talk-time ticks on whole minutes and hours.
  var secondSteps = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 18000, 36000, 72000, 144000];

  // One chart a metric in `holder`: `labels` along the bottom, `pick(series)` its
  // values; bars for months, a line for days.
  function drawSeries(holder, data, labels, pick, bars) {
    var lang = holder.dataset.lang;
    holder.textContent = "";
    var xs = labels.map(function (_, i) { return i; });
    data.series.forEach(function (series) {
      var figure = document.createElement("figure");
      figure.className = "chart";
      figure.dataset.metric = series.metric;
      var caption = document.createElement("figcaption");
      caption.textContent = series.name;
      figure.appendChild(caption);
      holder.appendChild(figure);
      var format = units[series.unit] || units.count;
      var width = Math.max(260, Math.min(560, holder.clientWidth - 16));
      var line = { label: series.name, stroke: "#0b5cad", fill: "rgba(11,92,173,0.12)", width: 2 };
      if (bars) {
        line.fill = "rgba(11,92,173,0.55)";
        line.paths = uPlot.paths.bars({ size: [0.6, 40] });
        line.points = { show: false };
      }
      new uPlot({
        width: width, height: 180,
        legend: { show: false },
        scales: { x: { time: false, range: bars ? [-0.5, labels.length - 0.5] : undefined } },
        axes: [
          { values: function (u, ticks) { return ticks.map(function (i) { return labels[i] || ""; }); } },
          {
            size: 80,
            incrs: series.unit === "seconds" ? secondSteps : undefined,
            values: function (u, ticks) { return ticks.map(function (v) { return format(v, lang); }); }
          }
        ],
        series: [{}, line]
      }, [xs, pick(series)], figure);
    });
  }

  // The day-by-day charts, and the bars of the last 13 months, from the report's data.
  function drawCharts(root) {
    if (typeof uPlot === "undefined") return;
    root.querySelectorAll(".trend").forEach(function (section) {
      var holder = section.querySelector(".charts");
      var data = JSON.parse(section.querySelector(".trend-data").textContent || "{}");
      if (!holder || !data.series) return;
      drawSeries(holder, data, data.days, function (s) { return s.values; }, false);
    });
    // The last 13 months: a bar a month.
    root.querySelectorAll(".months-trend").forEach(function (section) {
      var holder = section.querySelector(".month-charts");
      var data = JSON.parse(section.querySelector(".months-data").textContent || "{}");
      if (!holder || !data.series) return;
      drawSeries(holder, data, data.labels, function (s) { return s.values; }, true);
    });
    // The sales by channel: a bar a channel, for revenue and for won opportunities.
    root.querySelectorAll(".sales-trend").forEach(function (section) {
      var holder = section.querySelector(".charts");
      var data = JSON.parse(section.querySelector(".sales-data").textContent || "{}");
      if (!holder || !data.series || !data.labels.length) return;
      drawSeries(holder, data, data.labels, function (s) { return s.values; }, true);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });

  // The opportunities board: a card dropped on another status's column posts the same
  // form as that status's button (the buttons stay for the keyboard and for phones).
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    dragged = event.target.closest && event.target.closest(".deal");
    if (dragged) event.dataTransfer.setData("text/plain", dragged.dataset.opportunity);
  });
  document.addEventListener("dragover", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".status-column");
    if (!column) return;
    event.preventDefault();
    column.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".status-column");
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop-target");
  });
  document.addEventListener("drop", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".status-column");
    if (!column) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    var form = dragged.querySelector("form.move");
    var status = column.dataset.status;
    dragged = null;
    if (!form || form.closest(".status-column") === column) return;
    var field = document.createElement("input");
    field.type = "hidden"; field.name = "status"; field.value = status;
    form.appendChild(field);
    form.submit();
  });

  // A Master.csv uploaded from the calls page: sent as it is (text/csv) with its
  // progress shown, then the import's summary in place of the form's status.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "cdr-upload") return;
    event.preventDefault();
    var file = document.getElementById("cdr-file").files[0];
    if (!file) return;
    var bar = document.getElementById("cdr-progress");
    var status = document.getElementById("cdr-status");
    var request = new XMLHttpRequest();
    bar.hidden = false; bar.value = 0;
    status.textContent = form.dataset.uploading;
    request.upload.onprogress = function (e) {
      if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
    };
    request.upload.onload = function () { bar.value = 100; status.textContent = form.dataset.counting; };
    request.onload = function () {
      bar.hidden = true;
      status.textContent = "";
      var summary = document.getElementById("cdr-summary");
      // A session that ended meanwhile answers with the sign-in page: reload to it.
      if (!/\/calls\/upload$/.test(new URL(request.responseURL).pathname)) {
        window.location.reload();
      } else if (request.status === 200) {
        summary.innerHTML = request.responseText;
      } else {
        var doc = new DOMParser().parseFromString(request.responseText, "text/html");
        var message = doc.querySelector("p.error");
        summary.textContent = message ? message.textContent : String(request.status);
      }
    };
    request.onerror = function () { bar.hidden = true; status.textContent = String(request.status || "error"); };
    request.open("POST", "/calls/upload");
    request.setRequestHeader("Content-Type", "text/csv");
    request.send(file);
  });
})();
