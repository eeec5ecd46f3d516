/* City operations screen: panels from /api/v1/dashboard/summary, the H3 heat map from
 * /api/v1/insight/heatmap (GeoJSON hexagons drawn on the city/district GeoJSON; no tiles).
 * Polls every data-poll-ms. Each chart sets data-rendered="1" on its container when ECharts
 * reports `finished`, which the browser test waits for. */
(function () {
  "use strict";
  const root = document.getElementById("screen");
  if (!root) return;
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const API = root.dataset.insight;
  const charts = {};
  let mapName = null;
  let lastHeat = null;

  const $ = (id) => document.getElementById(id);
  const params = () => {
    const p = new URLSearchParams();
    const d = $("f-district").value || root.dataset.district;
    if (d) p.set("district", d);
    p.set("layer", $("f-layer").value);
    p.set("window", $("f-window").value);
    p.set("resolution", $("f-res").value);
    if ($("f-operator").value) p.set("operator", $("f-operator").value);
    if ($("f-window").value === "hour") p.set("hour", $("f-hour").value);
    return p;
  };
  const getJSON = async (url) => {
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.detail || r.statusText);
    return body;
  };

  function chart(id) {
    if (!charts[id]) {
      const el = $(id);
      const c = echarts.init(el, "dark", { renderer: "canvas" });
      c.on("finished", () => { el.dataset.rendered = "1"; });
      charts[id] = c;
    }
    return charts[id];
  }
  function absent(id, reason) {
    const el = $(id);
    if (charts[id]) { charts[id].dispose(); delete charts[id]; }
    el.innerHTML = `<p class="absent">${T.absent}：${reason || ""}</p>`;
    el.dataset.absent = "1";
  }
  const base = { backgroundColor: "transparent", animation: false, textStyle: { fontFamily: "Noto Sans CJK SC, sans-serif" } };

  function bar(id, rows, horizontal) {
    const c = chart(id);
    const cat = { type: "category", data: rows.map((r) => r.label), axisLabel: { interval: 0, fontSize: 10 } };
    const val = { type: "value", minInterval: 1 };
    c.setOption({ ...base, grid: { left: horizontal ? 90 : 36, right: 10, top: 10, bottom: 24 },
      tooltip: {}, xAxis: horizontal ? val : cat, yAxis: horizontal ? cat : val,
      series: [{ type: "bar", data: rows.map((r) => r.n), itemStyle: { color: "#3fa7ff" } }] }, true);
  }
  function kpis(id, items) {
    $(id).innerHTML = items.map(([label, value]) =>
      `<div class="kpi"><b>${value === null || value === undefined ? "—" : value}</b><span>${label}</span></div>`).join("");
  }

  function renderPanels(p) {
    const b = p.bikes;
    if (!b.available) absent("c-bikes", b.reason);
    else chart("c-bikes").setOption({ ...base, tooltip: { trigger: "axis" }, legend: { top: 0, textStyle: { fontSize: 10 } },
      grid: { left: 40, right: 10, top: 28, bottom: 24 },
      xAxis: { type: "category", data: b.operators }, yAxis: { type: "value" },
      series: b.series.map((s) => ({ name: s.state, type: "bar", stack: "all", data: s.counts })) }, true);

    const n = p.notices;
    if (!n.available) { kpis("k-notices", []); absent("c-notices", n.reason); }
    else {
      kpis("k-notices", [[T.open, n.open], [T.overdue, n.overdue], [T.fixed, n.fixed],
        [T.rate, n.rectification_rate === null ? null : (n.rectification_rate * 100).toFixed(1) + "%"],
        [T.median, n.median_fix_minutes]]);
      bar("c-notices", n.by_status, true);
    }
    const cp = p.complaints;
    if (!cp.available) absent("c-complaints", cp.reason); else bar("c-complaints", cp.by_stage, true);
    const cs = p.cases;
    if (!cs.available) absent("c-cases", cs.reason); else bar("c-cases", cs.by_stage, true);
    const t = p.enforcement_today;
    kpis("k-today", [["education", T.education], ["warning", T.warning], ["penalty", T.penalty]].map(([k, label]) =>
      [label, t[k].available ? t[k].n : `<small class="absent">${T.absent}</small>`]));
    const m = p.merchants;
    if (!m.available) absent("c-merchants", m.reason);
    else {
      const rows = m.by_level.concat(m.unrated ? [{ label: T.unrated, n: m.unrated }] : []);
      chart("c-merchants").setOption({ ...base, tooltip: {}, series: [{ type: "pie", radius: ["35%", "70%"],
        data: rows.map((r) => ({ name: r.label, value: r.n })), label: { fontSize: 11 } }] }, true);
    }
    const tr = p.trends;
    chart("c-trends").setOption({ ...base, tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 40, right: 20, top: 28, bottom: 24 },
      xAxis: { type: "category", data: tr.days.map((d) => d.slice(5)) }, yAxis: { type: "value" },
      series: tr.series.map((s) => ({ name: s.label, type: "line", smooth: true, data: s.data })) }, true);
    $("card-trends").querySelector("h2").title = tr.absent.map((a) => `${a.label}: ${a.reason}`).join("\n");
  }

  async function ensureMap(district) {
    const name = "nx-city-" + (district || "all");
    if (mapName === name) return name;
    const geo = await getJSON(`${API}/boundaries${district ? "?district=" + district : ""}`);
    echarts.registerMap(name, geo);
    mapName = name;
    return name;
  }

  async function renderMap() {
    const p = params();
    const name = await ensureMap(p.get("district"));
    const gp = new URLSearchParams(p); gp.set("format", "geojson");
    const [heat, supply, moves] = await Promise.all([
      getJSON(`${API}/heatmap?${gp}`),
      getJSON(`${API}/spots/supply?${new URLSearchParams({ ...(p.get("district") ? { district: p.get("district") } : {}), ...(p.get("operator") ? { operator: p.get("operator") } : {}) })}`).catch((e) => ({ available: false, reason: e.message, spots: [] })),
      $("f-moves").checked ? getJSON(`${API}/rebalance/plans?limit=8${p.get("operator") ? "&operator=" + p.get("operator") : ""}`).catch(() => ({ plans: [] })) : Promise.resolve({ plans: [] }),
    ]);
    lastHeat = heat;
    const props = heat.properties || {};
    $("map-title").textContent = `${props.layer_label || ""} · H3 r${props.resolution}`;
    const feats = heat.features || [];
    const maxV = Math.max(1, ...feats.map((f) => f.properties.value));
    const spots = supply.spots || [];
    const colour = { oversupply: "#ff5b5b", shortage: "#ffd36e", ok: "#4cd964", unknown: "#aaa" };
    const lines = [];
    (moves.plans || []).forEach((pl) => pl.moves.forEach((mv) => lines.push({ coords: [mv.from, mv.to], value: mv.bikes, plan: pl.id })));
    $("map-note").textContent = props.available === false ? `${T.absent}：${props.reason}` :
      `${props.total} · ${feats.length} H3 · ${T.spots} ${spots.length}` + (lines.length ? ` · ${T.moves} ${lines.length}` : "");
    const c = chart("c-map");
    c.setOption({ ...base,
      tooltip: { formatter: (x) => x.seriesName === "heat" ? `${x.data.cell}<br>${x.data.value[0]}` :
        x.seriesName === "spots" ? `${x.data.name}<br>${x.data.parked}/${x.data.capacity}` : `${x.data.value}` },
      geo: { map: name, roam: true, itemStyle: { areaColor: "#10263d", borderColor: "#3d7ab8", borderWidth: 1 },
        emphasis: { disabled: true }, label: { show: true, color: "#6f8ea9", fontSize: 11 } },
      visualMap: { min: 0, max: maxV, seriesIndex: 0, dimension: 0, calculable: true, left: 10, bottom: 10,
        inRange: { color: ["#1e5aa8", "#3fa7ff", "#ffd36e", "#ff8c42", "#ff3b3b"] }, textStyle: { color: "#ccc" } },
      series: [
        { name: "heat", type: "custom", coordinateSystem: "geo", geoIndex: 0,
          data: feats.map((f, i) => ({ value: [f.properties.value, i], cell: f.properties.cell, ring: f.geometry.coordinates[0] })),
          renderItem: (params, api) => {
            const ring = feats[params.dataIndex].geometry.coordinates[0];
            return { type: "polygon", shape: { points: ring.map((pt) => api.coord(pt)) },
              style: { fill: api.visual("color"), opacity: 0.75, stroke: "#0b1a2b", lineWidth: 0.5 } };
          } },
        { name: "spots", type: "scatter", coordinateSystem: "geo", symbolSize: 4,
          data: spots.map((s) => ({ name: s.name, value: [s.lng, s.lat], parked: s.parked, capacity: s.capacity,
            itemStyle: { color: colour[s.status] } })) },
        { name: "moves", type: "lines", coordinateSystem: "geo", data: lines,
          lineStyle: { color: "#7fffd4", width: 1.5, opacity: 0.8, curveness: 0.2 },
          effect: { show: false }, symbol: ["none", "arrow"], symbolSize: 6 },
      ] }, true);
    const sum = supply.summary || {};
    if (supply.available === false) kpis("k-supply", [[T.absent, supply.reason]]);
    else kpis("k-supply", [[T.oversupply, sum.oversupply], [T.shortage, sum.shortage], [T.ok, sum.ok]]);
    $("a-png").href = `${API}/heatmap.png?${p}`;
  }

  function inRing([x, y], ring) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  async function drill(cell) {
    const p = params();
    const q = new URLSearchParams({ layer: p.get("layer"), window: p.get("window") });
    ["district", "operator", "hour"].forEach((k) => { if (p.get(k)) q.set(k, p.get(k)); });
    const data = await getJSON(`${API}/cells/${cell}/items?${q}`);
    $("drill").hidden = false;
    $("drill-title").textContent = `${cell} · ${data.count ?? 0} ${T.items}`;
    $("drill-list").innerHTML = data.available === false ? `<li class="absent">${data.reason}</li>` :
      (data.items.length ? data.items.map((it) => {
        const text = [it.label, it.operator, it.state || it.status, it.deadline].filter(Boolean).join(" · ");
        return `<li>${it.url ? `<a href="${it.url}" class="drill-link">${text}</a>` : text}</li>`;
      }).join("") : `<li>${T.none}</li>`);
  }

  async function refresh() {
    const d = $("f-district").value || root.dataset.district;
    try {
      const s = await getJSON(`${root.dataset.summary}${d ? "?district=" + d : ""}`);
      renderPanels(s.panels);
      await renderMap();
      $("updated").textContent = `${T.updated} ${new Date().toLocaleTimeString("zh-CN")}`;
      root.dataset.loaded = "1";
    } catch (e) {
      $("updated").textContent = e.message;
      root.dataset.error = e.message;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    ["f-district", "f-layer", "f-operator", "f-window", "f-res", "f-moves", "f-hour"].forEach((id) =>
      $(id).addEventListener("change", () => {
        $("l-hour").hidden = $("f-window").value !== "hour";
        if (id === "f-district") { mapName = null; refresh(); } else renderMap().catch((e) => { $("map-note").textContent = e.message; });
      }));
    $("b-png").addEventListener("click", () => {
      const a = document.createElement("a");
      a.href = chart("c-map").getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#0b1a2b" });
      a.download = "heatmap.png";
      a.click();
    });
    $("drill-close").addEventListener("click", () => { $("drill").hidden = true; });
    chart("c-map").on("click", (e) => {
      if (e.seriesName === "heat") drill(e.data.cell);
      else if (e.seriesName === "spots") {
        // A spot sits on top of its hexagon: drill into the cell that contains it.
        const f = (lastHeat && lastHeat.features || []).find((ft) => inRing(e.data.value, ft.geometry.coordinates[0]));
        if (f) drill(f.properties.cell);
      }
    });
    window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
    refresh();
    setInterval(refresh, Number(root.dataset.pollMs) || 20000);
  });
  window.nxScreen = { drill, refresh, charts, lastHeat: () => lastHeat };
})();
