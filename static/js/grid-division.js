/* The division page: today's grids (dashed grey), the proposal (coloured), buildings (dots). */
(function () {
  "use strict";
  const el = document.getElementById("gz-division-map");
  if (!el || !window.L) return;
  const map = L.map(el, { preferCanvas: true, attributionControl: !!el.dataset.tiles });
  if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { maxZoom: 19, subdomains: "1234", attribution: el.dataset.attribution }).addTo(map);
  const palette = ["#c8161d", "#e8590c", "#f59f00", "#2f9e44", "#1971c2", "#7048e8", "#0c8599", "#d6336c", "#5c940d", "#ae3ec9"];
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const proposal = JSON.parse(document.getElementById("gz-proposal").textContent || "[]");
  fetch(el.dataset.current, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then((data) => {
      const outline = L.geoJSON(data.community, { style: { color: "#1d273b", weight: 2, fill: false } }).addTo(map);
      if (proposal.length) {
        L.geoJSON({ type: "FeatureCollection", features: proposal }, {
          style: (f) => ({ color: "#fff", weight: 1.5, fillOpacity: 0.45, fillColor: palette[f.properties.seq % palette.length] }),
          onEachFeature: (f, lyr) => {
            const p = f.properties;
            lyr.bindTooltip("<strong>" + esc(p.code) + "</strong> " + (p.replaces ? el.dataset.textKept + " " + esc(p.replaces_name) : el.dataset.textNew) +
              "<br>" + el.dataset.textHouseholds + " " + p.households + " · " + el.dataset.textArea + " " + p.area_km2.toFixed(3) + " km²", { sticky: true });
          },
        }).addTo(map);
      }
      L.geoJSON(data.grids, {
        style: (f) => ({ color: f.properties.ok ? "#667382" : "#d63939", weight: 2, dashArray: "6 4", fill: !proposal.length, fillOpacity: 0.08 }),
        interactive: !proposal.length,
        onEachFeature: (f, lyr) => {
          const p = f.properties;
          lyr.bindTooltip("<strong>" + esc(p.name) + "</strong><br>" + el.dataset.textHouseholds + " " + p.households + (p.failures.length ? "<br>" + p.failures.map(esc).join("<br>") : ""), { sticky: true });
        },
      }).addTo(map);
      L.geoJSON(data.buildings, { interactive: false, pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 2, weight: 0, fillColor: "#1d273b", fillOpacity: 0.8 }) }).addTo(map);
      const b = outline.getBounds();
      if (b.isValid()) map.fitBounds(b, { padding: [10, 10] }); else map.setView([30.25, 120.2], 13);
    })
    .catch(() => map.setView([30.25, 120.2], 13));
})();
