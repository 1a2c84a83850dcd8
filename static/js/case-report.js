/* Intake pages of the cases app (事项一口归集): the grid worker's phone page, the resident portal,
 * the hotline form and the courtyard-meeting batch entry.
 *
 * One matter (#gz-intake-form): photos with previews (shrunk on the phone before upload), the
 * phone's position or a tap on a map of the user's grids, the grid the location falls in, the
 * suggested categories, and a submission that survives a bad connection: the form is sent with
 * fetch; when the network fails the draft (and the photos, when small enough) is kept in
 * localStorage and sent again when the connection comes back. The page's client_key makes a
 * repeated submission find the case the first one made instead of making a second.
 *
 * Courtyard meeting (#gz-courtyard): "+ 增加一条" rows, removal, addresses offered per grid.
 */
(function () {
  "use strict";

  const MAX_DRAFT_PHOTO_BYTES = 3 * 1024 * 1024; // photos kept in a draft, as data URLs
  const SHRINK_EDGE = 1600; // longest edge of a photo after shrinking, px
  const SHRINK_ABOVE = 600 * 1024; // photos smaller than this are sent as they are
  const SEND_TIMEOUT_MS = 90000;
  const RETRY_EVERY_MS = 30000;

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      const args = arguments;
      clearTimeout(timer);
      timer = setTimeout(() => fn.apply(null, args), ms);
    };
  }

  function whenReady(fn) {
    // after htmx has processed the page (its own DOMContentLoaded handler was registered first)
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else setTimeout(fn, 0);
  }

  const { fmt, newKey } = window.gz; // static/js/gz-common.js

  /* ---------------------------------------------------------------- one matter */

  function intake(form) {
    const banner = document.getElementById("gz-draft");
    const T = banner ? banner.dataset : {};
    const storeKey = "gz-case-draft:" + (form.dataset.draftKey || location.pathname);
    const submitBtn = document.getElementById("gz-submit");
    const lon = document.getElementById("id_lon");
    const lat = document.getElementById("id_lat");
    const acc = document.getElementById("id_accuracy");
    const address = document.getElementById("id_address");
    const building = document.getElementById("id_building");
    const gridEl = document.getElementById("gz-grid");
    const geoStatus = document.getElementById("gz-geo-status");
    const pointBox = document.getElementById("gz-point");
    const pointText = document.getElementById("gz-point-text");
    let photos = []; // {file: File|Blob, name, url}
    let sending = false;
    let pending = false; // a draft waits for the network
    let retryTimer = null;

    function say(text, kind) {
      if (!banner) return;
      banner.textContent = text || "";
      banner.classList.toggle("d-none", !text);
      banner.classList.toggle("alert-warning", kind !== "info" && kind !== "danger");
      banner.classList.toggle("alert-info", kind === "info");
      banner.classList.toggle("alert-danger", kind === "danger");
    }

    /* -- location -- */
    const locate = debounce(() => {
      if (gridEl && window.htmx) htmx.trigger(gridEl, "gz:locate");
    }, 500);

    let marker = null;
    let circle = null;
    let map = null;

    function showPoint() {
      const has = lon && lon.value && lat.value;
      if (pointBox) pointBox.classList.toggle("d-none", !has);
      if (has && pointText) pointText.textContent = fmt(T.textPoint, Number(lon.value).toFixed(6) + ", " + Number(lat.value).toFixed(6));
      if (!map) return;
      if (!has) {
        if (marker) marker.remove();
        if (circle) circle.remove();
        marker = circle = null;
        return;
      }
      const ll = [Number(lat.value), Number(lon.value)];
      if (marker) marker.setLatLng(ll);
      else marker = L.marker(ll, { icon: L.divIcon({ className: "gz-pin", html: "<span></span>", iconSize: [22, 22], iconAnchor: [11, 22] }) }).addTo(map);
      if (circle) circle.remove();
      circle = acc && acc.value ? L.circle(ll, { radius: Number(acc.value), weight: 1, color: "#c8161d", fillOpacity: 0.08 }).addTo(map) : null;
    }

    function setPoint(lo, la, accuracy) {
      if (!lon) return;
      lon.value = lo === null ? "" : Number(lo).toFixed(7);
      lat.value = la === null ? "" : Number(la).toFixed(7);
      if (acc) acc.value = accuracy ? Math.round(accuracy) : "";
      showPoint();
      locate();
    }

    const clearBtn = document.getElementById("gz-point-clear");
    if (clearBtn) clearBtn.addEventListener("click", () => { setPoint(null, null, null); if (geoStatus) geoStatus.textContent = ""; });
    if (address) address.addEventListener("input", locate);
    if (building) building.addEventListener("change", locate);

    const geoBtn = document.getElementById("gz-geo");
    if (geoBtn) {
      geoBtn.addEventListener("click", () => {
        if (!navigator.geolocation || !window.isSecureContext) {
          geoStatus.textContent = T.textGeoInsecure;
          return;
        }
        geoStatus.textContent = T.textGeoWait;
        geoBtn.disabled = true;
        navigator.geolocation.getCurrentPosition(
          (pos) => {
            geoBtn.disabled = false;
            const a = Math.round(pos.coords.accuracy || 0);
            geoStatus.textContent = fmt(a > 100 ? T.textGeoRough : T.textGeoOk, a);
            if (building) building.value = ""; // a chosen building would win over the position
            setPoint(pos.coords.longitude, pos.coords.latitude, a);
            if (map) map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 16));
          },
          (err) => {
            geoBtn.disabled = false;
            geoStatus.textContent = err.code === 1 ? T.textGeoDenied : T.textGeoFailed;
          },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
        );
      });
    }

    const mapToggle = document.getElementById("gz-map-toggle");
    const mapWrap = document.getElementById("gz-pick-wrap");
    const mapEl = document.getElementById("gz-pick-map");

    function initMap() {
      if (map || !mapEl || !window.L) return;
      map = L.map(mapEl, { attributionControl: !!mapEl.dataset.tiles, zoomSnap: 0.5 });
      if (mapEl.dataset.tiles) {
        L.tileLayer(mapEl.dataset.tiles, { maxZoom: 19, subdomains: "1234", attribution: mapEl.dataset.attribution }).addTo(map);
      }
      map.setView([30.23, 120.2], 13);
      map.on("click", (e) => {
        if (building) building.value = "";
        if (acc) acc.value = "";
        setPoint(e.latlng.lng, e.latlng.lat, null);
      });
      fetch(mapEl.dataset.gridsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status))))
        .then((data) => {
          const grids = L.geoJSON(data, {
            filter: (f) => f.properties.kind === "grid",
            style: () => ({ color: "#1d273b", weight: 1.5, dashArray: "5 4", fillColor: "#c8161d", fillOpacity: 0.04 }),
            onEachFeature: (f, lyr) => {
              const label = document.createElement("span");
              label.textContent = f.properties.name;
              lyr.bindTooltip(label, { sticky: true });
            },
          }).addTo(map);
          L.geoJSON(data, {
            filter: (f) => f.properties.kind === "building",
            pointToLayer: (f, ll) =>
              L.circleMarker(ll, { radius: 6, color: "#1971c2", weight: 2, fillOpacity: 0.6, bubblingMouseEvents: false }),
            onEachFeature: (f, lyr) => {
              const label = document.createElement("span");
              label.textContent = f.properties.name;
              lyr.bindTooltip(label);
              lyr.on("click", () => {
                // a tap on a building picks it (when it is in the list) and puts the pin on it
                if (building && building.querySelector('option[value="' + f.properties.id + '"]')) {
                  building.value = String(f.properties.id);
                }
                const ll = lyr.getLatLng();
                setPoint(ll.lng, ll.lat, null);
              });
            },
          }).addTo(map);
          if (lon.value && lat.value) map.setView([Number(lat.value), Number(lon.value)], 16);
          else if (grids.getLayers().length) map.fitBounds(grids.getBounds(), { padding: [8, 8] });
          showPoint();
        })
        .catch(() => { if (geoStatus) geoStatus.textContent = T.textMapFailed; showPoint(); });
    }

    if (mapToggle && mapWrap) {
      mapToggle.addEventListener("click", () => {
        const open = mapWrap.classList.toggle("d-none") === false;
        mapToggle.setAttribute("aria-expanded", String(open));
        if (open) {
          initMap();
          setTimeout(() => map && map.invalidateSize(), 50);
        }
      });
    }

    /* -- category suggestions -- */
    const category = document.getElementById("id_category");
    const suggest = document.getElementById("gz-suggest");
    const chosen = document.getElementById("gz-chosen");
    const isSelect = category && category.tagName === "SELECT";

    function markChips() {
      if (!suggest || !category) return;
      suggest.querySelectorAll(".gz-chip").forEach((chip) => {
        const on = chip.dataset.category === category.value;
        chip.classList.toggle("active", on);
        chip.setAttribute("aria-pressed", String(on));
      });
      if (chosen && !isSelect) {
        const opt = category.value ? suggest.querySelector('.gz-chip[data-category="' + category.value + '"]') : null;
        const label = opt ? opt.dataset.label : category.dataset.label || category.value;
        chosen.textContent = category.value ? fmt(T.textChosen, label) : "";
      }
    }

    if (suggest && category) {
      suggest.addEventListener("click", (e) => {
        const chip = e.target.closest(".gz-chip");
        if (!chip) return;
        if (isSelect) {
          category.value = chip.dataset.category;
          category.dataset.touched = "1";
        } else {
          category.value = category.value === chip.dataset.category ? "" : chip.dataset.category;
          category.dataset.label = chip.dataset.label;
        }
        markChips();
      });
      suggest.addEventListener("htmx:afterSwap", () => {
        const top = suggest.querySelector(".gz-chip");
        if (isSelect && top && !category.dataset.touched) category.value = top.dataset.category;
        markChips();
      });
      if (isSelect) {
        if (category.value) category.dataset.touched = "1"; // chosen before the page was shown again
        category.addEventListener("change", () => { category.dataset.touched = "1"; markChips(); });
      }
      markChips();
    }

    /* -- photos -- */
    const photoInput = document.getElementById("id_photos");
    const previews = document.getElementById("gz-photo-previews");
    const photoAdd = document.getElementById("gz-photo-add");
    const photoCount = document.getElementById("gz-photo-count");
    const maxPhotos = photoInput ? Number(photoInput.dataset.max || 6) : 0;

    function renderPhotos() {
      if (!previews) return;
      previews.textContent = "";
      photos.forEach((p, i) => {
        const cell = document.createElement("div");
        cell.className = "gz-photo";
        const img = document.createElement("img");
        img.src = p.url;
        img.alt = p.name;
        const rm = document.createElement("button");
        rm.type = "button";
        rm.className = "gz-photo-remove";
        rm.setAttribute("aria-label", T.textRemove || "×");
        rm.textContent = "×";
        rm.addEventListener("click", () => {
          URL.revokeObjectURL(p.url);
          photos.splice(i, 1);
          renderPhotos();
        });
        cell.append(img, rm);
        previews.append(cell);
      });
      if (photoCount) photoCount.textContent = photos.length + " / " + maxPhotos;
      if (photoAdd) photoAdd.classList.toggle("disabled", photos.length >= maxPhotos);
    }

    async function shrink(file) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type) || file.size < SHRINK_ABOVE || !window.createImageBitmap) return file;
      try {
        const bmp = await createImageBitmap(file);
        const scale = Math.min(1, SHRINK_EDGE / Math.max(bmp.width, bmp.height));
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(bmp.width * scale);
        canvas.height = Math.round(bmp.height * scale);
        canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
        const blob = await new Promise((ok) => canvas.toBlob(ok, "image/jpeg", 0.82));
        if (!blob || blob.size >= file.size) return file;
        return new File([blob], file.name.replace(/\.[^.]+$/, "") + ".jpg", { type: "image/jpeg" });
      } catch (err) {
        return file;
      }
    }

    async function addPhotos(files) {
      for (const f of files) {
        if (photos.length >= maxPhotos) {
          showErrors({ photos: [T.textTooMany] });
          break;
        }
        const small = await shrink(f);
        photos.push({ file: small, name: small.name || f.name, url: URL.createObjectURL(small) });
      }
      renderPhotos();
    }

    if (photoInput) {
      photoInput.classList.add("visually-hidden");
      if (photoAdd) photoAdd.classList.remove("d-none");
      photoInput.addEventListener("change", () => {
        const files = Array.from(photoInput.files || []);
        photoInput.value = "";
        addPhotos(files);
      });
    }

    /* -- errors -- */
    function showErrors(errors) {
      form.closest(".gz-intake, .page-body, body").querySelectorAll("[data-error-for]").forEach((el) => {
        el.textContent = "";
        if (el.classList.contains("alert")) el.classList.add("d-none");
      });
      form.querySelectorAll(".is-invalid").forEach((el) => el.classList.remove("is-invalid"));
      let first = null;
      Object.keys(errors || {}).forEach((name) => {
        let el = document.querySelector('[data-error-for="' + name + '"]');
        if (!el) el = document.querySelector('[data-error-for="form"]');
        if (!el) return;
        el.textContent = (el.textContent ? el.textContent + " " : "") + errors[name].join(" ");
        el.classList.remove("d-none");
        const input = form.querySelector('[name="' + name + '"]');
        if (input && input.type !== "hidden" && input.type !== "radio") input.classList.add("is-invalid");
        first = first || el;
      });
      if (first) first.closest("section, .alert, .col-12, div").scrollIntoView({ behavior: "smooth", block: "center" });
    }

    /* -- drafts -- */
    function fieldValues() {
      const values = {};
      Array.from(form.elements).forEach((el) => {
        if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken") return;
        if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
        values[el.name] = el.value;
      });
      return values;
    }

    function toDataUrl(blob) {
      return new Promise((ok, fail) => {
        const r = new FileReader();
        r.onload = () => ok(r.result);
        r.onerror = fail;
        r.readAsDataURL(blob);
      });
    }

    async function saveDraft() {
      const draft = { saved: Date.now(), fields: fieldValues(), photos: [], photosDropped: false, pending: true };
      const total = photos.reduce((n, p) => n + p.file.size, 0);
      if (total && total <= MAX_DRAFT_PHOTO_BYTES) {
        for (const p of photos) draft.photos.push({ name: p.name, data: await toDataUrl(p.file) });
      } else if (total) {
        draft.photosDropped = true;
      }
      try {
        localStorage.setItem(storeKey, JSON.stringify(draft));
      } catch (err) {
        draft.photos = [];
        draft.photosDropped = photos.length > 0;
        try { localStorage.setItem(storeKey, JSON.stringify(draft)); } catch (e) { /* storage full or disabled */ }
      }
      return draft;
    }

    function clearDraft() {
      try { localStorage.removeItem(storeKey); } catch (e) { /* storage disabled */ }
    }

    function loadDraft() {
      try {
        const raw = localStorage.getItem(storeKey);
        return raw ? JSON.parse(raw) : null;
      } catch (e) {
        return null;
      }
    }

    async function restore(draft) {
      const fold = form.closest(".collapse");
      if (fold) fold.classList.add("show"); // the portal keeps its form folded
      Object.entries(draft.fields || {}).forEach(([name, value]) => {
        const els = form.querySelectorAll('[name="' + name + '"]');
        els.forEach((el) => {
          if (el.type === "radio" || el.type === "checkbox") el.checked = el.value === value;
          else el.value = value;
        });
      });
      for (const p of draft.photos || []) {
        const blob = await (await fetch(p.data)).blob();
        const file = new File([blob], p.name, { type: blob.type });
        photos.push({ file: file, name: p.name, url: URL.createObjectURL(file) });
      }
      renderPhotos();
      showPoint();
      markChips();
    }

    /* -- sending -- */
    function formData() {
      const fd = new FormData(form);
      fd.delete("photos");
      photos.forEach((p) => fd.append("photos", p.file, p.name));
      return fd;
    }

    async function send(retry) {
      if (sending) return;
      sending = true;
      if (submitBtn) submitBtn.disabled = true;
      say(retry ? T.textRetrying : T.textSending, "info");
      const ctrl = new AbortController();
      const timer = setTimeout(() => ctrl.abort(), SEND_TIMEOUT_MS);
      let resp = null;
      try {
        resp = await fetch(form.getAttribute("action") || location.pathname, {
          method: "POST",
          body: formData(),
          credentials: "same-origin",
          headers: { "X-Requested-With": "fetch", Accept: "application/json" },
          signal: ctrl.signal,
        });
      } catch (err) {
        resp = null;
      } finally {
        clearTimeout(timer);
      }
      sending = false;
      if (submitBtn) submitBtn.disabled = false;
      let body = null;
      if (resp) {
        try { body = await resp.json(); } catch (e) { body = null; }
      }
      if (resp && resp.ok && body && body.ok) {
        pending = false;
        clearDraft();
        say("", "info");
        window.location.assign(body.redirect);
        return;
      }
      if (resp && resp.status === 400 && body) {
        pending = false;
        clearDraft();
        say(T.textFix, "danger");
        showErrors(body.errors);
        return;
      }
      if (resp && (resp.status === 403 || resp.status === 401 || resp.redirected)) {
        await saveDraft();
        pending = false;
        say(T.textLogin, "danger");
        return;
      }
      if (resp && resp.status < 500 && resp.status !== 408 && resp.status !== 429) {
        say(T.textFailed, "danger");
        return;
      }
      // no answer, a timeout or a server/proxy error: keep the draft and try again later
      const draft = await saveDraft();
      pending = true;
      say(draft.photosDropped ? T.textOfflineNophotos : T.textOffline, "warning");
      scheduleRetry();
    }

    function scheduleRetry() {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        if (pending && navigator.onLine !== false) send(true);
        else if (pending) scheduleRetry();
      }, RETRY_EVERY_MS);
    }

    window.addEventListener("online", () => { if (pending) send(true); });

    form.addEventListener("submit", (e) => {
      e.preventDefault();
      send(false);
    });

    /* -- start -- */
    function refresh() {
      if ((lon && lon.value) || (address && address.value) || (building && building.value)) locate();
      const desc = document.getElementById("id_description");
      if (desc && desc.value && window.htmx && desc.getAttribute("hx-get")) htmx.trigger(desc, "input");
    }

    const keyInput = form.querySelector('[name="client_key"]');
    if (keyInput && !keyInput.value) keyInput.value = newKey();
    const draft = loadDraft();
    whenReady(() => {
      if (!draft) {
        renderPhotos();
        showPoint();
        refresh();
        return;
      }
      restore(draft).then(() => {
        refresh();
        if (draft.pending) {
          pending = true;
          say(draft.photosDropped ? T.textOfflineNophotos : T.textOffline, "warning");
          if (navigator.onLine !== false) setTimeout(() => send(true), 1000);
          else scheduleRetry();
        } else {
          say(T.textRestored, "info");
        }
      });
    });

    const next = document.getElementById("gz-next-call");
    if (next) next.addEventListener("click", (e) => {
      e.preventDefault();
      const name = document.getElementById("id_reporter_name");
      if (name) name.focus();
    });
  }

  /* ---------------------------------------------------------- courtyard meeting */

  function courtyard(form) {
    const body = document.getElementById("gz-rows");
    const tpl = document.getElementById("gz-row-template");
    const total = form.querySelector('[name="rows-TOTAL_FORMS"]');
    const addBtn = document.getElementById("gz-add-row");
    const limit = document.getElementById("gz-row-limit");
    const max = Number(form.dataset.maxRows || 50);
    const grid = document.getElementById("id_grid");
    const compound = document.getElementById("id_compound");
    const list = document.getElementById("gz-addresses");
    const dataEl = document.getElementById("gz-address-data");
    const addresses = dataEl ? JSON.parse(dataEl.textContent) : {};

    function visibleRows() {
      return Array.from(body.querySelectorAll("tr.gz-row")).filter((tr) => !tr.hidden);
    }

    function renumber() {
      visibleRows().forEach((tr, i) => {
        const idx = tr.querySelector(".gz-row-index");
        if (idx) idx.textContent = String(i + 1);
      });
      const full = visibleRows().length >= max;
      addBtn.disabled = full;
      if (limit) limit.textContent = full ? limit.dataset.text : "";
    }

    addBtn.addEventListener("click", () => {
      if (visibleRows().length >= max) return;
      const n = Number(total.value);
      const html = tpl.innerHTML.replace(/__prefix__/g, String(n));
      body.insertAdjacentHTML("beforeend", html);
      total.value = String(n + 1);
      renumber();
      const rows = body.querySelectorAll("tr.gz-row");
      const ta = rows[rows.length - 1].querySelector("textarea");
      if (ta) ta.focus();
    });

    body.addEventListener("click", (e) => {
      const btn = e.target.closest(".gz-row-remove");
      if (!btn) return;
      const tr = btn.closest("tr");
      // a removed row stays in the form, blank (a blank row is skipped), so the numbering of
      // the rows after it does not change
      tr.querySelectorAll("textarea, input").forEach((el) => { el.value = ""; });
      tr.querySelectorAll("select").forEach((el) => { el.value = "normal"; });
      tr.hidden = true;
      renumber();
    });

    function offerAddresses() {
      if (!list) return;
      let id = grid && grid.value;
      if (compound && compound.value) {
        const opt = compound.selectedOptions[0];
        id = opt ? opt.dataset.grid : id;
      }
      list.textContent = "";
      (addresses[id] || []).forEach((text) => {
        const o = document.createElement("option");
        o.value = text;
        list.append(o);
      });
    }

    if (compound && grid) {
      compound.addEventListener("change", () => {
        const opt = compound.selectedOptions[0];
        if (opt && opt.dataset.grid) grid.value = opt.dataset.grid;
        offerAddresses();
      });
      grid.addEventListener("change", () => {
        const opt = compound.selectedOptions[0];
        if (opt && opt.dataset.grid && opt.dataset.grid !== grid.value) compound.value = "";
        offerAddresses();
      });
    }
    offerAddresses();
    renumber();
  }

  const one = document.getElementById("gz-intake-form");
  if (one) intake(one);
  const batch = document.getElementById("gz-courtyard");
  if (batch) courtyard(batch);
})();
