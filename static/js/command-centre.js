/* The command centre (指挥中心): today's figures, the map of open cases by SLA class, the live feed
   and the charts of one district, street or community. No reload: the page listens on
   /ws/cases/live/?level=&id= (the server checks the node's scope on subscribe) and, for each case
   event, fetches what changed:
     - the feed entries written since the last one it shows (GET feed?after=<id>), newest on top;
     - the map points of the cases the events named (GET map?cases=<ids>): added, moved, recoloured
       or removed, with the legend's counts;
     - today's figures (GET summary, debounced) and, less often, the charts.
   Every figure, legend row, chart bar and point links to the cases behind it. Everything is
   refreshed on reconnect (events may have been missed) and periodically (SLA classes change with
   time alone: due soon → overdue). */
(function () {
  "use strict";
  const root = document.getElementById("gz-command");
  if (!root) return;
  const d = root.dataset;
  const labels = JSON.parse(document.getElementById("gz-command-labels").textContent);
  const COLOURS = {
    whistle: "#cc5de8", overdue: "#fa5252", escalated: "#ff922b", due_soon: "#fcc419", stopped: "#868e96", on_time: "#51cf66",
  };
  const FEED_TYPES = ["case.reported", "case.dispatch", "case.redispatch", "case.escalate", "case.whistle", "case.overdue"];

  function esc(text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function fill(template, values) { return template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m)); }
  function number(v) { return v === null || v === undefined ? "—" : Number(v).toLocaleString("zh-CN"); }
  function caseUrl(id) { return d.caseUrl.replace(/\/0\/$/, "/" + id + "/"); }
  function withParams(url, params) {
    const u = new URL(url, location.origin);
    Object.keys(params).forEach((k) => u.searchParams.set(k, params[k]));
    return u.pathname + u.search;
  }
  function clock(iso) {
    return new Date(iso).toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
  }
  async function getJSON(url) {
    const resp = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!resp.ok) throw new Error(url + " " + resp.status);
    return resp.json();
  }
  function debounce(fn, ms) {
    let timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  // -- today's figures -----------------------------------------------------------------------------

  function link(el, url, text) {
    if (!el) return;
    el.textContent = text;
    el.setAttribute("href", url);
  }

  function renderSummary(data) {
    const f = data.figures;
    const tile = (key) => root.querySelector('[data-figure="' + key + '"]');
    link(tile("intake").querySelector(".gz-kpi-value"), f.intake.url, number(f.intake.value));
    const rate = f.dispatched_1h.rate;
    link(tile("dispatched_1h").querySelector(".gz-kpi-value"), f.dispatched_1h.url,
      rate === null ? "—" : (Math.round(rate * 1000) / 10).toLocaleString("zh-CN") + "%");
    link(tile("dispatched_1h").querySelector('[data-part="value"]'), f.dispatched_1h.url, number(f.dispatched_1h.value));
    link(tile("dispatched_1h").querySelector('[data-part="base"]'), f.dispatched_1h.base_url, number(f.dispatched_1h.base));
    link(tile("overdue").querySelector(".gz-kpi-value"), f.overdue.url, number(f.overdue.value));
    tile("overdue").classList.toggle("gz-kpi-alert", f.overdue.value > 0);
    link(tile("unrated").querySelector(".gz-kpi-value"), f.unrated.url, number(f.unrated.value));
    link(tile("unrated").querySelector('[data-part="awaiting"]'), f.unrated.awaiting_url, number(f.unrated.awaiting));
    link(tile("unrated").querySelector('[data-part="closed"]'), f.unrated.closed_url, number(f.unrated.closed));
    link(tile("open").querySelector(".gz-kpi-value"), f.open.url, number(f.open.value));
    link(tile("whistles").querySelector(".gz-kpi-value"), f.whistles.url, number(f.whistles.value));
    tile("whistles").classList.toggle("gz-kpi-alert", f.whistles.value > 0);
  }

  async function loadSummary() {
    try { renderSummary(await getJSON(d.summary)); } catch (e) { /* the next event or tick retries */ }
  }

  // -- the map --------------------------------------------------------------------------------------

  const mapEl = document.getElementById("gz-command-map");
  const status = document.getElementById("gz-command-map-status");
  const map = L.map(mapEl, { attributionControl: !!d.tiles, zoomSnap: 0.25 });
  if (d.tiles) L.tileLayer(d.tiles, { maxZoom: 19, subdomains: "1234", attribution: d.attribution }).addTo(map);
  map.createPane("outlines").style.zIndex = 350;
  const markers = new Map();
  const pointLayer = L.layerGroup().addTo(map);
  let outlineLayer = null;
  let communityCounts = {};
  let lastMap = null;
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => L.DomUtil.create("div", "gz-command-legend");
  legend.addTo(map);

  function pointTooltip(p) {
    return "<strong>" + esc(p.number) + "</strong> " + esc(labels.category[p.category] || p.category) +
      "<br>" + esc(labels.state[p.state] || p.state) + " · " + esc(slaLabel(p.sla)) + "<br><span class=\"text-secondary\">" + esc(d.textOpenCase) + "</span>";
  }
  function slaLabel(key) {
    const row = lastMap && lastMap.legend.find((r) => r.key === key);
    return row ? row.label : key;
  }

  function upsert(feature, flash) {
    const p = feature.properties;
    const [lon, lat] = feature.geometry.coordinates;
    const old = markers.get(p.id);
    if (old) pointLayer.removeLayer(old);
    const marker = L.circleMarker([lat, lon], {
      radius: p.sla === "on_time" || p.sla === "stopped" ? 5 : 7,
      color: "#101826", weight: 1, fillColor: COLOURS[p.sla] || "#adb5bd", fillOpacity: 0.95,
      className: "gz-case-point gz-sla-" + p.sla + (flash ? " gz-flash" : ""),
    });
    marker.bindTooltip(pointTooltip(p), { direction: "top" });
    marker.on("click", () => { location.href = caseUrl(p.id); });
    marker.on("add", () => {
      // the path exists once the map has a view: mark it with its case (tests and styles find it)
      const el = marker.getElement();
      if (el) { el.setAttribute("data-case", p.id); el.setAttribute("data-sla", p.sla); }
      if (p.sla !== "on_time" && p.sla !== "stopped") marker.bringToFront();
    });
    marker.addTo(pointLayer);
    markers.set(p.id, marker);
  }

  function remove(id) {
    const old = markers.get(id);
    if (old) { pointLayer.removeLayer(old); markers.delete(id); }
  }

  function renderLegend(data) {
    const html = ['<div class="gz-legend-title">' + esc(d.textOpen) + " " + number(data.total) + " " + esc(d.textPieces) + "</div>"];
    data.legend.forEach((row) => {
      html.push('<a class="gz-legend-row" href="' + esc(row.url) + '" data-testid="legend-' + row.key + '"><i style="background:' +
        COLOURS[row.key] + '"></i><span>' + esc(row.label) + '</span><b>' + number(row.count) + "</b></a>");
    });
    legend.getContainer().innerHTML = html.join("");
  }

  function renderStatus(data) {
    let text = fill(d.textMapStatus, { total: number(data.total), shown: number(markers.size) });
    if (data.truncated) text += fill(d.textTruncated, { shown: number(data.shown) });
    if (data.total > data.located) text += fill(d.textNoLocation, { n: number(data.total - data.located) });
    status.textContent = text;
    status.dataset.count = String(markers.size);
  }

  function communityTooltip(props) {
    const c = communityCounts[props.id];
    let html = "<strong>" + esc(props.name) + "</strong>";
    if (c) {
      html += "<br>" + esc(d.textOpen) + " " + number(c.total) + " " + esc(d.textPieces) + (c.url ? "（" + esc(d.textClickList) + "）" : "");
      const parts = (lastMap ? lastMap.legend : []).filter((r) => c.counts[r.key]).map((r) => esc(r.label) + " " + c.counts[r.key]);
      if (parts.length) html += "<br><small>" + parts.join("，") + "</small>";
    }
    return html;
  }

  function renderOutlines(collection) {
    if (outlineLayer) map.removeLayer(outlineLayer);
    const style = {
      district: { color: "#74c0fc", weight: 3, fillOpacity: 0.02 },
      street: { color: "#74c0fc", weight: 2.2, fillOpacity: 0.02 },
      community: { color: "#4dabf7", weight: 1, dashArray: "4 3", fillOpacity: 0.04 },
      grid: { color: "#4dabf7", weight: 1, dashArray: "2 3", fillOpacity: 0.03 },
    };
    outlineLayer = L.geoJSON(collection, {
      pane: "outlines",
      style: (f) => Object.assign({ fillColor: "#1c7ed6" }, style[f.properties.level] || style.community),
      onEachFeature: (f, lyr) => {
        if (f.properties.level !== "community") return;
        lyr.bindTooltip(() => communityTooltip(f.properties), { sticky: true });
        lyr.on("click", () => {  // the community's open cases (not on a community's own page)
          const c = communityCounts[f.properties.id];
          if (c && c.url) location.href = c.url;
        });
      },
    }).addTo(map);
  }

  function applyCounts(data) {
    lastMap = Object.assign(lastMap || {}, { legend: data.legend, total: data.total, located: data.located, truncated: data.truncated, shown: data.shown });
    communityCounts = {};
    data.communities.forEach((c) => { communityCounts[c.id] = c; });
    renderLegend(data);
    renderStatus(lastMap);
  }

  let fitted = false;
  async function loadMap(withOutlines) {
    try {
      const data = await getJSON(withOutlines ? withParams(d.map, { outlines: "1" }) : d.map);
      if (data.outlines) renderOutlines(data.outlines);
      if (!fitted) {
        const bounds = outlineLayer && outlineLayer.getLayers().length ? outlineLayer.getBounds() : L.latLngBounds(data.features.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]]));
        if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
        else map.setView([30.25, 120.2], 12);
        fitted = true;
      }
      pointLayer.clearLayers();
      markers.clear();
      data.features.forEach((f) => upsert(f, false));
      applyCounts(data);
    } catch (e) {
      status.textContent = d.textError;
    }
  }

  const pendingCases = new Set();
  const flushCases = debounce(async function () {
    const ids = Array.from(pendingCases).slice(0, 200);
    ids.forEach((id) => pendingCases.delete(id));
    if (!ids.length) return;
    try {
      const data = await getJSON(withParams(d.map, { cases: ids.join(",") }));
      data.features.forEach((f) => upsert(f, true));
      (data.removed || []).forEach(remove);
      applyCounts(data);
    } catch (e) { /* the periodic refresh catches up */ }
    if (pendingCases.size) flushCases();
  }, 250);

  // -- the feed -------------------------------------------------------------------------------------

  const feedEl = document.getElementById("gz-command-feed");
  let lastEntry = null;

  function feedItem(item, fresh) {
    const li = document.createElement("li");
    li.className = "gz-feed-item gz-feed-" + item.type.replace("case.", "") + (fresh ? " gz-feed-new" : "");
    li.dataset.testid = "feed-item";
    li.dataset.case = item.case;
    li.dataset.type = item.type;
    li.innerHTML = '<div class="gz-feed-line"><span class="gz-feed-badge">' + esc(item.label) + '</span>' +
      '<a class="gz-feed-number" href="' + esc(item.url) + '">' + esc(item.number) + "</a>" +
      '<time datetime="' + esc(item.time) + '">' + esc(clock(item.time)) + "</time></div>" +
      '<div class="gz-feed-text">' + esc(item.text) + "</div>";
    li.addEventListener("click", (event) => {
      if (event.target.closest("a")) return;
      const marker = markers.get(item.case);
      if (marker) { map.panTo(marker.getLatLng()); marker.openTooltip(); }
    });
    return li;
  }

  function renderFeed(items, fresh) {
    const empty = feedEl.querySelector(".gz-feed-empty");
    if (empty && items.length) empty.remove();
    // items come newest first: insert the oldest first so the newest ends on top
    items.slice().reverse().forEach((item) => {
      if (feedEl.querySelector('[data-entry="' + item.id + '"]')) return;
      const li = feedItem(item, fresh);
      li.dataset.entry = item.id;
      feedEl.insertBefore(li, feedEl.firstChild);
    });
    // the newest entry (the first: the server sorts by time, then id) is the cursor of the next fetch
    if (items.length) lastEntry = items[0].id;
    while (feedEl.children.length > 80) feedEl.removeChild(feedEl.lastChild);
    if (!feedEl.children.length) feedEl.innerHTML = '<li class="gz-feed-empty">' + esc(d.textFeedEmpty) + "</li>";
  }

  async function loadFeed(initial) {
    try {
      const url = initial || lastEntry === null ? d.feed : withParams(d.feed, { after: lastEntry, limit: 50 });
      const data = await getJSON(url);
      renderFeed(data.items, !initial);
    } catch (e) { /* retried on the next event */ }
  }
  const fetchFeed = debounce(() => loadFeed(false), 150);

  // -- the charts -----------------------------------------------------------------------------------

  const charts = {};
  function chart(id) {
    if (!charts[id]) {
      charts[id] = echarts.init(document.getElementById(id), "dark", { renderer: "canvas" });
      charts[id].on("click", (params) => { const u = params.data && params.data.url; if (u) location.href = u; });
    }
    return charts[id];
  }
  const BASE = { backgroundColor: "transparent", textStyle: { fontFamily: "inherit" } };

  const GRID_LINE = { lineStyle: { color: "rgba(255,255,255,.08)" } };

  function renderCharts(data) {
    const days = data.by_day;
    chart("gz-chart-days").setOption(Object.assign({}, BASE, {
      tooltip: { trigger: "axis" },
      legend: { top: 0, right: 4, itemWidth: 12, itemHeight: 8 },
      grid: { left: 30, right: 8, top: 24, bottom: 22 },
      xAxis: { type: "category", data: days.map((r) => r.day.slice(5)), axisLabel: { fontSize: 10 } },
      yAxis: { type: "value", minInterval: 1, splitLine: GRID_LINE, axisLabel: { fontSize: 10 } },
      series: [
        { name: d.textIntakeByDay, type: "bar", barMaxWidth: 10, itemStyle: { color: "#4dabf7" }, data: days.map((r) => ({ value: r.intake, url: r.intake_url })) },
        { name: d.textClosedByDay, type: "line", smooth: 0.2, smoothMonotone: "x", symbolSize: 4, itemStyle: { color: "#51cf66" }, data: days.map((r) => ({ value: r.closed, url: r.closed_url })) },
      ],
    }), true);
    // horizontal bars: intake, with the closed ones drawn inside it
    const bars = (rows, labelWidth) => Object.assign({}, BASE, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, right: 4, itemWidth: 12, itemHeight: 8 },
      grid: { left: labelWidth + 12, right: rows.length > 10 ? 18 : 10, top: 22, bottom: 4, containLabel: false },
      xAxis: { type: "value", minInterval: 1, splitLine: GRID_LINE, axisLabel: { fontSize: 10 } },
      yAxis: { type: "category", inverse: true, data: rows.map((r) => r.label), axisLabel: { width: labelWidth, overflow: "truncate", fontSize: 11 } },
      dataZoom: rows.length > 10 ? [{ type: "slider", yAxisIndex: 0, startValue: 0, endValue: 9, width: 8, right: 2, showDetail: false, brushSelect: false }] : [],
      series: [
        { name: d.textIntake, type: "bar", barMaxWidth: 14, itemStyle: { color: "#1c7ed6" }, data: rows.map((r) => ({ value: r.intake, url: r.url })) },
        { name: d.textClosed, type: "bar", barMaxWidth: 14, barGap: "-100%", itemStyle: { color: "#51cf66" }, data: rows.map((r) => ({ value: r.closed, url: r.closed_url })) },
      ],
    });
    chart("gz-chart-category").setOption(bars(data.by_category, 96), true);
    chart("gz-chart-child").setOption(bars(data.by_child, 84), true);
    const total = data.by_channel.reduce((sum, r) => sum + r.intake, 0);
    const byName = {};
    data.by_channel.forEach((r) => { byName[r.label] = r.intake; });
    chart("gz-chart-channel").setOption(Object.assign({}, BASE, {
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { orient: "vertical", right: 8, top: "middle", itemWidth: 10, itemHeight: 10, formatter: (name) => name + "  " + (byName[name] || 0) },
      title: { text: String(total), subtext: d.textPieces, left: "29%", top: "36%", textAlign: "center", textStyle: { fontSize: 18, color: "#e7f5ff" }, subtextStyle: { color: "#8da2bb" } },
      series: [{
        type: "pie", radius: ["48%", "75%"], center: ["30%", "52%"], label: { show: false },
        data: data.by_channel.map((r) => ({ name: r.label, value: r.intake, url: r.url })),
      }],
    }), true);
  }

  async function loadCharts() {
    try { renderCharts(await getJSON(d.charts)); } catch (e) { /* retried later */ }
  }
  window.addEventListener("resize", debounce(() => { Object.values(charts).forEach((c) => c.resize()); map.invalidateSize(); }, 150));

  // -- live -----------------------------------------------------------------------------------------

  const liveEl = document.getElementById("gz-command-live");
  function setLive(state, text) {
    liveEl.dataset.state = state;
    liveEl.querySelector(".gz-command-live-text").textContent = text;
  }
  const refreshSummary = debounce(loadSummary, 800);
  const refreshCharts = debounce(loadCharts, 15000);
  let delay = 1000;
  let connectedOnce = false;

  function onEvent(payload) {
    if (!payload || typeof payload.type !== "string" || payload.type.indexOf("case.") !== 0) return;
    if (FEED_TYPES.indexOf(payload.type) >= 0) fetchFeed();
    if (payload.case) { pendingCases.add(Number(payload.case)); flushCases(); }
    refreshSummary();
    refreshCharts();
  }

  function connect() {
    if (!window.WebSocket) return;
    setLive("connecting", d.textConnecting);
    const ws = new WebSocket(location.origin.replace(/^http/, "ws") + d.socket);
    ws.onmessage = (message) => {
      let payload = null;
      try { payload = JSON.parse(message.data); } catch (e) { return; }
      if (payload.type === "hello") {
        delay = 1000;
        setLive("live", d.textLive);
        if (connectedOnce) { loadSummary(); loadMap(false); loadFeed(false); }  // catch up on what was missed
        connectedOnce = true;
        return;
      }
      onEvent(payload);
    };
    ws.onclose = (event) => {
      setLive("offline", d.textOffline);
      if (event.code === 4401 || event.code === 4404 || event.code === 4400) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  const clockEl = document.getElementById("gz-command-clock");
  function tick() {
    clockEl.textContent = new Date().toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  tick();
  setInterval(tick, 1000);
  loadSummary();
  loadMap(true);
  loadFeed(true);
  loadCharts();
  connect();
  setInterval(loadSummary, 60000);
  setInterval(() => loadMap(false), 120000);
  setInterval(loadCharts, 600000);
})();
