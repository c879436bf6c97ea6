// A "keep this link" URL carries its key after '#', which browsers never send to the server. The key
// is only filled in, never submitted: the page shows what using it will do (and whether this browser
// already holds a key), and the person decides by pressing "Open my reflections". The key is dropped
// from the address bar and history at once.
(function () {
  "use strict";
  function offer() {
    var match = /[#&]key=([^&]+)/.exec(window.location.hash);
    var form = document.getElementById("key-form");
    if (!match || !form) return;
    history.replaceState(null, "", window.location.pathname + window.location.search);
    form.querySelector("input[name=key]").value = decodeURIComponent(match[1]);
    var details = document.getElementById("open-saved");
    if (details) details.open = true;
    var notice = document.getElementById("key-link-notice");
    if (notice) notice.hidden = false;
    form.querySelector("button[type=submit]").focus();
  }
  offer();
  window.addEventListener("hashchange", offer);
})();
