/* Patrols (日巡查、日走访).
 *
 * The phone page (#gz-walk): start and end a patrol, record the route from
 * navigator.geolocation.watchPosition, add notes, visits and problems with an optional photo.
 * The whole patrol lives in localStorage until the server has confirmed all of it: every change
 * bumps the record's revision, an upload that the server confirms records the revision it sent,
 * and whatever is unconfirmed is sent again — after a failure, when the connection comes back,
 * every minute while walking and whenever the page loads. The server merges resends (the patrol's
 * client_id, each entry's client_id), so sending twice never doubles anything. A reload in the
 * middle of a patrol picks it up where it was.
 *
 * The detail page (#gz-patrol-map): the route, its rough points, start and end, and the entries.
 */
(function () {
  "use strict";

  const RETRY_MS = 20000;
  const LIVE_SYNC_MS = 60000;
  const MIN_STEP_M = 3; // a point closer than this to the last one, within STILL_S, adds nothing
  const STILL_S = 30;
  const FRESH_FIX_S = 120; // a position older than this is not put on a new entry
  const PHOTO_EDGE = 1280;
  const KEEP_DONE = 5; // uploaded patrols kept on the phone for the summary

  const { fmt, newKey } = window.gz; // static/js/gz-common.js

  function haversine(lon1, lat1, lon2, lat2) {
    const R = 6371008.8, rad = Math.PI / 180;
    const p1 = lat1 * rad, p2 = lat2 * rad, dp = (lat2 - lat1) * rad, dl = (lon2 - lon1) * rad;
    const a = Math.sin(dp / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
    return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  /* the same rule as grids.patrols.route_distance_m */
  function routeDistance(route, maxAccuracy, maxSpeedKmh) {
    const maxSpeed = (maxSpeedKmh * 1000) / 3600;
    let total = 0, anchor = null;
    for (const p of route) {
      if (p[3] !== null && p[3] !== undefined && p[3] > maxAccuracy) continue;
      if (!anchor) { anchor = p; continue; }
      const step = haversine(anchor[0], anchor[1], p[0], p[1]);
      const seconds = p[2] - anchor[2];
      if (step === 0) continue;
      if (seconds <= 0 || step / seconds > maxSpeed) continue;
      total += step;
      anchor = p;
    }
    return Math.round(total);
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
  }

  function metres(m) {
    return m >= 1000 ? (m / 1000).toFixed(2) + " km" : m + " m";
  }

  function hhmm(iso) {
    const d = new Date(iso);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  function baseMap(el) {
    const map = L.map(el, { attributionControl: !!el.dataset.tiles, zoomSnap: 0.5 });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, subdomains: "1234", attribution: el.dataset.attribution }).addTo(map);
    }
    map.setView([30.23, 120.2], 13); // vector layers need a view before they are added; fitted later
    return map;
  }

  const KIND_COLOURS = { note: "#667382", visit: "#4299e1", problem: "#f76707" };

  /* ------------------------------------------------------------------ the phone page */

  function walk(root) {
    const T = root.dataset;
    const storeKey = "gz-patrols:v1:" + T.user;
    const maxAccuracy = Number(T.maxAccuracy || 100);
    const maxSpeed = Number(T.maxSpeed || 30);
    const maxPoints = Number(T.maxPoints || 20000);
    const gridData = JSON.parse(document.getElementById("gz-walk-grids").textContent);
    const csrf = (root.querySelector("[name=csrfmiddlewaretoken]") || {}).value || "";
    const $ = (id) => document.getElementById(id);
    const idleTitle = $("gz-walk-title").textContent;
    const els = {
      state: $("gz-upload-state"), alert: $("gz-walk-alert"), title: $("gz-walk-title"),
      elapsed: $("gz-elapsed"), distance: $("gz-distance"), points: $("gz-points"), geo: $("gz-geo-status"),
      idle: $("gz-idle"), walking: $("gz-walking"), ended: $("gz-ended"), grid: $("gz-grid"),
      entries: $("gz-entries"), note: $("gz-note"), form: $("gz-entry-form"), text: $("gz-entry-text"),
      formTitle: $("gz-entry-title"), formError: $("gz-entry-error"), photo: $("gz-entry-photo"),
      preview: $("gz-entry-preview"), endBtn: $("gz-end"), endConfirm: $("gz-end-confirm"),
      summary: $("gz-ended-summary"), endedError: $("gz-ended-error"), endedLink: $("gz-ended-link"),
      retry: $("gz-retry"), discard: $("gz-discard"), others: $("gz-others"), othersList: $("gz-others-list"),
    };

    /* -- storage -- */
    function load() {
      try {
        const raw = localStorage.getItem(storeKey);
        const data = raw ? JSON.parse(raw) : null;
        if (data && data.patrols) return data;
      } catch (e) { /* unreadable: start afresh */ }
      return { current: null, last: null, patrols: {} };
    }
    let store = load();

    function save() {
      try {
        localStorage.setItem(storeKey, JSON.stringify(store));
        return true;
      } catch (e) {
        // full: give up the photos not yet sent (the text and the route matter most)
        let dropped = false;
        Object.values(store.patrols).forEach((p) => p.entries.forEach((en) => {
          if (en.photo && !en.photo_done) { en.photo = null; en.photo_done = true; dropped = true; }
        }));
        try { localStorage.setItem(storeKey, JSON.stringify(store)); } catch (e2) { /* nothing more to do */ }
        if (dropped) say(T.textStorageFull, "warning");
        return false;
      }
    }

    function current() { return store.current ? store.patrols[store.current] : null; }
    function pending(p) {
      return p.sent_rev < p.rev || p.entries.some((en) => en.photo && !en.photo_done);
    }
    function touch(p) { p.rev += 1; save(); }

    function prune() {
      // uploaded and ended patrols: keep the last few for the summary, drop their photos
      const done = Object.values(store.patrols)
        .filter((p) => p.ended_at && !pending(p) && p.client_id !== store.current)
        .sort((a, b) => (a.ended_at < b.ended_at ? 1 : -1));
      done.forEach((p, i) => {
        if (i >= KEEP_DONE && p.client_id !== store.last) delete store.patrols[p.client_id];
      });
    }

    /* -- messages -- */
    function say(text, kind) {
      els.alert.textContent = text || "";
      els.alert.classList.toggle("d-none", !text);
      els.alert.classList.toggle("alert-warning", kind !== "danger" && kind !== "info");
      els.alert.classList.toggle("alert-danger", kind === "danger");
      els.alert.classList.toggle("alert-info", kind === "info");
    }

    let sending = false;
    function showState(p) {
      const el = els.state;
      if (!p) { el.classList.add("d-none"); return; }
      let text, colour;
      if (p.error) { text = T.textFailed; colour = "bg-red-lt"; }
      else if (sending && pending(p)) { text = T.textSending; colour = "bg-blue-lt"; }
      else if (pending(p)) { text = T.textPending; colour = "bg-yellow-lt"; }
      else if (p.ended_at) { text = T.textUploaded; colour = "bg-green-lt"; }
      else { text = T.textSynced; colour = "bg-green-lt"; }
      el.textContent = text;
      el.className = "badge fs-5 " + colour;
      el.dataset.state = p.error ? "failed" : pending(p) ? "pending" : "uploaded";
    }

    /* -- map -- */
    const mapEl = $("gz-walk-map");
    mapEl.dataset.tiles = T.tiles || "";
    mapEl.dataset.attribution = T.attribution || "";
    const map = baseMap(mapEl);
    const gridLayers = {};
    const gridGroup = L.featureGroup().addTo(map);
    gridData.grids.forEach((g) => {
      if (!g.geometry) return;
      const layer = L.geoJSON(g.geometry, {
        style: () => ({ color: "#1d273b", weight: 1.5, dashArray: "5 4", fillColor: "#c8161d", fillOpacity: 0.03 }),
      });
      const label = document.createElement("span");
      label.textContent = g.name;
      layer.bindTooltip(label, { sticky: true });
      layer.addTo(gridGroup);
      gridLayers[g.id] = layer;
    });
    const line = L.polyline([], { color: "#c8161d", weight: 4, opacity: 0.85 }).addTo(map);
    const entryGroup = L.featureGroup().addTo(map);
    let me = null, meCircle = null;
    function fitGrid(gridId) {
      const layer = gridLayers[gridId];
      if (layer && layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      else if (gridGroup.getLayers().length) map.fitBounds(gridGroup.getBounds(), { padding: [8, 8] });
      else map.setView([30.23, 120.2], 13);
    }
    fitGrid(gridData.default);

    function drawRoute(p) {
      line.setLatLngs(p ? p.route.map((pt) => [pt[1], pt[0]]) : []);
      entryGroup.clearLayers();
      if (!p) return;
      p.entries.forEach((en) => {
        if (en.lon === null || en.lon === undefined) return;
        L.circleMarker([en.lat, en.lon], { radius: 7, color: "#fff", weight: 2, fillColor: KIND_COLOURS[en.kind] || "#667382", fillOpacity: 1 })
          .bindTooltip(document.createTextNode(en.text.slice(0, 40)))
          .addTo(entryGroup);
      });
    }

    function focus(p) {
      // close in on the walk: its route, else the worker's position (the grid is too large to see a street)
      if (p && p.route.length > 1) map.fitBounds(line.getBounds(), { maxZoom: 17, padding: [24, 24] });
      else if (p && p.route.length === 1) map.setView([p.route[0][1], p.route[0][0]], 17);
      else if (fix) map.setView([fix.lat, fix.lon], 17);
    }

    function showMe(fix) {
      const ll = [fix.lat, fix.lon];
      if (!me) {
        me = L.circleMarker(ll, { radius: 8, color: "#fff", weight: 3, fillColor: "#206bc4", fillOpacity: 1 }).addTo(map);
        meCircle = L.circle(ll, { radius: fix.acc || 0, weight: 1, color: "#206bc4", fillOpacity: 0.08 }).addTo(map);
      } else {
        me.setLatLng(ll);
        meCircle.setLatLng(ll).setRadius(fix.acc || 0);
      }
      if (!map.getBounds().pad(-0.1).contains(ll)) map.panTo(ll);
    }

    /* -- figures -- */
    function figures() {
      const p = current() || (store.last && store.patrols[store.last]);
      if (!p) {
        els.elapsed.textContent = clock(0);
        els.distance.textContent = metres(0);
        els.points.textContent = "0";
        return;
      }
      const end = p.ended_at ? new Date(p.ended_at) : new Date();
      els.elapsed.textContent = clock((end - new Date(p.started_at)) / 1000);
      els.distance.textContent = metres(routeDistance(p.route, maxAccuracy, maxSpeed));
      els.points.textContent = String(p.route.length);
    }
    setInterval(() => { if (current()) figures(); }, 1000);

    /* -- position -- */
    let fix = null; // the last position: {lon, lat, t, acc}
    let watchId = null;

    function onPosition(pos) {
      const c = pos.coords;
      fix = {
        lon: Math.round(c.longitude * 1e7) / 1e7,
        lat: Math.round(c.latitude * 1e7) / 1e7,
        t: Math.round(pos.timestamp) / 1000,
        acc: c.accuracy === null || c.accuracy === undefined ? null : Math.round(c.accuracy * 10) / 10,
      };
      els.geo.textContent = fmt(fix.acc !== null && fix.acc > maxAccuracy ? T.textGeoRough : T.textGeoOk, Math.round(fix.acc || 0));
      showMe(fix);
      const p = current();
      if (!p) return;
      addPoint(p, fix);
    }

    function addPoint(p, f) {
      const startS = new Date(p.started_at).getTime() / 1000;
      if (f.t < startS - 60) return; // a position from before the patrol
      const last = p.route[p.route.length - 1];
      if (last && f.t <= last[2]) return; // keep the route in time order
      if (last && haversine(last[0], last[1], f.lon, f.lat) < MIN_STEP_M && f.t - last[2] < STILL_S) return;
      if (p.route.length >= maxPoints) return;
      p.route.push([f.lon, f.lat, f.t, f.acc]);
      touch(p);
      drawRoute(p);
      figures();
      showState(p);
    }

    function onGeoError(err) {
      els.geo.textContent = err.code === 1 ? T.textGeoDenied : T.textGeoFailed;
    }

    function watch() {
      if (watchId !== null) return;
      if (!navigator.geolocation || !window.isSecureContext) {
        els.geo.textContent = T.textGeoInsecure;
        return;
      }
      els.geo.textContent = T.textGeoWait;
      watchId = navigator.geolocation.watchPosition(onPosition, onGeoError, {
        enableHighAccuracy: true, maximumAge: 0, timeout: 60000,
      });
    }

    function unwatch() {
      if (watchId !== null && navigator.geolocation) navigator.geolocation.clearWatch(watchId);
      watchId = null;
    }

    // keep the screen on while walking: a phone that sleeps stops reporting positions to the page
    let wakeLock = null;
    async function keepAwake() {
      if (!current() || wakeLock || !("wakeLock" in navigator)) return;
      try {
        wakeLock = await navigator.wakeLock.request("screen");
        wakeLock.addEventListener("release", () => { wakeLock = null; });
      } catch (e) { wakeLock = null; }
    }
    function letSleep() {
      if (wakeLock) wakeLock.release().catch(() => {});
      wakeLock = null;
    }

    /* -- sending -- */
    let retryTimer = null;

    function payload(p) {
      return {
        client_id: p.client_id,
        grid: p.grid,
        started_at: p.started_at,
        ended_at: p.ended_at,
        note: p.note,
        route: p.route,
        entries: p.entries.map((en) => ({
          client_id: en.client_id, kind: en.kind, text: en.text, time: en.time, lon: en.lon, lat: en.lat,
        })),
      };
    }

    function problemText(body) {
      if (!body || typeof body !== "object") return "";
      return Object.values(body).flat().filter((x) => typeof x === "string").join(" ");
    }

    async function post(url, options) {
      try {
        const resp = await fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: Object.assign({ Accept: "application/json", "X-CSRFToken": csrf }, options.headers || {}),
          body: options.body,
        });
        let body = null;
        try { body = await resp.json(); } catch (e) { body = null; }
        return { resp, body };
      } catch (e) {
        return { resp: null, body: null };
      }
    }

    function dataUrlToBlob(url) {
      const [head, data] = url.split(",");
      const type = (head.match(/data:([^;]+)/) || [])[1] || "image/jpeg";
      const bin = atob(data);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return new Blob([bytes], { type });
    }

    // returns "ok", "retry" (network, server trouble, login) or "failed" (the server refused it)
    async function sendOne(p) {
      const rev = p.rev;
      if (p.sent_rev < rev) {
        const { resp, body } = await post(T.api, {
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(payload(p)),
        });
        if (!resp || resp.status >= 500 || resp.status === 408 || resp.status === 429) return "retry";
        if (resp.status === 401 || resp.status === 403 || resp.redirected) { say(T.textLogin, "danger"); return "retry"; }
        if (!resp.ok) {
          p.error = problemText(body) || String(resp.status);
          p.error_rev = rev;
          save();
          return "failed";
        }
        p.sent_rev = Math.max(p.sent_rev, rev);
        p.error = null;
        p.server_id = body.id;
        p.case_errors = body.case_errors || {};
        const onServer = {};
        ((body.entries && body.entries.features) || []).forEach((f) => { onServer[f.properties.client_id] = f.properties; });
        p.entries.forEach((en) => {
          const there = onServer[en.client_id];
          if (!there) return;
          en.case_number = there.case_number;
          if (there.photo_url) { en.photo_done = true; en.photo = null; }
        });
        save();
      }
      for (const en of p.entries) {
        if (!en.photo || en.photo_done) continue;
        const fd = new FormData();
        fd.append("photo", dataUrlToBlob(en.photo), en.client_id + ".jpg");
        const url = T.api + p.client_id + "/entries/" + en.client_id + "/photo/";
        const { resp, body } = await post(url, { body: fd });
        if (!resp || resp.status >= 500 || resp.status === 408 || resp.status === 429) return "retry";
        if (resp.status === 401 || resp.status === 403 || resp.redirected) { say(T.textLogin, "danger"); return "retry"; }
        if (!resp.ok) { // a photo the server refuses is given up, the patrol goes on
          en.photo_error = problemText(body);
        }
        en.photo_done = true;
        en.photo = null;
        save();
      }
      return "ok";
    }

    async function sync() {
      if (sending) return;
      const waiting = Object.values(store.patrols).filter((p) => pending(p) && !(p.error && p.error_rev === p.rev));
      if (!waiting.length) { render(); return; }
      sending = true;
      showState(current() || store.patrols[store.last]);
      let again = false;
      for (const p of waiting) {
        const outcome = await sendOne(p);
        if (outcome === "retry") { again = true; break; }
      }
      sending = false;
      if (again) {
        if (navigator.onLine === false) say(T.textOffline, "warning");
        else if (els.alert.textContent !== T.textLogin) say(T.textOffline, "warning");
        clearTimeout(retryTimer);
        retryTimer = setTimeout(sync, RETRY_MS);
      } else {
        if (els.alert.textContent === T.textOffline || els.alert.textContent === T.textLogin) say("");
        prune();
        save();
        // changes made while this round was on its way (a new entry, the end) go at once
        if (Object.values(store.patrols).some((p) => pending(p) && !(p.error && p.error_rev === p.rev))) {
          setTimeout(sync, 300);
        }
      }
      render();
    }

    window.addEventListener("online", () => sync());
    setInterval(() => { if (current()) sync(); }, LIVE_SYNC_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") { keepAwake(); sync(); }
    });

    /* -- entries -- */
    let entryKind = "note";
    let entryPhoto = null;

    function openForm(kind) {
      entryKind = kind;
      els.formTitle.textContent = els.formTitle.dataset[kind];
      els.text.placeholder = els.text.dataset[kind];
      els.formError.textContent = "";
      els.form.classList.remove("d-none");
      els.text.focus();
    }

    function closeForm() {
      els.form.classList.add("d-none");
      els.text.value = "";
      els.photo.value = "";
      entryPhoto = null;
      els.preview.classList.add("d-none");
      els.preview.removeAttribute("src");
    }

    root.querySelectorAll("[data-kind]").forEach((btn) => btn.addEventListener("click", () => openForm(btn.dataset.kind)));
    $("gz-entry-cancel").addEventListener("click", closeForm);

    async function shrink(file) {
      const bmp = await createImageBitmap(file);
      const scale = Math.min(1, PHOTO_EDGE / Math.max(bmp.width, bmp.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bmp.width * scale));
      canvas.height = Math.max(1, Math.round(bmp.height * scale));
      canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
      return canvas.toDataURL("image/jpeg", 0.72);
    }

    function readDataUrl(file) {
      return new Promise((ok, fail) => {
        const r = new FileReader();
        r.onload = () => ok(r.result);
        r.onerror = fail;
        r.readAsDataURL(file);
      });
    }

    els.photo.addEventListener("change", async () => {
      const file = els.photo.files && els.photo.files[0];
      if (!file) return;
      try {
        entryPhoto = window.createImageBitmap ? await shrink(file) : await readDataUrl(file);
      } catch (e) {
        entryPhoto = await readDataUrl(file);
      }
      els.preview.src = entryPhoto;
      els.preview.classList.remove("d-none");
    });

    els.form.addEventListener("submit", (e) => {
      e.preventDefault();
      const p = current();
      if (!p) return;
      const text = els.text.value.trim();
      if (!text) { els.formError.textContent = T.textNeedText; return; }
      const fresh = fix && Date.now() / 1000 - fix.t < FRESH_FIX_S;
      p.entries.push({
        client_id: newKey(), kind: entryKind, text: text, time: new Date().toISOString(),
        lon: fresh ? fix.lon : null, lat: fresh ? fix.lat : null,
        photo: entryPhoto, photo_done: !entryPhoto, had_photo: !!entryPhoto,
      });
      touch(p);
      closeForm();
      render();
      sync();
    });

    function renderEntries(p) {
      els.entries.textContent = "";
      if (!p || !p.entries.length) {
        const empty = document.createElement("div");
        empty.className = "list-group-item text-secondary";
        empty.textContent = T.textNoEntries;
        els.entries.append(empty);
        return;
      }
      p.entries.slice().reverse().forEach((en) => {
        const item = document.createElement("div");
        item.className = "list-group-item";
        item.dataset.testid = "entry";
        const head = document.createElement("div");
        head.className = "small text-secondary";
        const label = root.querySelector('[data-kind="' + en.kind + '"]');
        head.textContent = hhmm(en.time) + " · " + (label ? label.textContent : en.kind) + (en.had_photo ? " · " + T.textPhoto : "");
        const body = document.createElement("div");
        body.textContent = en.text;
        item.append(head, body);
        if (en.case_number) {
          const c = document.createElement("div");
          c.className = "small text-success";
          c.textContent = fmt(T.textCase, en.case_number);
          item.append(c);
        } else if (p.case_errors && p.case_errors[en.client_id]) {
          const c = document.createElement("div");
          c.className = "small text-warning";
          c.textContent = fmt(T.textCaseError, p.case_errors[en.client_id].join(" "));
          item.append(c);
        }
        els.entries.append(item);
      });
    }

    /* -- start and end -- */
    $("gz-start").addEventListener("click", () => {
      if (current()) return;
      const gridId = Number(els.grid ? els.grid.value : gridData.default);
      const p = {
        client_id: newKey(), grid: gridId, started_at: new Date().toISOString(), ended_at: null,
        route: [], note: "", entries: [], rev: 1, sent_rev: 0, server_id: null, error: null, case_errors: {},
      };
      store.patrols[p.client_id] = p;
      store.current = p.client_id;
      store.last = p.client_id;
      prune();
      save();
      if (fix && Date.now() / 1000 - fix.t < 60) addPoint(p, fix);
      focus(p);
      watch();
      keepAwake();
      render();
      sync();
    });

    els.endBtn.addEventListener("click", () => {
      els.endBtn.classList.add("d-none");
      els.endConfirm.classList.remove("d-none");
      els.endConfirm.classList.add("d-flex");
    });
    $("gz-end-no").addEventListener("click", () => {
      els.endBtn.classList.remove("d-none");
      els.endConfirm.classList.add("d-none");
      els.endConfirm.classList.remove("d-flex");
    });
    $("gz-end-yes").addEventListener("click", () => {
      const p = current();
      if (!p) return;
      p.ended_at = new Date().toISOString();
      p.note = els.note.value.trim();
      store.current = null;
      store.last = p.client_id;
      touch(p);
      unwatch();
      letSleep();
      els.endBtn.classList.remove("d-none");
      els.endConfirm.classList.add("d-none");
      els.endConfirm.classList.remove("d-flex");
      render();
      sync();
    });

    let noteTimer = null;
    els.note.addEventListener("input", () => {
      clearTimeout(noteTimer);
      noteTimer = setTimeout(() => {
        const p = current();
        if (p && p.note !== els.note.value.trim()) { p.note = els.note.value.trim(); touch(p); showState(p); }
      }, 600);
    });

    $("gz-again").addEventListener("click", () => {
      store.last = null;
      prune();
      save();
      line.setLatLngs([]);
      entryGroup.clearLayers();
      render();
    });
    els.retry.addEventListener("click", () => {
      const p = store.last && store.patrols[store.last];
      if (p) { p.error = null; p.error_rev = null; save(); }
      sync();
    });
    els.discard.addEventListener("click", () => {
      const p = store.last && store.patrols[store.last];
      if (!p || !window.confirm(T.textDiscard)) return;
      delete store.patrols[p.client_id];
      store.last = null;
      save();
      render();
    });

    /* -- the screen -- */
    function render() {
      const p = current();
      const last = !p && store.last ? store.patrols[store.last] : null;
      els.idle.classList.toggle("d-none", !!(p || last));
      els.walking.classList.toggle("d-none", !p);
      els.ended.classList.toggle("d-none", !last);
      const shown = p || last;
      showState(shown);
      drawRoute(shown);
      figures();
      if (p) {
        renderEntries(p);
        if (document.activeElement !== els.note) els.note.value = p.note || "";
        const g = gridData.grids.find((x) => x.id === p.grid);
        els.title.textContent = T.textWalking + (g ? " · " + g.name : "");
      } else if (last) {
        const g = gridData.grids.find((x) => x.id === last.grid);
        els.title.textContent = T.textEnded + (g ? " · " + g.name : "");
        els.summary.textContent = hhmm(last.started_at) + " – " + hhmm(last.ended_at) + " · " +
          metres(routeDistance(last.route, maxAccuracy, maxSpeed)) + " · " + fmt(T.textEntries, last.entries.length);
        els.endedError.textContent = last.error || "";
        els.endedError.classList.toggle("d-none", !last.error);
        els.retry.classList.toggle("d-none", !pending(last));
        els.discard.classList.toggle("d-none", !last.error);
        if (last.server_id && !pending(last)) {
          els.endedLink.href = T.detailUrl.replace("{id}", last.server_id);
          els.endedLink.classList.remove("d-none");
        } else {
          els.endedLink.classList.add("d-none");
        }
      } else {
        els.title.textContent = idleTitle;
      }
      // other patrols on this phone still waiting for the server
      const others = Object.values(store.patrols).filter((x) => pending(x) && x !== p && x !== last);
      els.others.classList.toggle("d-none", !others.length);
      els.othersList.textContent = "";
      others.forEach((x) => {
        const row = document.createElement("div");
        row.className = "list-group-item d-flex";
        const what = document.createElement("span");
        what.className = "me-auto";
        what.textContent = new Date(x.started_at).toLocaleString() + " · " + x.entries.length;
        const badge = document.createElement("span");
        badge.className = "badge " + (x.error ? "bg-red-lt" : "bg-yellow-lt");
        badge.textContent = x.error ? T.textFailed + "：" + x.error : T.textPending;
        row.append(what, badge);
        els.othersList.append(row);
      });
    }

    render();
    focus(current() || (store.last && store.patrols[store.last]));
    watch(); // show where the worker is, also before the patrol starts
    keepAwake();
    if (Object.values(store.patrols).some(pending)) sync();
  }

  /* ---------------------------------------------------------------- the detail page */

  function detail(el) {
    const data = JSON.parse(document.getElementById("gz-patrol-data").textContent);
    const map = baseMap(el);
    const bounds = L.latLngBounds([]);
    if (data.grid) {
      const grid = L.geoJSON(data.grid, { style: () => ({ color: "#1d273b", weight: 1.5, dashArray: "5 4", fillOpacity: 0.03 }) }).addTo(map);
      bounds.extend(grid.getBounds());
    }
    const good = data.route.filter((p) => p[3] === null || p[3] <= data.max_accuracy).map((p) => [p[1], p[0]]);
    const all = data.route.map((p) => [p[1], p[0]]);
    if (all.length > good.length) L.polyline(all, { color: "#c8161d", weight: 2, opacity: 0.5, dashArray: "4 6" }).addTo(map);
    if (good.length) {
      const route = L.polyline(good, { color: "#c8161d", weight: 4, opacity: 0.9, className: "gz-route" }).addTo(map);
      bounds.extend(route.getBounds());
      L.circleMarker(good[0], { radius: 7, color: "#fff", weight: 2, fillColor: "#2fb344", fillOpacity: 1 })
        .bindTooltip(el.dataset.textStart).addTo(map);
      L.circleMarker(good[good.length - 1], { radius: 7, color: "#fff", weight: 2, fillColor: "#1d273b", fillOpacity: 1 })
        .bindTooltip(el.dataset.textEnd).addTo(map);
    }
    L.geoJSON({ type: "FeatureCollection", features: data.entries }, {
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 7, color: "#fff", weight: 2, fillColor: KIND_COLOURS[f.properties.kind] || "#667382", fillOpacity: 1 }),
      onEachFeature: (f, lyr) => lyr.bindTooltip(document.createTextNode(f.properties.label + "：" + f.properties.text)),
    }).eachLayer((lyr) => { lyr.addTo(map); bounds.extend(lyr.getLatLng()); });
    if (good.length) map.fitBounds(L.latLngBounds(good).pad(0.3), { maxZoom: 18 });
    else if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    else map.setView([30.23, 120.2], 13);
    el.dataset.ready = "1";
  }

  const walkRoot = document.getElementById("gz-walk");
  if (walkRoot && window.L) walk(walkRoot);
  const detailMap = document.getElementById("gz-patrol-map");
  if (detailMap && window.L) detail(detailMap);
})();
