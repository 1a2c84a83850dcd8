/* The case desk (办件台).

   - The live feed: a page with [data-gz-live] listens on /ws/cases/live/ (the street's case events) and
     dispatches a `gz:case-event` DOM event on <body> for each; the list's table reloads itself through
     htmx (hx-trigger="gz:case-event from:body"), a case page shows "new progress" when its case moved.
     Handling-body staff without a territory get no street feed (the socket closes with 4403): their
     personal notifications (/ws/notifications/) drive the same event instead.
   - Refused move forms (400, 409 conflict) are swapped in place by htmx so the typed note stays.
   - Forms with data-gz-confirm ask before submitting.
   - The small map of a case (Leaflet), when the page has one. */
(function () {
  "use strict";

  // -- htmx: show a refused form (it carries the messages and what was typed) ------------------------
  document.addEventListener("htmx:beforeSwap", function (event) {
    const status = event.detail.xhr.status;
    const elt = event.detail.elt;
    if ((status === 400 || status === 409) && elt && elt.closest && elt.closest("[data-gz-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form && form.dataset && form.dataset.gzConfirm && !window.confirm(form.dataset.gzConfirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // -- the live feed ---------------------------------------------------------------------------------
  const root = document.querySelector("[data-gz-live]");
  const caseId = root && root.dataset.case ? Number(root.dataset.case) : null;
  const loadedAt = Date.now();

  function emit(payload) {
    if (!payload || typeof payload.type !== "string" || payload.type.indexOf("case.") !== 0) return;
    document.body.dispatchEvent(new CustomEvent("gz:case-event", { detail: payload }));
    if (caseId !== null && Number(payload.case) === caseId && Date.now() - loadedAt > 3000) {
      const stale = document.getElementById("case-desk-stale");
      if (stale) stale.hidden = false;
    }
  }

  function open(path, onClose) {
    const ws = new WebSocket(location.origin.replace(/^http/, "ws") + path);
    ws.onmessage = function (message) {
      let payload = null;
      try { payload = JSON.parse(message.data); } catch (e) { return; }
      if (payload && payload.type === "hello") {
        const dot = document.getElementById("case-desk-live");
        if (dot) dot.hidden = false;
        return;
      }
      emit(payload);
    };
    ws.onclose = function (event) {
      const dot = document.getElementById("case-desk-live");
      if (dot) dot.hidden = true;
      onClose(event);
    };
    return ws;
  }

  function connect(path, delay) {
    open(path, function (event) {
      if (event.code === 4401) return; // signed out
      if (event.code === 4403 && path === "/ws/cases/live/") {
        connect("/ws/notifications/", 1000); // no street to watch: follow my own notifications
        return;
      }
      setTimeout(function () { connect(path, Math.min(delay * 2, 60000)); }, delay);
    });
  }

  if (root && window.WebSocket) connect("/ws/cases/live/", 1000);

  // -- the small map of a case -----------------------------------------------------------------------
  const mapEl = document.getElementById("case-map");
  const dataEl = document.getElementById("case-map-data");
  if (mapEl && dataEl && window.L) {
    const data = JSON.parse(dataEl.textContent);
    const map = L.map(mapEl, { attributionControl: !!mapEl.dataset.tiles, scrollWheelZoom: false });
    map.setView([data.lat, data.lon], 17); // a view first: vector layers need one before they are added
    if (mapEl.dataset.tiles) {
      L.tileLayer(mapEl.dataset.tiles, { maxZoom: 19, subdomains: "1234", attribution: mapEl.dataset.attribution }).addTo(map);
    }
    let bounds = null;
    if (data.grid) {
      const grid = L.geoJSON(data.grid, { style: { color: "#1971c2", weight: 1.5, fillOpacity: 0.06 }, interactive: false }).addTo(map);
      bounds = grid.getBounds();
    }
    const point = L.circleMarker([data.lat, data.lon], { radius: 8, color: "#c8161d", weight: 3, fillColor: "#c8161d", fillOpacity: 0.6 }).addTo(map);
    if (data.label) point.bindTooltip(data.label);
    if (bounds && bounds.isValid()) {
      map.fitBounds(bounds.extend(point.getLatLng()), { padding: [16, 16], maxZoom: 18 });
    }
  }
})();
