/* Territory map: draws the children of a node from the API's GeoJSON and drills down on click. */
(function () {
  "use strict";
  const el = document.getElementById("gz-map");
  if (!el || !window.L) return;
  const status = document.getElementById("gz-map-status");
  const plural = { street: "streets", community: "communities", grid: "grids", compound: "compounds", building: "buildings" };
  const parentParam = { street: "district", community: "street", grid: "community", compound: "grid", building: "compound" };
  const apiRoot = el.dataset.api.replace(/districts\/?$/, "");
  const map = L.map(el, { preferCanvas: true, attributionControl: !!el.dataset.tiles });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, subdomains: "1234", attribution: el.dataset.attribution }).addTo(map);
  }
  const palette = ["#c8161d", "#e8590c", "#f59f00", "#2f9e44", "#1971c2", "#7048e8", "#0c8599", "#d6336c"];

  async function load(level, params) {
    const url = apiRoot + plural[level] + "/geojson/?" + new URLSearchParams(params);
    const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!resp.ok) throw new Error(resp.status);
    return resp.json();
  }

  async function render() {
    const id = el.dataset.id, child = el.dataset.childLevel;
    let bounds = null;
    if (child) {
      const params = {}; params[parentParam[child]] = id;
      const data = await load(child, params);
      if (!data.features.length) { status.textContent = el.dataset.textEmpty; return; }
      const layer = L.geoJSON(data, {
        style: (f) => ({ color: "#333", weight: 1, fillOpacity: 0.35, fillColor: palette[f.properties.id % palette.length] }),
        pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 6, color: "#c8161d", weight: 2, fillOpacity: 0.7 }),
        onEachFeature: (f, lyr) => {
          const p = f.properties;
          const figures = p.households !== undefined ? "<br>" + el.dataset.textHouseholds + " " + p.households + " · " + el.dataset.textResidents + " " + p.residents : "";
          const label = document.createElement("span");
          label.textContent = p.name;
          lyr.bindTooltip(label.outerHTML + figures, { sticky: true });

          lyr.on("click", () => {
            window.location.href = el.dataset.mapUrl + "?level=" + child + "&id=" + f.properties.id;
          });
        },
      }).addTo(map);
      bounds = layer.getBounds();
      if (data.features.length <= 60) {
        layer.eachLayer((lyr) => {
          if (lyr.feature.geometry.type === "Point") return;
          L.marker(lyr.getBounds().getCenter(), {
            interactive: false,
            icon: L.divIcon({ className: "gz-map-label", html: "<span>" + lyr.feature.properties.name.replace(/[<>&"]/g, "") + "</span>", iconSize: null }),
          }).addTo(map);
        });
      }
      status.textContent = data.features.length + " · " + el.dataset.textClick;
    }
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    else map.setView([30, 120], 12);
  }
  render().catch((e) => { status.textContent = el.dataset.textError + " (" + e.message + ")"; });
})();
