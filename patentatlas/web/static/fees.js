// The fee calendar's chart: what falls due each month (upcoming and in grace), from the page's own data.
(function () {
  const el = document.getElementById("fee-chart");
  if (!el || !window.echarts) return;
  const months = JSON.parse(el.dataset.months || "{}");
  const keys = Object.keys(months);
  const chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    grid: { left: 60, right: 20, top: 20, bottom: 30 },
    xAxis: { type: "category", data: keys },
    yAxis: { type: "value", name: "¥" },
    series: [{ type: "bar", data: keys.map((k) => months[k].amount), itemStyle: { color: "#3182bd" } }],
  });
  window.addEventListener("resize", () => chart.resize());
})();
