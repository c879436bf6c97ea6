// Poll for newly captured posts and add them under their question; page back through earlier posts on
// request; stop polling once the chat has ended. Text is set with textContent only, so nothing a post
// contains can become markup.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var url = root.getAttribute("data-poll");
  var after = parseInt(root.getAttribute("data-after") || "0", 10);
  var before = parseInt(root.getAttribute("data-before") || "0", 10);
  var INTERVAL = 2000;
  var EARLIER_PAGE = 200;

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

  function postItem(m) {
    var li = el("li", "post" + (m.is_repost ? " repost" : ""));
    li.id = "m" + m.id;
    li.setAttribute("data-id", String(m.id));
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
    return li;
  }

  function addPost(m) {
    if (document.getElementById("m" + m.id)) return;
    section(m.question).querySelector("ol.posts").appendChild(postItem(m));
  }

  function addEarlierPost(m) {
    // Earlier posts go before every post already shown with a larger id, so each list stays in order.
    if (document.getElementById("m" + m.id)) return;
    var list = section(m.question).querySelector("ol.posts");
    var next = null;
    for (var i = 0; i < list.children.length; i++) {
      if (parseInt(list.children[i].getAttribute("data-id") || "0", 10) > m.id) { next = list.children[i]; break; }
    }
    list.insertBefore(postItem(m), next);
  }

  function counts(state) {
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

  function ended() {
    root.setAttribute("data-polling", "false");
    document.getElementById("ended").hidden = false;
  }

  function poll() {
    fetch(url + "?after=" + after, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (!state) return INTERVAL;
        state.messages.forEach(addPost);
        after = Math.max(after, state.last_id);
        counts(state);
        if (state.more) return 0;
        if (state.ended) return null;
        return INTERVAL;
      })
      .catch(function () { return INTERVAL; })
      .then(function (wait) {
        if (wait === null) ended(); else window.setTimeout(poll, wait);
      });
  }

  var earlier = document.getElementById("earlier-button");
  if (earlier) {
    earlier.addEventListener("click", function () {
      earlier.disabled = true;
      fetch(url + "?before=" + before + "&limit=" + EARLIER_PAGE, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) {
          if (!state) return;
          state.messages.forEach(addEarlierPost);
          if (state.messages.length) before = state.messages[0].id;
          document.getElementById("earlier-count").textContent = String(state.earlier);
          document.getElementById("earlier").hidden = state.earlier === 0;
        })
        .catch(function () {})
        .then(function () { earlier.disabled = false; });
    });
  }

  if (root.getAttribute("data-ended") !== "true") window.setTimeout(poll, INTERVAL);
})();
