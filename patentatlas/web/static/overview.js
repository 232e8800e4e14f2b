// Draws the filings-by-year bar chart from the numbers the page already holds.
(function () {
  var el = document.getElementById("years-chart");
  var data = JSON.parse(document.getElementById("years-data").textContent);
  if (!el || typeof echarts === "undefined") return;
  var known = Object.keys(data).filter(function (k) { return k !== "unknown"; }).map(Number);
  // every year from the first to the last, so a year without filings shows as a gap, not as nothing
  var years = [];
  for (var y = Math.min.apply(null, known); y <= Math.max.apply(null, known); y++) { years.push(String(y)); }
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    grid: { left: 50, right: 20, top: 20, bottom: 30 },
    xAxis: { type: "category", data: years },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: years.map(function (y) { return data[y] || 0; }), itemStyle: { color: "#2f6fb0" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
