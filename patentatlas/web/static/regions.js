// The region page: a choropleth of the chosen indicator over the region's children (a ranked bar
// chart where no boundaries exist, as below the county), the trends chart, and drill-down by click.
// Everything drawn comes from the page's own dict (#region-data) and the boundaries at /geo/.
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  var page = JSON.parse(document.getElementById("region-data").textContent);
  var words = JSON.parse(document.getElementById("region-words").textContent);
  var map = page.map;
  var byCode = {};
  map.regions.forEach(function (r) { byCode[r.code] = r; });
  // the page's handle for tests and for people at the console: drillDown is what a click calls
  var api = window.regionPage = { ready: false, chart: null, trends: null, drillDown: drillDown, link: link };

  function link(code) {  // the same view (indicator, industry, date, language) of another region
    var params = new URLSearchParams(window.location.search);
    params.delete("format");
    var query = params.toString();
    return "/regions/" + code + (query ? "?" + query : "");
  }

  function drillDown(code) {
    if (byCode[code]) { window.location.href = link(code); }
  }

  var esc = echarts.format.encodeHTML;

  function number(value) {
    return value === null || value === undefined ? words.no_data : String(value);
  }

  function tooltip(code, geoName) {
    var r = byCode[code];
    if (!r) { return esc(geoName || ""); }
    var lines = ["<b>" + esc(r.name) + "</b>", (words[page.indicator] || page.indicator) + ": " + number(r.value)];
    page.map_columns.forEach(function (key) {
      if (key !== page.indicator) { lines.push((words[key] || key) + ": " + number(r[key])); }
    });
    return lines.join("<br>");
  }

  function pieces() {  // the legend's classes: a class of its own for 0, then ranges (a, b]
    return page.legend.map(function (c) {
      var piece = c.min === c.max ? { value: c.min } : { gt: c.min, lte: c.max };
      piece.label = c.label;
      piece.color = c.color;
      return piece;
    });
  }

  function finished(chart) {
    chart.on("finished", function () {
      if (!api.ready) {
        api.ready = true;
        document.body.setAttribute("data-map-ready", "1");
      }
    });
  }

  function drawMap(el, geo) {
    var name = "region-" + map.parent.code;
    var geoNames = {};
    geo.features.forEach(function (f) {  // the boundary lines (境界线) have no adcode and no label
      if (f.properties.adcode) { geoNames[f.properties.adcode] = f.properties.name; }
    });
    echarts.registerMap(name, geo);
    var chart = api.chart = echarts.init(el);
    finished(chart);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: function (p) { return tooltip(p.name, geoNames[p.name]); } },
      visualMap: {
        type: "piecewise", seriesIndex: 0, pieces: pieces(), left: 10, bottom: 10, showLabel: true,
        textStyle: { fontSize: 12 }, itemWidth: 18, itemHeight: 12
      },
      series: [{
        type: "map", map: name, nameProperty: "adcode", roam: false, selectedMode: false,
        layoutCenter: ["50%", "50%"], layoutSize: "95%",
        data: map.regions.map(function (r) { return { name: r.code, value: r.value }; }),
        label: {
          show: map.regions.length <= 20, fontSize: 12, color: "#1d2733",  // 34 provinces: names on hover
          formatter: function (p) { return geoNames[p.name] || ""; }
        },
        itemStyle: { areaColor: "#d5d8dc", borderColor: "#8a97a6", borderWidth: 0.8 },
        emphasis: { label: { show: true, fontWeight: "bold" }, itemStyle: { areaColor: "#f6c85f" } }
      }]
    });
    chart.on("click", function (p) { drillDown(p.name); });
    return chart;
  }

  function drawBars(el) {  // no boundaries below this level: the children ranked by the indicator
    var ranked = page.map_ranked;  // ranked on the server, as the table under the chart
    el.style.height = Math.max(260, 24 * ranked.length + 60) + "px";
    var chart = api.chart = echarts.init(el);
    finished(chart);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: function (p) { return tooltip(p.data.code); } },
      grid: { left: 160, right: 40, top: 10, bottom: 30 },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: ranked.map(function (r) { return r.name; }),
               axisLabel: { width: 150, overflow: "truncate" } },
      series: [{
        type: "bar", label: { show: true, position: "right" },
        data: ranked.map(function (r) { return { value: r.value, code: r.code }; }),
        itemStyle: { color: "#2f6fb0" }
      }]
    });
    chart.on("click", function (p) { drillDown(p.data.code); });
    return chart;
  }

  function drawTrends(el) {
    var series = [["applications_by_year", words.applications], ["grants_by_year", words.grants]];
    var known = [];
    series.forEach(function (s) {
      Object.keys(page.indicators[s[0]] || {}).forEach(function (y) { if (/^\d{4}$/.test(y)) { known.push(+y); } });
    });
    if (!known.length) { el.textContent = words.no_data; el.style.height = "auto"; return null; }
    var years = [];  // every year from the first to the last: a year without patents is a 0, not a gap
    for (var y = Math.min.apply(null, known); y <= Math.max.apply(null, known); y++) { years.push(String(y)); }
    var chart = api.trends = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: series.map(function (s) { return s[1]; }) },
      grid: { left: 50, right: 20, top: 30, bottom: 30 },
      xAxis: { type: "category", data: years },
      yAxis: { type: "value" },
      series: series.map(function (s, i) {
        var data = page.indicators[s[0]] || {};
        return { name: s[1], type: i === 0 ? "bar" : "line", data: years.map(function (y) { return data[y] || 0; }),
                 itemStyle: { color: i === 0 ? "#2f6fb0" : "#d9822b" } };
      })
    });
    return chart;
  }

  var mapEl = document.getElementById("region-map");
  if (mapEl && map.regions.length) {
    if (map.has_boundaries) {
      fetch("/geo/" + map.parent.code + ".json")
        .then(function (r) { if (!r.ok) { throw new Error("no boundaries for " + map.parent.code); } return r.json(); })
        .then(function (geo) { drawMap(mapEl, geo); })
        .catch(function () { drawBars(mapEl); });  // the file went missing: the numbers still show
    } else {
      drawBars(mapEl);
    }
  } else {
    api.ready = true;
    document.body.setAttribute("data-map-ready", "1");
  }
  var trendsEl = document.getElementById("trends-chart");
  if (trendsEl) { drawTrends(trendsEl); }
  function resize(chart) {  // a map cannot be laid out in a box of no size (ECharts throws): wait for the next
    var el = chart && chart.getDom();
    if (el && el.clientWidth > 0 && el.clientHeight > 0) { chart.resize(); }
  }
  window.addEventListener("resize", function () { resize(api.chart); resize(api.trends); });
})();
