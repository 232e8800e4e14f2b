// Draws the filings-by-year bar chart from the numbers the page already holds.
(function () {
  var el = document.getElementById("years-chart");
  var data = JSON.parse(document.getElementById("years-data").textContent);
  if (!el || typeof echarts === "undefined") return;
  var years = Object.keys(data).filter(function (k) { return k !== "unknown"; });
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    grid: { left: 50, right: 20, top: 20, bottom: 30 },
    xAxis: { type: "category", data: years },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: years.map(function (y) { return data[y]; }), itemStyle: { color: "#2f6fb0" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
