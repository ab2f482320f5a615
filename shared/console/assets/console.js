/* Cutover console. No framework, no library: the DOM is built with textContent only, so text from
   Twilio or a subscriber (names, reasons, URLs, answers) can never become markup. Charts are SVG
   drawn here (a few bars need no charting library, and nothing external is allowed by the CSP). */
(function () {
  "use strict";

  var REFRESH_MS = 4000;
  var SVG = "http://www.w3.org/2000/svg";
  var KEY_STORE = "acs-console-key";
  var nf = new Intl.NumberFormat();
  var state = { paused: false, timer: null, runs: {}, openFailures: {}, failures: {}, plan: null, busy: false };

  // ---------------------------------------------------------------- the function key
  function functionKey() {
    var params = new URLSearchParams(window.location.search);
    var code = params.get("code");
    if (code) {
      try { window.sessionStorage.setItem(KEY_STORE, code); } catch (e) { /* private mode: keep it in the URL */ return code; }
      params.delete("code");
      var rest = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
      return code;
    }
    try { return window.sessionStorage.getItem(KEY_STORE) || ""; } catch (e) { return ""; }
  }
  var KEY = functionKey();

  // ---------------------------------------------------------------- DOM helpers
  function el(tag, attrs) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = String(value);
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    });
  }
  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  function $(id) { return document.getElementById(id); }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // ---------------------------------------------------------------- the app's routes
  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (KEY) headers["x-functions-key"] = KEY;
    var init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (response) {
      if (response.status === 204) return null;
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok && !(response.status === 503 && data && Array.isArray(data.checks))) {
          var message = data && data.error && data.error.message ? data.error.message
            : response.status === 401 ? "The function key is missing or wrong: open the console as /api/console?code=<function key>."
            : "The app answered " + response.status + ".";
          var error = new Error(message);
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function notify(message, isError) {
    var box = $("notice");
    box.textContent = message;
    box.className = isError ? "notice error" : "notice";
    box.hidden = false;
  }

  // ---------------------------------------------------------------- formatting
  function duration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "unknown";
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return seconds + " s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min " + (seconds % 60) + " s";
    var hours = Math.floor(minutes / 60);
    return hours + " h " + (minutes % 60) + " min";
  }
  function when(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    return isNaN(date) ? String(iso) : date.toLocaleString();
  }
  var KINDS = { on_demand: "on demand", nightly: "nightly", live: "live", cli: "command line" };
  var FINISHED = { succeeded: true, failed: true, cancelled: true };

  // ---------------------------------------------------------------- chart
  function chart(run) {
    var progress = run.progress || { bucketMinutes: 1, messages: [] };
    var values = progress.messages || [];
    var width = progress.bucketMinutes || 1;
    var rates = values.map(function (v) { return v / width; });
    var peak = rates.reduce(function (a, b) { return Math.max(a, b); }, 0);
    var W = 320, H = 120, left = 34, bottom = 18, top = 8;
    var plotW = W - left - 6, plotH = H - bottom - top;
    var max = peak > 0 ? niceCeil(peak) : 1;
    var label = rates.length
      ? "Messages copied per minute over " + nf.format(rates.length * width) + " min: peak " + nf.format(Math.round(peak)) +
        ", latest " + nf.format(Math.round(rates[rates.length - 1]))
      : "No messages copied yet";
    var root = svg("svg", { "class": "chart", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label },
      svg("title", { text: label }));
    (max >= 2 ? [0, 0.5, 1] : [0, 1]).forEach(function (f) {
      var y = top + plotH - f * plotH;
      root.appendChild(svg("line", { "class": f ? "grid" : "axis", x1: left, x2: W - 6, y1: y, y2: y }));
      root.appendChild(svg("text", { "class": "tick", x: left - 4, y: y + 3, "text-anchor": "end", text: nf.format(Math.round(max * f)) }));
    });
    var n = Math.max(rates.length, 6);
    var step = plotW / n;
    rates.forEach(function (rate, i) {
      var h = max ? (rate / max) * plotH : 0;
      root.appendChild(svg("rect", { "class": "col", x: (left + i * step + step * 0.1).toFixed(2), y: (top + plotH - h).toFixed(2),
        width: Math.max(1, step * 0.8).toFixed(2), height: Math.max(rate > 0 ? 1 : 0, h).toFixed(2) }));
    });
    root.appendChild(svg("text", { "class": "tick", x: left, y: H - 4, text: "0" }));
    root.appendChild(svg("text", { "class": "tick", x: W - 6, y: H - 4, "text-anchor": "end", text: nf.format(n * width) + " min" }));
    return root;
  }
  function niceCeil(value) {
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= value) return steps[i] * power;
    return 10 * power;
  }

  // ---------------------------------------------------------------- runs
  function bar(label, done, planned, id, finishedText) {
    var percent = planned > 0 ? Math.min(100, Math.floor((done / planned) * 100)) : (done > 0 ? 100 : 0);
    if (finishedText) percent = 100;
    return el("div", { "class": "bar" },
      el("div", { "class": "bar-label" }, el("span", { id: id + "-l", text: label }),
        el("b", { text: finishedText || (nf.format(done) + " of " + nf.format(planned) + " · " + percent + "%") })),
      el("progress", { max: 100, value: percent, "aria-labelledby": id + "-l", "aria-valuetext": percent + "%", "data-percent": percent }));
  }

  function runItem(run) {
    var c = run.counts || {};
    var settled = (c.done || 0) + (c.failed || 0) + (c.notMigratable || 0);
    var dry = run.parameters && run.parameters.dryRun;
    var finished = !!FINISHED[run.status];
    var id = "run-" + run.id;
    var facts = [
      el("span", {}, "Done ", el("b", { text: nf.format(c.done || 0) })),
      el("span", {}, "Failed ", el("b", { text: nf.format(c.failed || 0) })),
      el("span", {}, "Not migratable ", el("b", { text: nf.format(c.notMigratable || 0) })),
      finished
        ? el("span", {}, "Took ", el("b", { text: duration((new Date(run.finishedAt || run.updatedAt) - new Date(run.createdAt)) / 1000) }))
        : el("span", {}, "ETA ", el("b", { "class": "eta", text: run.estimatedSecondsLeft === null ? "estimating…" : duration(run.estimatedSecondsLeft) })),
    ];
    if (typeof run.minimumSeconds === "number") facts.push(el("span", {}, "Minimum under ACS limits ", el("b", { text: duration(run.minimumSeconds) })));
    if (dry) {
      facts = [el("span", {}, "Planned ", el("b", { text: nf.format(c.planned || 0) }), " conversations and at most ",
        el("b", { text: nf.format(c.plannedMessages || 0) }), " messages; nothing was written")];
    }
    var item = el("li", { "class": "run " + run.status + (dry ? " dry" : ""), id: id, "data-run-id": run.id, "aria-labelledby": id + "-t" },
      el("div", {},
        el("div", { "class": "run-head" },
          el("span", { "class": "run-title", id: id + "-t", text: (KINDS[run.kind] || run.kind) + " run" }),
          el("span", { "class": "badge " + run.status, text: run.status }),
          dry ? el("span", { "class": "badge dry", text: "dry run" }) : null,
          el("span", { "class": "meta" }, "started " + when(run.createdAt) + " · ", el("code", { text: run.id }))),
        dry ? null : bar("Conversations settled", settled, c.planned || 0, id + "-conv"),
        dry ? null : bar("Messages copied", c.messages || 0, c.plannedMessages || 0, id + "-msg",
          run.status === "succeeded" && (c.messages || 0) < (c.plannedMessages || 0)
            ? nf.format(c.messages || 0) + " copied · all there were (the plan's upper bound was " + nf.format(c.plannedMessages || 0) + ")"
            : null),
        el("div", { "class": "facts" }, facts),
        run.error ? el("p", { "class": "meta", text: "Error: " + run.error }) : null),
      dry ? el("div", {}) : el("figure", { "class": "chart-box" },
        el("figcaption", { "class": "chart-cap", text: "Messages copied per minute" }), chart(run)));
    if ((c.failed || 0) + (c.notMigratable || 0) > 0) item.appendChild(failuresBlock(run));
    return item;
  }

  function failuresBlock(run) {
    var details = el("details", { "class": "failures", "data-run-id": run.id });
    var count = (run.counts.failed || 0) + (run.counts.notMigratable || 0);
    details.appendChild(el("summary", { text: "Failed and not-migratable conversations (" + nf.format(count) + ")" }));
    var list = el("ul");
    details.appendChild(list);
    var known = state.failures[run.id];
    if (known) fillFailures(list, known);
    if (state.openFailures[run.id]) details.open = true;
    details.addEventListener("toggle", function () {
      state.openFailures[run.id] = details.open;
      if (details.open) loadFailures(run.id, list);
    });
    return details;
  }

  function fillFailures(list, failures) {
    clear(list);
    if (!failures.length) { list.appendChild(el("li", { text: "None recorded yet (skipped conversations were already done or leased)." })); return; }
    failures.forEach(function (f) {
      list.appendChild(el("li", { "data-conversation-sid": f.conversationSid },
        el("span", { "class": "conv-name", text: f.friendlyName || "(no name)" }), " ",
        el("code", { "class": "sid", text: f.conversationSid }), " ",
        el("span", { "class": "badge failed", text: f.status === "not_migratable" ? "not migratable" : f.status }),
        el("div", { "class": "reason", text: f.reason || "no reason recorded" })));
    });
  }

  function loadFailures(runId, list) {
    api("GET", "migrations/" + encodeURIComponent(runId)).then(function (run) {
      var tag = function (status) { return function (f) { return Object.assign({ status: status }, f); }; };
      var failures = ((run && run.failures) || []).map(tag("failed"))
        .concat(((run && run.notMigratable) || []).map(tag("not_migratable")));
      state.failures[runId] = failures;
      fillFailures(list, failures);
    }).catch(function (error) { notify(error.message, true); });
  }

  function renderRuns(runs) {
    var list = $("run-list");
    if (!runs.length) {
      clear(list);
      list.appendChild(el("li", { "class": "card", text: "No runs yet. Check a plan below, then start a run." }));
      return;
    }
    var seen = {};
    runs.forEach(function (run, index) {
      seen[run.id] = true;
      var signature = JSON.stringify(run);
      var existing = document.getElementById("run-" + run.id);
      if (!existing || state.runs[run.id] !== signature) {
        var focused = existing && existing.contains(document.activeElement);
        var fresh = runItem(run);
        if (existing) list.replaceChild(fresh, existing); else list.appendChild(fresh);
        if (focused) { var summary = fresh.querySelector("summary"); if (summary) summary.focus(); }
        state.runs[run.id] = signature;
        if (state.openFailures[run.id]) loadFailures(run.id, fresh.querySelector(".failures ul"));
      }
      var node = document.getElementById("run-" + run.id);
      if (list.children[index] !== node) list.insertBefore(node, list.children[index] || null);
    });
    Array.prototype.slice.call(list.children).forEach(function (child) {
      var runId = child.getAttribute("data-run-id");
      if (!runId || !seen[runId]) list.removeChild(child);
    });
    var active = runs.filter(function (r) { return !FINISHED[r.status]; }).length;
    $("tile-active").textContent = nf.format(active);
    $("tile-messages").textContent = nf.format((runs[0].counts || {}).messages || 0);
  }

  // ---------------------------------------------------------------- start a run
  function sids(value) {
    return value.split(/[\s,;]+/).map(function (s) { return s.trim(); }).filter(Boolean);
  }
  function requestFromForm() {
    var body = {};
    var services = sids($("f-services").value), conversations = sids($("f-conversations").value);
    if (services.length) body.services = services;
    if (conversations.length) body.conversations = conversations;
    if ($("f-since").value) body.since = $("f-since").value;
    if ($("f-legacy").checked) body.includeLegacyPublicChannels = true;
    // The archive cutoff (docs/archive.md); both at once is refused by the API with a message naming them.
    if ($("f-archive-before").value) body.archiveBefore = $("f-archive-before").value;
    if ($("f-archive-keep").value !== "") body.archiveKeepNewest = Number($("f-archive-keep").value);
    return body;
  }

  function showPlan(run) {
    var box = $("plan");
    clear(box);
    var c = run.counts || {};
    if (!FINISHED[run.status]) { box.appendChild(el("p", { text: "Planning… " + nf.format(c.planned || 0) + " conversations counted so far." })); return; }
    if (run.status !== "succeeded") { box.appendChild(el("p", { "class": "meta", text: "The dry run failed: " + (run.error || run.status) })); return; }
    box.appendChild(el("h3", { text: "The plan" }));
    box.appendChild(el("dl", {},
      el("dt", { text: "Conversations" }), el("dd", { id: "plan-conversations", text: nf.format(c.planned || 0) }),
      el("dt", { text: "Messages (at most)" }), el("dd", { id: "plan-messages", text: nf.format(c.plannedMessages || 0) }),
      el("dt", { text: "Minimum duration under ACS limits" }),
      el("dd", { id: "plan-minimum", text: typeof run.minimumSeconds === "number" ? duration(run.minimumSeconds) : "unknown" })));
    box.appendChild(el("p", { "class": "meta", text: "Nothing was written. Start this run to copy it." }));
  }

  function pollPlan(runId) {
    api("GET", "migrations/" + encodeURIComponent(runId)).then(function (run) {
      showPlan(run);
      if (!FINISHED[run.status]) { window.setTimeout(function () { pollPlan(runId); }, 700); return; }
      $("plan-btn").disabled = false;
      $("start-btn").disabled = run.status !== "succeeded";
      if (run.status === "succeeded") $("start-btn").focus();
    }).catch(function (error) { $("plan-btn").disabled = false; notify(error.message, true); });
  }

  function onPlan(event) {
    event.preventDefault();
    var body = requestFromForm();
    state.plan = body;
    $("plan-btn").disabled = true;
    $("start-btn").disabled = true;
    clear($("plan"));
    $("plan").appendChild(el("p", { text: "Planning… (a dry run reads Twilio and writes nothing)" }));
    var dry = Object.assign({}, body, { dryRun: true });
    api("POST", "migrations", dry).then(function (run) { pollPlan(run.id); refresh(); })
      .catch(function (error) { $("plan-btn").disabled = false; clear($("plan")); notify(error.message, true); });
  }

  function onStart() {
    if (!state.plan) return;
    $("start-btn").disabled = true;
    api("POST", "migrations", state.plan).then(function (run) {
      notify("Run " + run.id + " started.");
      clear($("plan"));
      state.plan = null;
      refresh();
      var runs = $("runs");
      runs.focus();
    }).catch(function (error) { $("start-btn").disabled = false; notify(error.message, true); });
  }

  // ---------------------------------------------------------------- dead letters
  function replay(body, what) {
    api("POST", "deliveries/replay", body).then(function (answer) {
      notify("Replayed " + nf.format(answer.replayed) + " " + what + "; " + (answer.replayed === 1 ? "it is" : "they are") + " back on the delivery queue.");
      refresh();
    }).catch(function (error) { notify(error.message, true); });
  }

  function renderDead(letters) {
    var body = $("dead-table").tBodies[0];
    clear(body);
    $("tile-dead").textContent = nf.format(letters.length);
    $("replay-all").disabled = !letters.length;
    if (!letters.length) { body.appendChild(el("tr", {}, el("td", { colspan: 7, "class": "empty", text: "No dead letters. Every delivery got through." }))); return; }
    letters.forEach(function (letter) {
      body.appendChild(el("tr", { "data-delivery-id": letter.deliveryId },
        el("td", { text: when(letter.failedAt) }),
        el("td", {}, el("code", { text: letter.subscriptionId })),
        el("td", { text: letter.eventType }),
        el("td", { text: nf.format(letter.attempts) }),
        el("td", { text: letter.lastStatus === null || letter.lastStatus === undefined ? (letter.lastError || "no answer") : String(letter.lastStatus) }),
        el("td", { "class": "excerpt", text: letter.bodyExcerpt || letter.lastError || "" }),
        el("td", {}, el("div", { "class": "row-actions" },
          el("button", { type: "button", "aria-label": "Replay delivery " + letter.deliveryId, text: "Replay",
            onclick: function () { replay({ deliveryIds: [letter.deliveryId] }, "delivery"); } }),
          el("button", { type: "button", "aria-label": "Replay every dead letter of subscription " + letter.subscriptionId, text: "Replay subscription",
            onclick: function () { replay({ subscriptionId: letter.subscriptionId }, "deliveries of the subscription"); } })))));
    });
  }

  // ---------------------------------------------------------------- subscriptions
  function renderSubs(subs) {
    var body = $("sub-table").tBodies[0];
    clear(body);
    $("tile-subs").textContent = nf.format(subs.filter(function (s) { return s.enabled; }).length);
    if (!subs.length) { body.appendChild(el("tr", {}, el("td", { colspan: 5, "class": "empty", text: "No subscriptions yet." }))); return; }
    subs.forEach(function (sub) {
      var remove = el("button", { type: "button", "class": "danger", text: "Delete", "aria-label": "Delete subscription " + sub.url });
      remove.addEventListener("click", function () {
        if (remove.getAttribute("data-armed") !== "yes") {
          remove.setAttribute("data-armed", "yes");
          remove.textContent = "Confirm delete";
          remove.setAttribute("aria-label", "Confirm: delete subscription " + sub.url);
          return;
        }
        api("DELETE", "subscriptions/" + encodeURIComponent(sub.id)).then(function () {
          notify("Deleted the subscription to " + sub.url + ".");
          refresh();
        }).catch(function (error) { notify(error.message, true); });
      });
      var toggle = el("button", { type: "button", text: sub.enabled ? "Disable" : "Enable",
        "aria-label": (sub.enabled ? "Disable" : "Enable") + " subscription " + sub.url,
        onclick: function () {
          api("PATCH", "subscriptions/" + encodeURIComponent(sub.id), { enabled: !sub.enabled }).then(function () {
            notify((sub.enabled ? "Disabled" : "Enabled") + " the subscription to " + sub.url + ".");
            refresh();
          }).catch(function (error) { notify(error.message, true); });
        } });
      body.appendChild(el("tr", { "data-subscription-id": sub.id },
        el("td", {}, el("code", { text: sub.url })),
        el("td", { text: sub.format }),
        el("td", { text: sub.eventTypes.length ? sub.eventTypes.join(", ") : "all" }),
        el("td", {}, el("span", { "class": sub.enabled ? "state-on" : "state-off", text: sub.enabled ? "enabled" : "disabled" }),
          sub.disabledReason ? el("div", { "class": "meta", text: sub.disabledReason }) : null),
        el("td", {}, el("div", { "class": "row-actions" }, toggle, remove))));
    });
  }

  function onAddSub(event) {
    event.preventDefault();
    var types = $("s-types").value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
    var body = { url: $("s-url").value.trim(), format: $("s-format").value, secret: $("s-secret").value,
      eventTypes: types, includeMigrated: $("s-migrated").checked };
    api("POST", "subscriptions", body).then(function (sub) {
      $("s-secret").value = "";
      $("s-url").value = "";
      notify("Added a subscription to " + sub.url + ".");
      refresh();
    }).catch(function (error) { notify(error.message, true); });
  }

  // ---------------------------------------------------------------- configuration check (doctor)
  var CHECK_LABELS = { pass: "pass", warn: "warning", fail: "fail", skip: "skipped" };
  function onDoctor() {
    var button = $("doctor-btn"), list = $("doctor-list");
    button.disabled = true;
    clear(list);
    list.appendChild(el("li", { text: "Checking…" }));
    api("GET", "health/deep").then(function (report) {
      clear(list);
      (report.checks || []).forEach(function (check) {
        list.appendChild(el("li", { "class": "check " + check.status, "data-check": check.name },
          el("span", { "class": "badge " + check.status, text: CHECK_LABELS[check.status] || check.status }), " ",
          el("b", { text: check.name }), " ", el("span", { text: check.message })));
      });
      notify(report.status === "pass" ? "The configuration check passed." : "The configuration check found problems: see the list.",
        report.status !== "pass");
    }).catch(function (error) { clear(list); notify(error.message, true); })
      .then(function () { button.disabled = false; });
  }

  // ---------------------------------------------------------------- refresh loop
  function refresh() {
    if (state.busy) return Promise.resolve();
    state.busy = true;
    return Promise.all([
      api("GET", "migrations?limit=20").then(function (data) { renderRuns(data.runs || []); }),
      api("GET", "deliveries/dead?limit=200").then(function (data) { renderDead(data.value || []); }),
      api("GET", "subscriptions").then(function (data) { renderSubs(data.value || []); }),
    ]).then(function () {
      $("refreshed").textContent = "Updated " + new Date().toLocaleTimeString();
    }).catch(function (error) {
      $("refreshed").textContent = "Not updated";
      notify(error.message, true);
    }).then(function () { state.busy = false; });
  }

  function schedule() {
    window.clearTimeout(state.timer);
    if (!state.paused) state.timer = window.setTimeout(function () { refresh().then(schedule); }, REFRESH_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("run-form").addEventListener("submit", onPlan);
    $("start-btn").addEventListener("click", onStart);
    $("sub-form").addEventListener("submit", onAddSub);
    $("doctor-btn").addEventListener("click", onDoctor);
    $("replay-all").addEventListener("click", function () { replay({ all: true }, "dead letters"); });
    $("pause").addEventListener("click", function () {
      state.paused = !state.paused;
      this.setAttribute("aria-pressed", String(state.paused));
      this.textContent = state.paused ? "Resume refresh" : "Pause refresh";
      if (!state.paused) refresh();
      schedule();
    });
    if (!KEY) notify("Open the console as /api/console?code=<function key> (the key is kept for this tab only).", true);
    refresh().then(schedule);
  });
})();
