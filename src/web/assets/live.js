// vigil status page: keeps the regions marked data-live current without reloading. It listens to vigil's Server-Sent Events
// stream; each event (debounced) re-fetches this same URL and swaps those regions in. The browser's EventSource
// reconnects on its own and sends Last-Event-ID, so vigil replays what was missed; a reconnect also refreshes.
// Served by vigil as a file (the Content-Security-Policy forbids inline script); no build step, no dependencies.
(function () {
  'use strict';
  var regions = Array.prototype.slice.call(document.querySelectorAll('[data-live][id]'));
  var status = document.getElementById('live-status');
  if (regions.length === 0 || !status || typeof EventSource === 'undefined') return;

  var EVENT_TYPES = ['health', 'connectivity', 'availability', 'warnings', 'message'];
  var DEBOUNCE_MS = 150;
  var PERIODIC_MS = 30000; // ages ("3 min ago") and maintenance windows opening or closing
  var inFlight = false;
  var pending = false;
  var timer = null;

  function show(text, state) {
    status.textContent = text;
    status.setAttribute('data-state', state);
  }

  // Keyboard users keep their place: a focused link inside a refreshed region is focused again afterwards.
  function swap(markup) {
    var fresh = new DOMParser().parseFromString(markup, 'text/html');
    regions.forEach(function (region) {
      var replacement = fresh.getElementById(region.id);
      if (!replacement) return;
      var active = document.activeElement;
      var href = active && region.contains(active) ? active.getAttribute('href') : null;
      region.replaceChildren.apply(region, Array.prototype.slice.call(replacement.childNodes));
      var again = href && region.querySelector('[href="' + CSS.escape(href) + '"]');
      if (again) again.focus();
    });
    document.body.setAttribute('data-refreshed', String(Date.now()));
  }

  function refresh() {
    if (inFlight) {
      pending = true;
      return;
    }
    inFlight = true;
    fetch(window.location.href, { headers: { Accept: 'text/html' }, cache: 'no-store', credentials: 'same-origin' })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(new Error('HTTP ' + response.status));
      })
      .then(swap)
      .catch(function () {
        show('update failed; retrying', 'error');
      })
      .then(function () {
        inFlight = false;
        if (pending) {
          pending = false;
          schedule();
        }
      });
  }

  function schedule() {
    if (timer !== null) return;
    timer = setTimeout(function () {
      timer = null;
      refresh();
    }, DEBOUNCE_MS);
  }

  var dropped = false;
  var stream = new EventSource('/api/v1/events/stream');
  stream.onopen = function () {
    show('live', 'live');
    if (dropped) schedule(); // caught up: whatever changed while away is on the server's page now
    dropped = false;
  };
  stream.onerror = function () {
    dropped = true;
    show('reconnecting…', 'reconnecting');
  };
  EVENT_TYPES.forEach(function (type) {
    stream.addEventListener(type, schedule);
  });
  setInterval(function () {
    if (!document.hidden) schedule();
  }, PERIODIC_MS);
  window.addEventListener('pagehide', function () {
    stream.close();
  });
})();
