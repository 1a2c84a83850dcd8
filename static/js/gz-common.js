/* Small helpers shared by the phone pages (case report, patrol walk). */
(function () {
  "use strict";
  function fmt(text, value) {
    return (text || "").replace("%s", value);
  }

  // An idempotency key made on the phone: a retry after a bad connection carries the same one.
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  window.gz = Object.assign(window.gz || {}, { fmt: fmt, newKey: newKey });
})();
