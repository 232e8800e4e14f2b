// The search page's analysis of the result set: filings by year, top applicants, top IPC subclasses.
// Everything drawn comes from the numbers the page already holds (#search-charts-data, the page's
// own JSON under "charts"); no inline script (the CSP allows our own files only).
(function () {
  "use strict";
  var holder = document.getElementById("search-charts-data");
  if (!holder) return;
  var data = JSON.parse(holder.textContent);
  var words = JSON.parse(document.getElementById("search-charts-words").textContent);
  var api = window.searchCharts = { ready: false, charts: {} };

  function bars(id, labels, values, horizontal) {
    var el = document.getElementById(id);
    if (!values.length) { el.textContent = words.no_data; el.style.height = "auto"; return; }
    var chart = echarts.init(el);
    api.charts[id] = chart;
    var category = { type: "category", data: labels, inverse: horizontal,
                     axisLabel: horizontal ? { width: 150, overflow: "truncate" } : {} };
    var amount = { type: "value", minInterval: 1 };
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: horizontal ? { left: 160, right: 40, top: 10, bottom: 20 } : { left: 40, right: 10, top: 10, bottom: 30 },
      xAxis: horizontal ? amount : category,
      yAxis: horizontal ? category : amount,
      series: [{ name: words.patent_count, type: "bar", data: values, itemStyle: { color: "#2f6fb0" },
                 label: { show: horizontal, position: "right" } }]
    });
  }

  bars("chart-trend", data.trend.map(function (r) { return String(r.year); }),
       data.trend.map(function (r) { return r.patents; }), false);
  bars("chart-applicants", data.applicants.map(function (r) { return r.applicant; }),
       data.applicants.map(function (r) { return r.patents; }), true);
  bars("chart-ipc", data.ipc.map(function (r) { return r.ipc_subclass; }),
       data.ipc.map(function (r) { return r.patents; }), true);
  window.addEventListener("resize", function () {
    Object.keys(api.charts).forEach(function (k) { api.charts[k].resize(); });
  });
  api.ready = true;
  document.body.setAttribute("data-charts-ready", "1");
})();
