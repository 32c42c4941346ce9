(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("data").textContent);
  var CF = {}, HF = {};
  D.conn_fields.forEach(function (n, i) { CF[n] = i; });
  D.http_fields.forEach(function (n, i) { HF[n] = i; });
  // Expand the string indexes; give each exchange its connection's start.
  var connStart = {};
  D.conns.forEach(function (c) {
    D.conn_strs.forEach(function (k) { c[k] = D.strings[c[k]]; });
    connStart[c[CF.conn]] = c[CF.start];
  });
  D.http.forEach(function (h) {
    D.http_strs.forEach(function (k) { h[k] = D.strings[h[k]]; });
    h[HF.conn_start] = connStart[h[HF.conn]];
  });
  var span = D.span > 0 ? D.span : 0.001;
  var v0 = 0, v1 = span;
  var body = document.getElementById("wfbody");
  var axis = document.getElementById("wfaxis");
  var sel = document.getElementById("wfsel");
  var zf = document.getElementById("zf"), zt = document.getElementById("zt");
  var zinfo = document.getElementById("zinfo");

  function fmt(s) {
    if (s < 0.01) { return (s * 1000).toFixed(2) + " ms"; }
    if (s < 1) { return (s * 1000).toFixed(1) + " ms"; }
    return s.toFixed(3) + " s";
  }
  function niceStep(range, n) {
    var raw = range / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) { if (p * steps[i] >= raw) { return p * steps[i]; } }
    return p * 10;
  }
  function layout() {
    var w = v1 - v0;
    var bars = body.getElementsByClassName("bar");
    for (var i = 0; i < bars.length; i++) {
      var b = bars[i], a = +b.dataset.a, e = +b.dataset.b;
      if (e < v0 || a > v1) { b.style.display = "none"; continue; }
      b.style.display = "";
      b.style.left = ((a - v0) / w * 100) + "%";
      b.style.width = Math.max((e - a) / w * 100, 0) + "%";
    }
    var ticks = axis.querySelectorAll(".tick");
    for (var j = 0; j < ticks.length; j++) { ticks[j].remove(); }
    var st = niceStep(w, 8);
    for (var t = Math.ceil(v0 / st) * st; t <= v1 + st * 1e-6; t += st) {
      var k = document.createElement("span");
      k.className = "tick";
      k.style.left = ((t - v0) / w * 100) + "%";
      k.textContent = fmt(t);
      axis.appendChild(k);
    }
    zf.value = +v0.toFixed(6);
    zt.value = +v1.toFixed(6);
    zinfo.textContent = (v0 > 0 || v1 < span) ? "showing " + fmt(w) + " of " + fmt(span) : "";
  }
  function zoom(a, b) {
    if (!(b > a)) { return; }
    v0 = Math.max(0, a);
    v1 = Math.min(Math.max(b, v0 + 1e-6), Math.max(span, b));
    layout();
  }
  document.getElementById("zapply").addEventListener("click", function () { zoom(+zf.value, +zt.value); });
  document.getElementById("zreset").addEventListener("click", function () { zoom(0, span); });
  var dragX = null;
  function axisTime(ev) {
    var r = axis.getBoundingClientRect();
    var x = Math.min(Math.max(ev.clientX - r.left, 0), r.width);
    return { x: x, t: v0 + (v1 - v0) * x / r.width };
  }
  axis.addEventListener("mousedown", function (ev) {
    dragX = axisTime(ev);
    sel.style.display = "block"; sel.style.left = dragX.x + "px"; sel.style.width = "0px";
    ev.preventDefault();
  });
  window.addEventListener("mousemove", function (ev) {
    if (!dragX) { return; }
    var p = axisTime(ev);
    sel.style.left = Math.min(p.x, dragX.x) + "px";
    sel.style.width = Math.abs(p.x - dragX.x) + "px";
  });
  window.addEventListener("mouseup", function (ev) {
    if (!dragX) { return; }
    var p = axisTime(ev), a = Math.min(p.t, dragX.t), b = Math.max(p.t, dragX.t);
    sel.style.display = "none";
    dragX = null;
    if (b - a > (v1 - v0) / 500) { zoom(a, b); }
  });
  body.addEventListener("click", function (ev) {
    var row = ev.target.closest(".wf-row");
    if (row) { location.hash = "#conn-" + row.dataset.conn; }
  });

  // Records drawn on demand.
  var connByID = {};
  D.conns.forEach(function (c) { connByID[c[CF.conn]] = c; });
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function secs(x) { return x < 0 ? "–" : fmt(x); }
  function waterfallRow(h) {
    var r = el("div", "wf-row v-" + h[HF.verdict]);
    r.dataset.conn = h[HF.conn];
    var name = h[HF.method] ? h[HF.method] + " " + h[HF.uri] : "(no request)";
    r.title = "conn " + h[HF.conn] + " #" + h[HF.depth] + ": " + name;
    r.appendChild(el("span", "wf-name", name));
    r.appendChild(el("span", "wf-status", h[HF.status] > 0 ? String(h[HF.status]) : "–"));
    r.appendChild(el("span", "wf-size", Math.max(h[HF.resp_body_len], 0).toLocaleString("en-US")));
    var track = el("span", "wf-track"), pos = h[HF.rel], tot = 0;
    function bar(phase, a, b) { var i = el("i", "bar b-" + phase); i.dataset.a = a; i.dataset.b = b; track.appendChild(i); }
    if (h[HF.connect] > 0) { bar("connect", h[HF.conn_start], h[HF.conn_start] + h[HF.connect]); }
    ["send", "wait", "receive"].forEach(function (p) {
      var d = h[HF[p]];
      if (d >= 0) { bar(p, pos, pos + d); pos += d; tot += d; }
    });
    r.appendChild(el("span", "wf-total", fmt(tot)));
    r.appendChild(track);
    return r;
  }
  var wfall = document.getElementById("wfall"), todo = null, drawn = 0, group = null, gconn = -1;
  if (wfall) {
    wfall.addEventListener("click", function () {
      wfall.disabled = true;
      if (!todo) { todo = D.http.filter(function (h) { var c = connByID[h[HF.conn]]; return c && !c[CF.in_waterfall]; }); }
      var stop = Math.min(todo.length, drawn + 5000);
      function chunk() {
        var frag = document.createDocumentFragment();
        for (var n = 0; n < 1000 && drawn < stop; n++, drawn++) {
          var h = todo[drawn];
          if (h[HF.conn] !== gconn) {
            gconn = h[HF.conn];
            var c = connByID[gconn];
            group = el("div", "wf-group");
            group.dataset.conn = gconn;
            var head = el("div", "wf-ghead"), a = el("a", "", "conn " + gconn + "  " + c[CF.client] + " → " + c[CF.server]);
            a.href = "#conn-" + gconn;
            head.appendChild(a);
            group.appendChild(head);
            frag.appendChild(group);
          }
          group.appendChild(waterfallRow(h));
        }
        body.appendChild(frag);
        if (drawn < stop) { setTimeout(chunk, 0); return; }
        layout();
        if (drawn >= todo.length) {
          document.getElementById("wfmore").textContent = "All " + D.http.length + " exchanges are drawn.";
        } else {
          wfall.disabled = false;
          wfall.textContent = "draw 5,000 more (" + (todo.length - drawn) + " left)";
        }
      }
      chunk();
    });
  }
  var connall = document.getElementById("connall");
  if (connall) {
    connall.addEventListener("click", function () {
      connall.disabled = true;
      var tb = document.getElementById("connbody"), have = {};
      tb.querySelectorAll("tr").forEach(function (tr) { have[tr.dataset.conn] = true; });
      var frag = document.createDocumentFragment();
      D.conns.forEach(function (c) {
        if (have[c[CF.conn]]) { return; }
        var tr = el("tr");
        tr.dataset.conn = c[CF.conn];
        var a = el("a", "", String(c[CF.conn]));
        a.href = "#conn-" + c[CF.conn];
        var td = el("td"); td.appendChild(a); tr.appendChild(td);
        [c[CF.client], c[CF.server], c[CF.start].toFixed(6), secs(c[CF.duration]), secs(c[CF.rtt]),
          c[CF.packets_c2s] + "/" + c[CF.packets_s2c], c[CF.bytes_c2s] + "/" + c[CF.bytes_s2c], c[CF.retx], c[CF.requests],
          c[CF.protocol], c[CF.close]].forEach(function (v) { tr.appendChild(el("td", "", String(v))); });
        frag.appendChild(tr);
      });
      tb.appendChild(frag);
      document.getElementById("connmore").textContent = "All " + D.conns.length + " connections are listed.";
    });
  }
  function lazyView(id) {
    var v = document.getElementById("conn-lazy"), c = connByID[id];
    v.textContent = "";
    v.dataset.conn = id;
    if (!c) { v.appendChild(el("p", "note", "No connection " + id + " in this capture.")); return v; }
    v.appendChild(el("h3", "", "conn " + id + ": client " + c[CF.client] + " ⇄ server " + c[CF.server]));
    v.appendChild(el("p", "note", "This connection is summarised: the report draws the ladder, time-sequence graphs and anatomy of the slowest and most anomalous connections only. Draw this one with: segscope ladder --conn " + id + " --format svg FILE"));
    var t = el("table", "facts small");
    [["frames", c[CF.first_frame] + "–" + c[CF.last_frame]], ["start", c[CF.start].toFixed(6) + " s"], ["duration", secs(c[CF.duration])], ["handshake RTT", secs(c[CF.rtt])],
      ["packets c→s / s→c", c[CF.packets_c2s] + " / " + c[CF.packets_s2c]], ["payload bytes c→s / s→c", c[CF.bytes_c2s] + " / " + c[CF.bytes_s2c]],
      ["retransmissions", c[CF.retx]], ["protocol", c[CF.protocol]], ["close", c[CF.close]]].forEach(function (kv) {
      var tr = el("tr"); tr.appendChild(el("th", "", kv[0])); tr.appendChild(el("td", "", String(kv[1]))); t.appendChild(tr);
    });
    v.appendChild(t);
    var hs = D.http.filter(function (h) { return h[HF.conn] === id; });
    if (hs.length) {
      v.appendChild(el("h4", "", "Exchanges"));
      var wf = el("div", "wf"), b = el("div");
      hs.forEach(function (h) { b.appendChild(waterfallRow(h)); });
      wf.appendChild(b);
      v.appendChild(wf);
      var a = hs[0][HF.conn_start], e = a;
      hs.forEach(function (h) { e = Math.max(e, h[HF.rel] + Math.max(h[HF.send], 0) + Math.max(h[HF.wait], 0) + Math.max(h[HF.receive], 0)); });
      var w = Math.max(e - a, 1e-6);
      b.querySelectorAll(".bar").forEach(function (x) {
        x.style.left = ((+x.dataset.a - a) / w * 100) + "%";
        x.style.width = Math.max((+x.dataset.b - +x.dataset.a) / w * 100, 0) + "%";
      });
    }
    return v;
  }
  function openConn(id) {
    var open = document.querySelectorAll(".conn.open");
    for (var i = 0; i < open.length; i++) { open[i].classList.remove("open"); }
    var v = document.getElementById("conn-" + id);
    if (!v) {
      // A connection in full waits in a template until it is first opened: the page
      // does not lay out (or even build) pictures nobody looks at.
      var t = document.querySelector('template.connview[data-conn="' + id + '"]');
      if (t) {
        document.getElementById("connviews").appendChild(document.importNode(t.content, true));
        v = document.getElementById("conn-" + id);
      } else {
        v = lazyView(id);
      }
    }
    v.classList.add("open");
    document.querySelectorAll("#conntable tr.sel").forEach(function (tr) { tr.classList.remove("sel"); });
    var tr = document.querySelector('#conntable tr[data-conn="' + id + '"]');
    if (tr) { tr.classList.add("sel"); }
    return v;
  }
  function route() {
    document.querySelectorAll(".hit").forEach(function (x) { x.classList.remove("hit"); });
    var h = location.hash, m;
    if ((m = /^#conn-(\d+)$/.exec(h))) {
      openConn(+m[1]).scrollIntoView();
    } else if ((m = /^#c(\d+)-f(\d+)$/.exec(h))) {
      openConn(+m[1]);
      var a = document.getElementById("c" + m[1] + "-f" + m[2]);
      if (a) { a.classList.add("hit"); a.scrollIntoView({ block: "center" }); }
    } else if ((m = /^#find-c(\d+)-\d+-here$/.exec(h))) {
      openConn(+m[1]);
      var f = document.getElementById(h.slice(1));
      if (f) { f.scrollIntoView({ block: "center" }); }
    }
  }
  window.addEventListener("hashchange", route);
  document.getElementById("conntable").addEventListener("click", function (ev) {
    var tr = ev.target.closest("tr[data-conn]");
    if (tr && ev.target.tagName !== "A") { location.hash = "#conn-" + tr.dataset.conn; }
  });
  layout();
  // A small capture opens its first connection; a large one waits for a click (its
  // pictures cost layout time nobody asked for).
  if (D.full.length && D.full.length === D.conns.length && !location.hash) { openConn(D.full[0]); }
  route();
  // The page's one global: open a connection by id (used by tools/browser/check.js).
  window.segscope = { open: function (id) { return openConn(id).id; } };
})();
