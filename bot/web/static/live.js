// Poll for newly captured posts and add them under their question. Text is set with textContent only,
// so nothing a post contains can become markup.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var url = root.getAttribute("data-poll");
  var after = parseInt(root.getAttribute("data-after") || "0", 10);
  var INTERVAL = 2000;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function section(question) {
    var id = "q-" + (question === null ? "none" : String(question));
    return document.getElementById(id) || document.getElementById("q-none");
  }

  function addPost(m) {
    if (document.getElementById("m" + m.id)) return;
    var list = section(m.question).querySelector("ol.posts");
    var li = el("li", "post" + (m.is_repost ? " repost" : ""));
    li.id = "m" + m.id;
    li.appendChild(el("span", "who", "@" + m.handle));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "muted", m.local));
    if (m.url && /^https:\/\//.test(m.url)) {
      var a = el("a", null, "original");
      a.href = m.url;
      a.rel = "noopener noreferrer";
      li.appendChild(document.createTextNode(" "));
      li.appendChild(a);
    }
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "text", m.text));
    list.appendChild(li);
  }

  function update(state) {
    state.messages.forEach(addPost);
    after = Math.max(after, state.last_id);
    document.getElementById("total-messages").textContent = String(state.totals.messages);
    document.getElementById("total-contributors").textContent = String(state.totals.contributors);
    var top = document.getElementById("top");
    top.replaceChildren.apply(top, state.top.map(function (t) { return el("li", null, "@" + t.handle + " (" + t.posts + ")"); }));
    Object.keys(state.answers).forEach(function (n) {
      var s = document.getElementById("q-" + n);
      var c = s && s.querySelector(".answer-count");
      if (c) c.textContent = String(state.answers[n]);
    });
  }

  function poll() {
    fetch(url + "?after=" + after, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) update(state); })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, INTERVAL); });
  }
  window.setTimeout(poll, INTERVAL);
})();
