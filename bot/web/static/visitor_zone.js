// Show times in the visitor's own zone: the server renders in ?tz=, so add the browser's zone once.
(function () {
  var params = new URLSearchParams(window.location.search);
  if (params.has("tz")) return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) return;
  params.set("tz", zone);
  window.location.replace(window.location.pathname + "?" + params.toString());
})();
