// A "keep this link" URL carries its key after '#', which browsers never send to the server; post it
// (so it stays out of URLs and logs), and drop it from the address bar and history.
(function () {
  "use strict";
  var match = /[#&]key=([^&]+)/.exec(window.location.hash);
  var form = document.getElementById("key-form");
  if (!match || !form) return;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  form.querySelector("input[name=key]").value = decodeURIComponent(match[1]);
  form.submit();
})();
