// The industry pages: the bar chart of the nine first-level strategic emerging industries and the
// expandable tree on /industries; the members-by-year chart on a specialty database's page.
// Everything drawn comes from the numbers the page already holds (#industries-data, #specialty-years).
(function () {
  "use strict";
  var words = JSON.parse(document.getElementById("industries-words").textContent);
  var api = window.industriesPage = { ready: false, charts: [] };

  function done() {
    api.ready = true;
    document.body.setAttribute("data-charts-ready", "1");
  }

  function drawIndustries(el, rows) {  // horizontal bars: patents and valid inventions per industry
    var chart = echarts.init(el);
    api.charts.push(chart);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, data: [words.patents, words.valid_inventions] },
      grid: { left: 210, right: 60, top: 30, bottom: 20 },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, axisLabel: { width: 200, overflow: "truncate" },
               data: rows.map(function (r) { return r.code + " " + r.name; }) },
      series: [
        { name: words.patents, type: "bar", data: rows.map(function (r) { return r.patents; }),
          itemStyle: { color: "#2f6fb0" }, label: { show: true, position: "right" } },
        { name: words.valid_inventions, type: "bar", data: rows.map(function (r) { return r.valid_inventions; }),
          itemStyle: { color: "#d9822b" } }
      ]
    });
  }

  function drawYears(el, rows) {  // every year from the first to the last (a year without filings is 0)
    if (!rows.length) { el.textContent = words.no_data; el.style.height = "auto"; return; }
    var chart = echarts.init(el);
    api.charts.push(chart);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 20, top: 20, bottom: 30 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.year === "unknown" ? words.unknown : r.year; }) },
      yAxis: { type: "value" },
      series: [{ name: words.patents, type: "bar", data: rows.map(function (r) { return r.patents; }),
                 itemStyle: { color: "#2f6fb0" } }]
    });
  }

  function toggle(button, open) {  // show or hide one first-level industry's children
    var code = button.getAttribute("data-code");
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? "▾" : "▸";
    document.querySelectorAll('#sei-table tr[data-parent="' + code + '"]').forEach(function (row) {
      row.classList.toggle("collapsed", !open);
    });
  }

  function treeControls() {  // collapsed by default; without script every level stays shown, indented
    var buttons = document.querySelectorAll("#sei-table button.toggle");
    buttons.forEach(function (b) {
      toggle(b, false);
      b.addEventListener("click", function () { toggle(b, b.getAttribute("aria-expanded") !== "true"); });
    });
    var all = function (open) { return function () { buttons.forEach(function (b) { toggle(b, open); }); }; };
    var expand = document.getElementById("expand-all"), collapse = document.getElementById("collapse-all");
    if (expand) { expand.addEventListener("click", all(true)); }
    if (collapse) { collapse.addEventListener("click", all(false)); }
  }

  treeControls();
  if (typeof echarts !== "undefined") {
    var industriesEl = document.getElementById("sei-chart");
    if (industriesEl) { drawIndustries(industriesEl, JSON.parse(document.getElementById("industries-data").textContent)); }
    var yearsEl = document.getElementById("specialty-years-chart");
    if (yearsEl) { drawYears(yearsEl, JSON.parse(document.getElementById("specialty-years").textContent)); }
    window.addEventListener("resize", function () { api.charts.forEach(function (c) { c.resize(); }); });
  }
  done();
})();
