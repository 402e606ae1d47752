// Renders the Dragnet report from the JSON in #report-data. Log content is untrusted, so
// every value is inserted with textContent or as an attribute, never parsed as HTML.
"use strict";

window.addEventListener("error", function (event) {
  document.body.dataset.render = "error";
  document.body.dataset.error = String(event.message);
});

(function () {
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var detections = data.detections;
  var SVG = "http://www.w3.org/2000/svg";
  var SEVERITY_ORDER = ["critical", "high", "medium", "low", "informational"];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function severityOf(d) { return (d.rule && d.rule.severity) || "none"; }

  function severityClass(severity) {
    var s = String(severity).toLowerCase();
    return SEVERITY_ORDER.indexOf(s) >= 0 && s !== "informational" ? "sev-" + s : "sev-other";
  }

  function severityBadge(severity) {
    return el("span", { "class": "sev " + severityClass(severity) }, severity);
  }

  function text(value) {
    if (value === null || value === undefined) { return ""; }
    if (typeof value === "string") { return value; }
    return JSON.stringify(value);
  }

  function countBy(keyOf) {
    var counts = {};
    detections.forEach(function (item) {
      var key = keyOf(item.detection);
      counts[key] = (counts[key] || 0) + 1;
    });
    return Object.keys(counts).map(function (k) { return [k, counts[k]]; })
      .sort(function (a, b) { return b[1] - a[1] || (a[0] < b[0] ? -1 : 1); });
  }

  // Header facts.
  document.getElementById("facts").textContent =
    detections.length + " detections from " + data.rules_loaded + " rules over " +
    data.records + " records (" + data.rejected + " rejected). Times in " + data.zone +
    ". Generated " + data.generated_at + ".";

  // Counts per severity and per rule.
  var bySeverity = document.getElementById("by-severity");
  countBy(severityOf).forEach(function (pair) {
    var row = el("tr");
    var cell = el("td");
    cell.appendChild(severityBadge(pair[0]));
    row.appendChild(cell);
    row.appendChild(el("td", { "class": "num" }, pair[1]));
    bySeverity.appendChild(row);
  });
  var byRule = document.getElementById("by-rule");
  countBy(function (d) { return d.rule.name; }).forEach(function (pair) {
    var row = el("tr", { "class": "pivot" });
    row.appendChild(el("td", null, pair[0]));
    row.appendChild(el("td", { "class": "num" }, pair[1]));
    row.addEventListener("click", function () {
      applyFilter(row, "rule " + pair[0], function (d) { return d.rule.name === pair[0]; });
    });
    byRule.appendChild(row);
  });

  // Pivot values per detection: users, IPs and applications from match values and events.
  function collect(detection) {
    var found = { users: {}, ips: {}, apps: {} };
    function add(kind, value) {
      if (Array.isArray(value)) { value.forEach(function (v) { add(kind, v); }); return; }
      if (typeof value === "string" && value !== "") { found[kind][value] = true; }
    }
    function noun(n) {
      if (!n) { return; }
      if (n.user) { add("users", n.user.userid); add("users", n.user.email_addresses); }
      add("ips", n.ip);
      add("apps", n.application);
      if (n.resource) { add("apps", n.resource.name); }
    }
    Object.keys(detection.events || {}).forEach(function (v) {
      (detection.events[v] || []).forEach(function (event) {
        noun(event.principal); noun(event.target); noun(event.src);
      });
    });
    return {
      users: Object.keys(found.users),
      ips: Object.keys(found.ips),
      apps: Object.keys(found.apps)
    };
  }
  var pivots = detections.map(function (item) { return collect(item.detection); });

  function pivotTable(id, kind) {
    var counts = {};
    pivots.forEach(function (p) { p[kind].forEach(function (v) { counts[v] = (counts[v] || 0) + 1; }); });
    var table = document.getElementById(id);
    var keys = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); });
    if (keys.length === 0) { table.appendChild(el("tr")).appendChild(el("td", null, "none")); }
    keys.forEach(function (value) {
      var row = el("tr", { "class": "pivot" });
      row.appendChild(el("td", null, value));
      row.appendChild(el("td", { "class": "num" }, counts[value]));
      row.addEventListener("click", function () {
        applyFilter(row, value, function (d, i) { return pivots[i][kind].indexOf(value) >= 0; });
      });
      table.appendChild(row);
    });
  }
  pivotTable("pivot-users", "users");
  pivotTable("pivot-ips", "ips");
  pivotTable("pivot-apps", "apps");

  // Detection list.
  var list = document.getElementById("detections");
  var entries = detections.map(function (item, index) {
    var d = item.detection;
    var entry = el("details", { "class": "detection", id: "det-" + index, "data-id": d.id });
    var summary = el("summary");
    summary.appendChild(el("span", { "class": "time" }, item.display_window));
    summary.appendChild(el("span", { "class": "rule" }, d.rule.name));
    summary.appendChild(severityBadge(severityOf(d)));
    var match = Object.keys(d.match || {}).map(function (k) { return k + "=" + text(d.match[k]); });
    summary.appendChild(el("span", { "class": "match" }, match.join(" ")));
    entry.appendChild(summary);

    var facts = el("table", { "class": "kv" });
    function fact(key, value) {
      var row = el("tr");
      row.appendChild(el("td", null, key));
      row.appendChild(el("td", null, value));
      facts.appendChild(row);
    }
    fact("id", d.id);
    fact("type", d.type);
    fact("window (UTC)", d.time_window.start + " – " + d.time_window.end);
    Object.keys(d.outcome || {}).forEach(function (k) { fact("$" + k, text(d.outcome[k])); });
    if (d.rule.meta && d.rule.meta.description) { fact("description", d.rule.meta.description); }
    entry.appendChild(facts);

    Object.keys(d.events || {}).forEach(function (variable) {
      var events = d.events[variable] || [];
      entry.appendChild(el("h3", null, "$" + variable + " (" + events.length + " shown)"));
      events.forEach(function (event) {
        var box = el("details");
        var meta = event.metadata || {};
        // An entity record (`$e.graph.`) has no event time; its type and feed name it.
        var parts = meta.entity_type
          ? [meta.entity_type, meta.source_type, meta.product_name, meta.product_entity_id]
          : [meta.event_timestamp, meta.event_type, meta.product_event_type, meta.product_log_id];
        box.appendChild(el("summary", null,
          parts.map(function (part) { return part || ""; }).join("  ")));
        box.appendChild(el("pre", null, JSON.stringify(event, null, 2)));
        entry.appendChild(box);
      });
    });
    list.appendChild(entry);
    return entry;
  });

  // Filtering from the pivots.
  var note = document.getElementById("filter-note");
  var activeRow = null;
  function applyFilter(row, label, keep) {
    if (activeRow === row) { clearFilter(); return; }
    if (activeRow) { activeRow.classList.remove("active"); }
    activeRow = row;
    row.classList.add("active");
    var shown = 0;
    detections.forEach(function (item, i) {
      var visible = keep(item.detection, i);
      entries[i].hidden = !visible;
      if (visible) { shown += 1; }
    });
    note.textContent = "(" + shown + " with " + label + ")";
    var reset = el("button", { type: "button" }, "show all");
    reset.addEventListener("click", clearFilter);
    note.appendChild(reset);
  }
  function clearFilter() {
    if (activeRow) { activeRow.classList.remove("active"); }
    activeRow = null;
    entries.forEach(function (e) { e.hidden = false; });
    note.textContent = "";
  }

  function reveal(index) {
    clearFilter();
    var entry = entries[index];
    entry.open = true;
    entry.classList.add("flash");
    entry.scrollIntoView({ block: "center" });
    setTimeout(function () { entry.classList.remove("flash"); }, 1500);
  }

  // Formats axis times in the report's zone when the browser knows it, else in UTC.
  function axisFormatter(zone) {
    try {
      var format = new Intl.DateTimeFormat("en-CA", {
        timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23"
      });
      return function (t) { return format.format(new Date(t)).replace(",", ""); };
    } catch (e) {
      return function (t) { return new Date(t).toISOString().replace("T", " ").slice(0, 16) + " UTC"; };
    }
  }

  // Timeline: one lane per rule, a bar per window (a dot for single events), by severity.
  function drawTimeline() {
    var box = document.getElementById("timeline");
    if (detections.length === 0) {
      box.appendChild(el("p", null, "No detections."));
      return;
    }
    var times = [];
    detections.forEach(function (item) {
      times.push(Date.parse(item.detection.time_window.start));
      times.push(Date.parse(item.detection.time_window.end));
    });
    var min = Math.min.apply(null, times);
    var max = Math.max.apply(null, times);
    if (max === min) { max = min + 60000; }
    var pad = (max - min) * 0.03;
    min -= pad; max += pad;
    var rules = [];
    detections.forEach(function (item) {
      if (rules.indexOf(item.detection.rule.name) < 0) { rules.push(item.detection.rule.name); }
    });
    var labelWidth = 20 + 7 * Math.max.apply(null, rules.map(function (r) { return r.length; }));
    labelWidth = Math.min(labelWidth, 360);
    var width = Math.max(900, box.clientWidth - 20);
    var lane = 26;
    var height = 30 + rules.length * lane + 24;
    var plot = width - labelWidth - 20;
    function x(t) { return labelWidth + (t - min) / (max - min) * plot; }
    var chart = svg("svg", { width: width, height: height, role: "img",
      "aria-label": "Timeline of " + detections.length + " detections" });
    rules.forEach(function (rule, i) {
      var y = 20 + i * lane;
      var label = svg("text", { x: 4, y: y + 15, "class": "lane-label" });
      label.textContent = rule.length > 48 ? rule.slice(0, 47) + "…" : rule;
      chart.appendChild(label);
      chart.appendChild(svg("line", { x1: labelWidth, x2: width - 20, y1: y + 11, y2: y + 11,
        stroke: "#e3e7ec" }));
    });
    var tickFormat = axisFormatter(data.zone);
    for (var tick = 0; tick <= 4; tick += 1) {
      var t = min + (max - min) * tick / 4;
      var tx = x(t);
      chart.appendChild(svg("line", { x1: tx, x2: tx, y1: 14, y2: height - 20, stroke: "#eef0f3" }));
      var anchor = tick === 0 ? "start" : (tick === 4 ? "end" : "middle");
      var tl = svg("text", { x: tx, y: height - 6, "text-anchor": anchor });
      tl.textContent = tickFormat(t);
      chart.appendChild(tl);
    }
    var colors = { critical: "#8b0a1e", high: "#c62828", medium: "#d98a00", low: "#1e7fb8" };
    detections.forEach(function (item, index) {
      var d = item.detection;
      var y = 20 + rules.indexOf(d.rule.name) * lane;
      var start = x(Date.parse(d.time_window.start));
      var end = x(Date.parse(d.time_window.end));
      var color = colors[String(severityOf(d)).toLowerCase()] || "#7a8594";
      var mark;
      if (end - start < 6) {
        mark = svg("circle", { cx: start, cy: y + 11, r: 6, fill: color });
      } else {
        mark = svg("rect", { x: start, y: y + 4, width: end - start, height: 14, rx: 3,
          fill: color, "fill-opacity": 0.75 });
      }
      mark.setAttribute("class", "tl-det");
      mark.setAttribute("data-index", String(index));
      var title = svg("title", {});
      title.textContent = d.rule.name + " — " + item.display_window;
      mark.appendChild(title);
      mark.addEventListener("click", function () { reveal(index); });
      chart.appendChild(mark);
      // A tick per sample event, so the events inside a window show where they fell.
      Object.keys(d.events || {}).forEach(function (variable) {
        (d.events[variable] || []).forEach(function (event) {
          var at = Date.parse((event.metadata || {}).event_timestamp);
          if (isNaN(at)) { return; }
          chart.appendChild(svg("line", { x1: x(at), x2: x(at), y1: y + 1, y2: y + 21,
            stroke: "#1c2330", "stroke-width": 1, "class": "tl-event" }));
        });
      });
    });
    box.appendChild(chart);
  }
  drawTimeline();

  document.body.dataset.detections = String(detections.length);
  if (document.body.dataset.render !== "error") { document.body.dataset.render = "ok"; }
})();
