// The government fee-warnings page: valid inventions entering the grace period this quarter, as
// ranked bars by sub-region and by strategic emerging industry. Everything drawn comes from the
// page's own dict (#warnings-data); the tables under the charts hold the same numbers.
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  var data = JSON.parse(document.getElementById("warnings-data").textContent);
  var words = JSON.parse(document.getElementById("warnings-words").textContent);
  var charts = [];
  var api = window.warningsPage = { ready: false, charts: charts };

  function ranked(rows) {  // most first; the rows without any are left out of the chart
    return rows.filter(function (r) { return r.count > 0; })
      .sort(function (a, b) { return b.count - a.count || b.fees_at_risk - a.fees_at_risk; });
  }

  function draw(el, rows, link) {
    var shown = ranked(rows);
    if (!shown.length) { el.textContent = words.none; el.style.height = "auto"; return; }
    el.style.height = Math.max(200, 24 * shown.length + 60) + "px";
    var chart = echarts.init(el);
    charts.push(chart);
    chart.setOption({
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var r = p.data.row;
          return echarts.format.encodeHTML(r.name || "") + "<br>" + words.count + ": " + r.count +
            "<br>" + words.fees + ": " + r.fees_at_risk.toLocaleString();
        }
      },
      grid: { left: 170, right: 50, top: 10, bottom: 30 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: shown.map(function (r) { return r.name || ""; }),
               axisLabel: { width: 160, overflow: "truncate" } },
      series: [{
        type: "bar", label: { show: true, position: "right" }, itemStyle: { color: "#c0504d" },
        data: shown.map(function (r) { return { value: r.count, row: r }; })
      }]
    });
    if (link) {
      chart.on("click", function (p) {
        var r = p.data.row;
        if (r.allowed && r.code) { window.location.href = "/warnings/regions/" + r.code + window.location.search; }
      });
    }
  }

  var regionEl = document.getElementById("chart-by-region");
  if (regionEl) { draw(regionEl, data.by_child_region, true); }
  var industryEl = document.getElementById("chart-by-industry");
  if (industryEl) { draw(industryEl, data.by_industry, false); }
  api.ready = true;
  document.body.setAttribute("data-charts-ready", "1");
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
