/* Live notifications: one WebSocket per page; each message with a `message` shows as a toast.
   Reconnects with back-off when the connection drops (a phone changing networks). */
(function () {
  "use strict";
  const box = document.getElementById("gz-toasts");
  if (!box || !window.WebSocket) return;
  let delay = 1000;

  function show(payload) {
    if (!payload.message) return;
    const toast = document.createElement("div");
    toast.className = "toast show";
    toast.setAttribute("role", "alert");
    const body = document.createElement("div");
    body.className = "toast-body";
    const link = document.createElement(payload.url ? "a" : "span");
    if (payload.url) link.href = payload.url;
    link.textContent = payload.message;
    body.appendChild(link);
    toast.appendChild(body);
    box.appendChild(toast);
    setTimeout(() => toast.remove(), 15000);
  }

  function connect() {
    const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws/notifications/");
    ws.onopen = () => { delay = 1000; };
    ws.onmessage = (event) => { try { show(JSON.parse(event.data)); } catch (e) { /* not JSON: ignore */ } };
    ws.onclose = (event) => {
      if (event.code === 4401) return; // signed out
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 60000);
    };
  }
  connect();
})();
