// Floodgate console: progressive enhancement only; every page works without this script.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content;

  // Changes made by script carry the CSRF token, as forms do.
  window.floodgate = {
    async send(method, url, body) {
      const response = await fetch(url, {
        method,
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf ?? "" },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
      return response;
    },
  };

  // Live counters and queues refresh themselves: an element with data-refresh="<url>" and
  // data-every="<seconds>" has its inner HTML replaced by the fragment the URL returns.
  for (const element of document.querySelectorAll("[data-refresh]")) {
    const every = Math.max(2, Number(element.dataset.every || 10)) * 1000;
    setInterval(async () => {
      try {
        const response = await fetch(element.dataset.refresh, { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (response.ok) element.innerHTML = await response.text();
      } catch (e) {
        // The next tick tries again.
      }
    }, every);
  }

  // Times in UTC ISO form become the reader's local time, the ISO text kept as the tooltip.
  for (const time of document.querySelectorAll("time[datetime]")) {
    const d = new Date(time.getAttribute("datetime"));
    if (!isNaN(d)) { time.title = time.getAttribute("datetime"); time.textContent = d.toLocaleString(); }
  }

  // Forms that need a confirmation: data-confirm="text".
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (e) => { if (!confirm(form.dataset.confirm)) e.preventDefault(); });
  }
})();
