// After "Save my reflections" with "Download Word" (or Markdown), the saved page starts that download
// itself: the person asked for the document, and saving must not swallow the request.
(function () {
  "use strict";
  var form = document.getElementById("saved-download");
  if (!form || !form.dataset.start) return;
  form.submit();
})();
