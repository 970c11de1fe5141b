/* Corral web console page: refreshes #corral-live from its data-fragment URL every data-refresh seconds
   (the server renders and escapes every fragment), keeps the output view scrolled to its end, and makes the
   page usable on a phone (viewport). No library needed. */
(function () {
  'use strict';
  if (!document.querySelector('meta[name="viewport"]')) {
    var meta = document.createElement('meta');
    meta.name = 'viewport';
    meta.content = 'width=device-width, initial-scale=1';
    document.head.appendChild(meta);
  }
  var box = document.getElementById('corral-live');
  if (!box || box.getAttribute('data-started')) {
    return;
  }
  box.setAttribute('data-started', 'true');
  var url = box.getAttribute('data-fragment');
  var every = Math.max(1, parseInt(box.getAttribute('data-refresh'), 10) || 3) * 1000;
  var last = box.innerHTML;
  var busy = false;

  function atEnd(pre) {
    return !pre || pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  }
  function scrollLines(force) {
    var pre = box.querySelector('pre.corral-lines');
    if (pre && force) {
      pre.scrollTop = pre.scrollHeight;
    }
  }
  function tick() {
    if (busy || document.hidden) {
      return;
    }
    busy = true;
    var pre = box.querySelector('pre.corral-lines');
    var follow = atEnd(pre);
    fetch(url, {credentials: 'same-origin', cache: 'no-store'}).then(function (r) {
      if (!r.ok) {
        throw new Error('HTTP ' + r.status);
      }
      return r.text();
    }).then(function (html) {
      box.removeAttribute('data-stale');
      if (html !== last) {
        last = html;
        box.innerHTML = html;
        box.setAttribute('data-refreshed', String(Date.now()));
        scrollLines(follow);
      }
    }).catch(function () {
      box.setAttribute('data-stale', 'true');
    }).then(function () {
      busy = false;
    });
  }
  scrollLines(true);
  setInterval(tick, every);
})();
