/* Grid map (网格地图): a choropleth of a node's children with drill-down, and the boundary editor
   of one community's grids. No plugin: the editor's vertex handles are plain Leaflet markers.

   Choropleth (#gz-grid-map): GET the API for ?level&id&measure; each feature carries its legend
   class (5 quantile classes computed on the server), so colours agree with the legend whatever
   the client. Clicking a street or community loads its children in place (history.pushState),
   the breadcrumb goes back up, the select changes the measure.

   Editor (#gz-grid-editor): every distinct coordinate of the community's grids is one vertex
   ("node"); rings hold references to nodes, so a vertex shared by neighbouring grids moves in
   all of them at once and the tiling stays a tiling. Vertices lying on a neighbour's edge are
   inserted into that edge on load (T-junctions), corners of the community boundary are fixed,
   and vertices on the community boundary slide along it. Save posts all changed grids at once;
   a refusal (overlap, gap) shows the server's message and keeps the edits. */
(function () {
  "use strict";
  if (!window.L) return;

  const NO_DATA = "#dee2e6";
  const RAMPS = {
    // ColorBrewer YlOrRd (counts: more is darker) and YlGn (coverage: better is darker)
    counts: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    coverage: ["#ffffcc", "#c2e699", "#78c679", "#31a354", "#006837"],
  };
  const PALETTE = ["#1971c2", "#e8590c", "#2f9e44", "#7048e8", "#c2255c", "#0c8599", "#f59f00", "#5c940d"];

  function esc(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (m, key) => (key in values ? values[key] : m));
  }

  function baseMap(el) {
    const map = L.map(el, { preferCanvas: false, attributionControl: !!el.dataset.tiles });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, subdomains: "1234", attribution: el.dataset.attribution }).addTo(map);
    }
    return map;
  }

  async function problem(resp) {
    // DRF errors: {"detail": "..."} or {"field": ["...", ...]}; flatten to one line
    try {
      const body = await resp.json();
      const out = [];
      (function walk(v) {
        if (typeof v === "string") out.push(v);
        else if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === "object") Object.values(v).forEach(walk);
      })(body);
      if (out.length) return out.join(" ");
    } catch (e) { /* not JSON */ }
    return String(resp.status);
  }

  // -- the choropleth ------------------------------------------------------------------------------

  function choropleth(el) {
    const d = el.dataset;
    const map = baseMap(el);
    const select = document.getElementById("gz-measure");
    const status = document.getElementById("gz-grid-map-status");
    const crumbsEl = document.getElementById("gz-grid-crumbs");
    const titleEl = document.getElementById("gz-grid-map-title");
    const pretitleEl = document.getElementById("gz-grid-map-pretitle");
    const editLink = document.getElementById("gz-grid-map-edit");
    const listLink = document.getElementById("gz-grid-map-list");
    const levelLabel = { district: d.levelDistrict, street: d.levelStreet, community: d.levelCommunity, grid: d.levelGrid };
    const measureLabel = {
      households: d.textHouseholds, residents: d.textResidents, open_cases: d.textOpenCases, patrol_coverage: d.textCoverage,
    };
    let state = { level: d.level, id: d.id, measure: select.value };
    let shapes = null;
    const labels = L.layerGroup().addTo(map);
    const legend = L.control({ position: "bottomright" });
    legend.onAdd = () => L.DomUtil.create("div", "gz-legend");
    legend.addTo(map);

    function ramp(measure) { return measure === "patrol_coverage" ? RAMPS.coverage : RAMPS.counts; }
    function colour(cls, measure) { return cls === null || cls === undefined ? NO_DATA : ramp(measure)[cls]; }
    function number(v) { return Number(v).toLocaleString("zh-CN", { maximumFractionDigits: 1 }); }
    function withUnit(v, unit) {
      if (v === null || v === undefined) return d.textNoData;
      return unit === "%" ? number(v) + "%" : number(v) + " " + unit;
    }

    function paramsOf(s) { return new URLSearchParams({ level: s.level, id: s.id, measure: s.measure }); }

    function renderCrumbs(data) {
      const items = data.crumbs.map((c) => {
        const inner = c.link
          ? '<a href="' + d.page + "?" + paramsOf({ level: c.level, id: c.id, measure: state.measure }) + '" data-level="' + c.level + '" data-id="' + c.id + '">' + esc(c.name) + "</a>"
          : '<span class="text-secondary">' + esc(c.name) + "</span>";
        return '<li class="breadcrumb-item">' + inner + "</li>";
      });
      items.push('<li class="breadcrumb-item active" aria-current="page">' + esc(data.node.name) + "</li>");
      crumbsEl.innerHTML = items.join("");
    }

    function renderLegend(data, counts, missing) {
      const div = legend.getContainer();
      const b = data.legend.breaks;
      const bounds = [data.legend.min].concat(b, [data.legend.max]);
      let html = '<div class="gz-legend-title">' + esc(data.label) + (data.unit ? "（" + esc(data.unit) + "）" : "") + "</div>";
      for (let k = 0; k < data.legend.classes; k++) {
        if (!counts[k]) continue;  // an empty class (repeated breaks) says nothing
        const lo = k === 0 ? bounds[0] : bounds[k];
        const hi = bounds[k + 1];
        const range = lo === hi ? number(lo) : number(lo) + " – " + number(hi);
        html += '<div class="gz-legend-row" data-class="' + k + '"><i style="background:' + ramp(data.measure)[k] + '"></i>' + range + ' <span class="text-secondary">(' + counts[k] + ")</span></div>";
      }
      if (missing) html += '<div class="gz-legend-row"><i style="background:' + NO_DATA + '"></i>' + esc(d.textNoData) + ' <span class="text-secondary">(' + missing + ")</span></div>";
      div.innerHTML = html;
    }

    function tooltip(p, data) {
      return "<strong>" + esc(p.name) + "</strong><br>" + esc(data.label) + "：" + withUnit(p.value, data.unit);
    }

    function popup(p) {
      const rows = [
        [d.textHouseholds, withUnit(p.households, "")],
        [d.textResidents, withUnit(p.residents, "")],
        [d.textOpenCases, withUnit(p.open_cases, "")],
        [d.textCoverage, withUnit(p.patrol_coverage, "%")],
        [d.textPerGrid, withUnit(p.households_per_grid, "")],
        [d.textArea, p.area_km2 === null ? d.textNoData : number(p.area_km2) + " km²"],
      ];
      return "<strong>" + esc(p.name) + '</strong> <span class="text-secondary font-monospace">' + esc(p.code) + "</span>" +
        '<table class="gz-popup-table">' + rows.map((r) => "<tr><th>" + esc(r[0]) + "</th><td>" + r[1] + "</td></tr>").join("") + "</table>" +
        '<a href="' + d.gridUrl.replace(/\/0\/$/, "/" + p.id + "/") + '">' + esc(d.textOpenGrid) + "</a>";
    }

    function render(data, fit) {
      if (shapes) map.removeLayer(shapes);
      labels.clearLayers();
      const drawable = data.features.filter((f) => f.geometry);
      const counts = {};
      let missing = 0;
      data.features.forEach((f) => {
        const c = f.properties.class;
        if (c === null || c === undefined) missing += 1; else counts[c] = (counts[c] || 0) + 1;
      });
      shapes = L.geoJSON({ type: "FeatureCollection", features: drawable }, {
        style: (f) => ({ color: "#495057", weight: 1, fillOpacity: 0.75, fillColor: colour(f.properties.class, data.measure) }),
        onEachFeature: (f, lyr) => {
          const p = f.properties;
          lyr.bindTooltip(tooltip(p, data), { sticky: true });
          if (data.drill_down) {
            lyr.on("click", () => go({ level: p.level, id: String(p.id), measure: state.measure }, true));
          } else {
            lyr.bindPopup(popup(p));
          }
          lyr.on("mouseover", () => lyr.setStyle({ weight: 3, color: "#1d273b" }));
          lyr.on("mouseout", () => shapes && shapes.resetStyle(lyr));
        },
      }).addTo(map);
      if (drawable.length <= 60) {
        shapes.eachLayer((lyr) => {
          L.marker(lyr.getBounds().getCenter(), {
            interactive: false,
            icon: L.divIcon({ className: "gz-map-label", html: "<span>" + esc(lyr.feature.properties.name) + "</span>", iconSize: null }),
          }).addTo(labels);
        });
      }
      el.dataset.level = data.node.level;
      el.dataset.id = data.node.id;
      el.dataset.measure = data.measure;
      el.dataset.features = data.features.length;
      renderLegend(data, counts, missing);
      renderCrumbs(data);
      titleEl.textContent = fill(d.textTitle, { name: data.node.name });
      document.title = titleEl.textContent;
      pretitleEl.textContent = levelLabel[data.node.level] || "";
      editLink.classList.toggle("d-none", !data.edit_url);
      if (data.edit_url) editLink.href = data.edit_url;
      listLink.classList.toggle("d-none", !data.list_url);
      if (data.list_url) listLink.href = data.list_url;
      let text;
      if (!data.features.length) text = d.textEmpty;
      else {
        text = fill(d.textCount, { n: data.features.length }) + " · " + (levelLabel[data.child_level] || "") + " · " + (data.drill_down ? d.textClick : d.textLeaf);
        if (drawable.length < data.features.length) text += " · " + fill(d.textNoGeometry, { n: data.features.length - drawable.length });
      }
      status.textContent = text;
      if (fit) {
        const bounds = shapes.getBounds();
        if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
      }
      el.dataset.ready = "1";
    }

    let pending = 0;
    async function go(next, push, fit = true) {
      const ticket = ++pending;
      el.dataset.ready = "";
      status.textContent = d.textLoading;
      const params = paramsOf(next);
      try {
        const resp = await fetch(d.api + "?" + params, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!resp.ok) throw new Error(await problem(resp));
        const data = await resp.json();
        if (ticket !== pending) return;  // a later request won
        state = { level: data.node.level, id: String(data.node.id), measure: data.measure };
        select.value = state.measure;
        const url = d.page + "?" + paramsOf(state);
        if (push) history.pushState(state, "", url); else history.replaceState(state, "", url);
        render(data, fit);
      } catch (e) {
        if (ticket === pending) status.textContent = d.textError + "（" + e.message + "）";
      }
    }

    select.addEventListener("change", () => go({ level: state.level, id: state.id, measure: select.value }, false, false));
    crumbsEl.addEventListener("click", (ev) => {
      const a = ev.target.closest("a[data-level]");
      if (!a) return;
      ev.preventDefault();
      go({ level: a.dataset.level, id: a.dataset.id, measure: state.measure }, true);
    });
    window.addEventListener("popstate", (ev) => {
      if (ev.state && ev.state.level) go(ev.state, false);
    });
    map.setView([30, 120], 12);
    go(state, false);
  }

  // -- the boundary editor -------------------------------------------------------------------------

  const COARSE = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;  // a finger: bigger handles
  const VERTEX_SIZE = COARSE ? 24 : 16;
  const MIDPOINT_SIZE = COARSE ? 18 : 12;
  const EPS = 1e-7;  // degrees, about 1 cm: two coordinates closer than this are one vertex

  function keyOf(lng, lat) { return lng.toFixed(7) + "," + lat.toFixed(7); }

  // Distance (in degrees) from p to segment ab and the position t of its projection, all as [lng, lat].
  function project(p, a, b) {
    const dx = b[0] - a[0], dy = b[1] - a[1];
    const len2 = dx * dx + dy * dy;
    let t = len2 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2 : 0;
    t = Math.max(0, Math.min(1, t));
    const x = a[0] + t * dx, y = a[1] + t * dy;
    return { t: t, point: [x, y], dist: Math.hypot(p[0] - x, p[1] - y) };
  }

  // Even-odd ray casting over all rings of a polygon (outer ring + holes), coordinates [lng, lat].
  function inPolygon(pt, rings) {
    let inside = false;
    rings.forEach((ring) => {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
        if ((yi > pt[1]) !== (yj > pt[1]) && pt[0] < ((xj - xi) * (pt[1] - yi)) / (yj - yi) + xi) inside = !inside;
      }
    });
    return inside;
  }

  function editor(el) {
    const d = el.dataset;
    const map = baseMap(el);
    const statusEl = document.getElementById("gz-edit-status");
    const messageEl = document.getElementById("gz-edit-message");
    const saveBtn = document.getElementById("gz-edit-save");
    const undoBtn = document.getElementById("gz-edit-undo");
    const resetBtn = document.getElementById("gz-edit-reset");
    const confirmEl = document.getElementById("gz-edit-confirm");
    const confirmText = document.getElementById("gz-edit-confirm-text");

    let nodes = new Map();        // id → {id, lng, lat, fixed, rail}
    let grids = [];               // {id, name, code, rings: [[node id...]], layer, colour, original}
    let buildings = [];
    let boundary = [];            // community rings as [[lng, lat]...], closing point dropped
    let nextId = 1;
    let undo = [];
    let initial = null;
    const handles = L.layerGroup().addTo(map);
    const buildingLayer = L.layerGroup().addTo(map);
    let outline = null;

    function message(kind, text) {
      messageEl.innerHTML = text ? '<div class="alert alert-' + kind + '" data-testid="edit-message">' + esc(text) + "</div>" : "";
    }

    function nodeAt(lng, lat, index) {
      const key = keyOf(lng, lat);
      let n = index.get(key);
      if (!n) {
        n = { id: nextId++, lng: lng, lat: lat, fixed: false, rail: null };
        index.set(key, n);
        nodes.set(n.id, n);
      }
      return n.id;
    }

    // Insert into every ring edge the vertices of other rings that lie on it (T-junctions).
    function nodeTheTiling() {
      const all = Array.from(nodes.values());
      grids.forEach((g) => {
        g.rings = g.rings.map((ring) => {
          const out = [];
          for (let i = 0; i < ring.length; i++) {
            const a = nodes.get(ring[i]), b = nodes.get(ring[(i + 1) % ring.length]);
            out.push(a.id);
            const between = [];
            all.forEach((n) => {
              if (n.id === a.id || n.id === b.id) return;
              const pr = project([n.lng, n.lat], [a.lng, a.lat], [b.lng, b.lat]);
              if (pr.dist < EPS && pr.t > 0 && pr.t < 1) between.push([pr.t, n.id]);
            });
            between.sort((x, y) => x[0] - y[0]).forEach((x) => out.push(x[1]));
          }
          return out;
        });
      });
    }

    // Corners of the community are fixed; vertices on its edges slide along them.
    function railFor(n) {
      const corner = boundary.some((ring) => ring.some((a) => Math.abs(a[0] - n.lng) < EPS && Math.abs(a[1] - n.lat) < EPS));
      if (corner) return "fixed";
      for (const ring of boundary) {
        for (let i = 0; i < ring.length; i++) {
          const a = ring[i], b = ring[(i + 1) % ring.length];
          const pr = project([n.lng, n.lat], a, b);
          if (pr.dist < EPS) return [a, b];
        }
      }
      return null;
    }

    function classify(n) {
      const rail = railFor(n);
      n.fixed = rail === "fixed";
      n.rail = rail === "fixed" ? null : rail;
    }

    function latlngs(g) { return g.rings.map((r) => r.map((id) => [nodes.get(id).lat, nodes.get(id).lng])); }

    function coordinates(g) {
      return g.rings.map((r) => {
        const ring = r.map((id) => [Number(nodes.get(id).lng.toFixed(7)), Number(nodes.get(id).lat.toFixed(7))]);
        ring.push(ring[0].slice());
        return ring;
      });
    }

    function snapshot() {
      return {
        nodes: Array.from(nodes.values()).map((n) => [n.id, n.lng, n.lat]),
        rings: grids.map((g) => g.rings.map((r) => r.slice())),
      };
    }

    function restore(s) {
      nodes = new Map();
      s.nodes.forEach(([id, lng, lat]) => { const n = { id: id, lng: lng, lat: lat, fixed: false, rail: null }; classify(n); nodes.set(id, n); });
      grids.forEach((g, i) => {
        g.rings = s.rings[i].map((r) => r.slice());
        if (g.editable) g.layer.setLatLngs(latlngs(g));
      });
      rebuildHandles();
      refresh();
    }

    function changedGrids() {
      return grids.filter((g) => g.editable && JSON.stringify(coordinates(g)) !== g.original);
    }

    function movedBuildings() {
      let moved = 0, outside = 0;
      const shapes = grids.map((g) => ({ id: g.id, rings: g.editable ? coordinates(g) : g.fixedCoordinates }));
      buildings.forEach((b) => {
        const hit = shapes.find((s) => s.rings && inPolygon([b.lon, b.lat], s.rings));
        if (!hit) outside += 1;
        else if (hit.id !== b.grid) moved += 1;
      });
      return { moved: moved, outside: outside };
    }

    function refresh() {
      const changed = changedGrids();
      const count = movedBuildings();
      let text = changed.length ? fill(d.textChanged, { n: changed.length }) : d.textUnchanged;
      if (count.outside) text += " · " + fill(d.textOutside, { n: count.outside });
      statusEl.textContent = text;
      saveBtn.disabled = !changed.length;
      resetBtn.disabled = !changed.length && !undo.length;
      undoBtn.disabled = !undo.length;
      el.dataset.changed = changed.length;
      el.dataset.moved = count.moved;
    }

    function gridsOf(nodeId) { return grids.filter((g) => g.rings.some((r) => r.includes(nodeId))); }

    function moveNode(n, latlng, marker) {
      let p = [latlng.lng, latlng.lat];
      if (n.rail) p = project(p, n.rail[0], n.rail[1]).point;
      n.lng = p[0]; n.lat = p[1];
      if (n.rail) marker.setLatLng([n.lat, n.lng]);
      n.owners.forEach((g) => g.layer.setLatLngs(latlngs(g)));
    }

    function vertexIcon(n, shared) {
      const cls = "gz-vertex" + (n.fixed ? " gz-vertex-fixed" : "") + (shared ? " gz-vertex-shared" : "") + (n.rail ? " gz-vertex-rail" : "");
      return L.divIcon({ className: cls, iconSize: [VERTEX_SIZE, VERTEX_SIZE] });
    }

    function rebuildHandles() {
      handles.clearLayers();
      const edges = new Map();
      nodes.forEach((n) => { n.owners = []; });
      grids.forEach((g) => {
        if (!g.editable) return;
        g.rings.forEach((r) => {
          r.forEach((id, i) => {
            const n = nodes.get(id);
            if (!n.owners.includes(g)) n.owners.push(g);
            const next = r[(i + 1) % r.length];
            const key = Math.min(id, next) + "-" + Math.max(id, next);
            if (!edges.has(key)) edges.set(key, [id, next]);
          });
        });
      });
      // drop vertices no ring uses any more (after an undo)
      nodes.forEach((n, id) => { if (!n.owners.length && !grids.some((g) => !g.editable && g.rings.some((r) => r.includes(id)))) nodes.delete(id); });
      edges.forEach(([a, b]) => {
        const na = nodes.get(a), nb = nodes.get(b);
        const mid = L.marker([(na.lat + nb.lat) / 2, (na.lng + nb.lng) / 2], {
          draggable: true, keyboard: false, title: d.textAdd,
          icon: L.divIcon({ className: "gz-midpoint", iconSize: [MIDPOINT_SIZE, MIDPOINT_SIZE] }),
        }).addTo(handles);
        mid.getElement().dataset.edge = keyOf(na.lng, na.lat) + "|" + keyOf(nb.lng, nb.lat);
        let inserted = null;
        mid.on("dragstart", () => {
          undo.push(snapshot());
          inserted = { id: nextId++, lng: (na.lng + nb.lng) / 2, lat: (na.lat + nb.lat) / 2, fixed: false, rail: null, owners: [] };
          classify(inserted);
          nodes.set(inserted.id, inserted);
          grids.forEach((g) => {
            g.rings.forEach((r) => {
              for (let i = 0; i < r.length; i++) {
                const j = (i + 1) % r.length;
                if ((r[i] === a && r[j] === b) || (r[i] === b && r[j] === a)) {
                  r.splice(i + 1, 0, inserted.id);
                  if (!inserted.owners.includes(g)) inserted.owners.push(g);
                  break;
                }
              }
            });
          });
          // restyle in place: setIcon() would replace the drag handler and end this drag
          const icon = mid.getElement();
          icon.classList.remove("gz-midpoint");
          icon.classList.add("gz-vertex");
          if (inserted.owners.length > 1) icon.classList.add("gz-vertex-shared");
        });
        mid.on("drag", (ev) => moveNode(inserted, ev.target.getLatLng(), mid));
        mid.on("dragend", () => { rebuildHandles(); refresh(); });
      });
      nodes.forEach((n) => {
        if (!n.owners.length) return;
        const shared = n.owners.length > 1;
        const marker = L.marker([n.lat, n.lng], {
          draggable: !n.fixed, keyboard: false, icon: vertexIcon(n, shared),
          title: n.fixed ? d.textFixed : shared ? d.textShared : "",
        }).addTo(handles);
        marker.getElement().dataset.vertex = keyOf(n.lng, n.lat);
        marker.on("dragstart", () => undo.push(snapshot()));
        marker.on("drag", (ev) => moveNode(n, ev.target.getLatLng(), marker));
        marker.on("dragend", () => { rebuildHandles(); refresh(); });
      });
    }

    function load(payload) {
      nodes = new Map();
      nextId = 1;
      undo = [];
      grids.forEach((g) => map.removeLayer(g.layer));
      grids = [];
      buildingLayer.clearLayers();
      if (outline) map.removeLayer(outline);
      const geom = payload.community.geometry;
      const polys = !geom ? [] : geom.type === "Polygon" ? [geom.coordinates] : geom.coordinates;
      boundary = [];
      polys.forEach((p) => p.forEach((ring) => boundary.push(ring.slice(0, -1))));
      if (geom) outline = L.geoJSON(geom, { interactive: false, style: { color: "#c8161d", weight: 3, dashArray: "6 4", fill: false } }).addTo(map);
      const index = new Map();
      const notes = [];
      payload.grids.features.forEach((f, i) => {
        const g = { id: f.properties.id, name: f.properties.name, code: f.properties.code, colour: PALETTE[i % PALETTE.length] };
        g.editable = !!f.geometry && f.geometry.type === "Polygon";
        if (g.editable) {
          g.rings = f.geometry.coordinates.map((ring) => ring.slice(0, -1).map((c) => nodeAt(c[0], c[1], index)));
        } else {
          g.rings = [];
          g.fixedCoordinates = f.geometry && f.geometry.type === "MultiPolygon" ? [].concat(...f.geometry.coordinates) : null;
          if (f.geometry) notes.push(fill(d.textMulti, { name: g.name }));
        }
        grids.push(g);
      });
      nodeTheTiling();
      nodes.forEach(classify);
      grids.forEach((g) => {
        const style = { color: g.colour, weight: 2, fillColor: g.colour, fillOpacity: 0.18 };
        g.layer = g.editable ? L.polygon(latlngs(g), style) : L.geoJSON(payload.grids.features.find((f) => f.properties.id === g.id).geometry || { type: "GeometryCollection", geometries: [] }, { style: style });
        g.layer.bindTooltip(esc(g.name), { sticky: true });
        g.layer.addTo(map);
        g.original = g.editable ? JSON.stringify(coordinates(g)) : "";
      });
      const colourOf = new Map(grids.map((g) => [g.id, g.colour]));
      buildings = payload.buildings;
      buildings.forEach((b) => {
        L.circleMarker([b.lat, b.lon], { radius: 3, weight: 1, color: "#1d273b", fillColor: colourOf.get(b.grid) || "#868e96", fillOpacity: 1, interactive: false }).addTo(buildingLayer);
      });
      initial = snapshot();
      rebuildHandles();
      refresh();
      if (notes.length) message("info", notes.join(" "));
      el.dataset.ready = "1";
      el.dataset.vertices = nodes.size;
    }

    async function fetchPayload() {
      const resp = await fetch(d.api, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!resp.ok) throw new Error(await problem(resp));
      return resp.json();
    }

    async function save() {
      const changed = changedGrids();
      const body = { grids: {} };
      changed.forEach((g) => { body.grids[g.id] = { type: "Polygon", coordinates: coordinates(g) }; });
      saveBtn.disabled = true;
      message("secondary", d.textSaving);
      let resp;
      try {
        resp = await fetch(d.api, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": d.csrf },
          body: JSON.stringify(body),
        });
      } catch (e) {
        message("danger", fill(d.textFailed, { status: e.message }));
        refresh();
        return;
      }
      if (resp.ok) {
        const payload = await resp.json();
        load(payload);
        const result = payload.result || {};
        message("success", fill(d.textSaved, { n: changed.length, buildings: result.buildings_moved || 0, cases: result.cases_moved || 0 }));
      } else if (resp.status === 400) {
        message("danger", d.textRefused + (await problem(resp)));  // the edits stay on the map
        refresh();
      } else {
        message("danger", fill(d.textFailed, { status: resp.status }));
        refresh();
      }
    }

    saveBtn.addEventListener("click", () => {
      const changed = changedGrids();
      if (!changed.length) return;
      confirmText.textContent = fill(d.textConfirm, { grids: changed.length, buildings: movedBuildings().moved });
      confirmEl.classList.remove("d-none");
    });
    document.getElementById("gz-edit-confirm-yes").addEventListener("click", () => { confirmEl.classList.add("d-none"); save(); });
    document.getElementById("gz-edit-confirm-no").addEventListener("click", () => confirmEl.classList.add("d-none"));
    undoBtn.addEventListener("click", () => { if (undo.length) restore(undo.pop()); });
    resetBtn.addEventListener("click", () => { undo = []; restore(initial); message("", ""); });
    window.addEventListener("beforeunload", (ev) => {
      if (changedGrids().length) { ev.preventDefault(); ev.returnValue = d.textLeave; }
    });

    map.setView([30, 120], 12);
    fetchPayload().then((payload) => {
      load(payload);
      const bounds = outline ? outline.getBounds() : L.featureGroup(grids.map((g) => g.layer)).getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16] });
    }).catch((e) => { statusEl.textContent = d.textError + "（" + e.message + "）"; });
  }

  const mapEl = document.getElementById("gz-grid-map");
  if (mapEl) choropleth(mapEl);
  const editEl = document.getElementById("gz-grid-editor");
  if (editEl) editor(editEl);
})();
