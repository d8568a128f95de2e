// minichain testnet dashboard: renders the snapshots the launcher's dashboard server pushes on /events.
// Libraries: cytoscape (peer graph, block tree) and uPlot (chart), served from their npm packages.
/* global cytoscape, uPlot */
'use strict';

// Sides of a split (halo in the graph, colour of the side column); more than four sides reuse them.
const SIDES = ['#4fa3ff', '#e060d0', '#5fd68a', '#f2c14e'];
const COLORS = { alive: '#3fae6a', dead: '#4a4f57', 'no-answer': '#e0a040', starting: '#7a8794' };
const $ = (sel) => document.querySelector(sel);
const short = (h) => (h ? esc(String(h).slice(0, 8)) : '-');
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

const graph = cytoscape({
  container: $('#graph'),
  minZoom: 0.3,
  maxZoom: 2,
  style: [
    { selector: 'node', style: { 'background-color': 'data(color)', label: 'data(label)', color: '#d8dee6', 'font-size': 11, 'text-wrap': 'wrap', 'text-valign': 'bottom', 'text-margin-y': 4, width: 30, height: 30, 'border-width': 0 } },
    { selector: 'node', style: { 'underlay-color': 'data(sideColor)', 'underlay-opacity': 'data(sideOpacity)', 'underlay-padding': 9, 'underlay-shape': 'ellipse' } },
    { selector: 'node[?seed]', style: { shape: 'diamond', width: 36, height: 36 } },
    { selector: 'node[?miner]', style: { 'border-width': 4, 'border-color': '#f2c14e' } },
    { selector: 'edge', style: { width: 2, 'line-color': '#5a7fa8', 'target-arrow-color': '#5a7fa8', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier', label: 'data(label)', 'font-size': 9, color: '#9fb0c2', 'text-background-color': '#151c24', 'text-background-opacity': 1 } },
  ],
  elements: [],
});

const tree = cytoscape({
  container: $('#tree'),
  minZoom: 0.2,
  maxZoom: 1.4,
  autoungrabify: true,
  style: [
    { selector: 'node', style: { shape: 'round-rectangle', width: 28, height: 20, 'background-color': '#3b78c2', label: 'data(label)', color: '#d8dee6', 'font-size': 12, 'text-wrap': 'wrap', 'text-valign': 'bottom', 'text-margin-y': 3 } },
    { selector: 'node[!main]', style: { 'background-color': '#e08a30' } },
    { selector: 'node[?tip]', style: { 'border-width': 3, 'border-color': '#ffffff' } },
    { selector: 'edge', style: { width: 2, 'line-color': '#4b5b6c', 'curve-style': 'taxi', 'taxi-direction': 'horizontal' } },
  ],
  elements: [],
});

let chart;
function renderChart(series) {
  const data = [series.map((p) => p.height), series.map((p) => p.blockTimeS), series.map((p) => p.txPerS)];
  if (!chart) {
    const el = $('#chart');
    chart = new uPlot(
      {
        width: Math.max(300, el.clientWidth - 10),
        height: 220,
        scales: { x: { time: false }, s: {}, tps: {} },
        axes: [
          { stroke: '#9fb0c2', label: 'height', grid: { stroke: '#222c36' } },
          { scale: 's', stroke: '#9fb0c2', label: 'block time (s)', grid: { stroke: '#222c36' } },
          { scale: 'tps', side: 1, stroke: '#9fb0c2', label: 'tx/s', grid: { show: false } },
        ],
        series: [{ label: 'height' }, { label: 'block time s', scale: 's', stroke: '#5a9fe0', width: 2 }, { label: 'tx/s', scale: 'tps', stroke: '#f2c14e', width: 2 }],
      },
      data,
      el,
    );
  } else chart.setData(data);
}

let graphShape = '';
function renderGraph(s) {
  const want = new Set();
  for (const n of s.nodes) {
    const id = 'n' + n.index;
    want.add(id);
    const side = sideOf(s, n.index);
    const data = { id, label: `node${n.index}\nh ${n.height ?? '-'}`, color: COLORS[n.state] || '#888', state: n.state, seed: n.seed, miner: n.miner, index: n.index, side, sideColor: side < 0 ? '#000' : SIDES[side % SIDES.length], sideOpacity: side < 0 ? 0 : 0.5 };
    const el = graph.getElementById(id);
    if (el.nonempty()) el.data(data);
    else graph.add({ group: 'nodes', data });
  }
  for (const e of s.edges) {
    const id = 'e' + e.id;
    want.add(id);
    const data = { id, source: 'n' + e.from, target: 'n' + e.to, label: e.latencyMs === null ? '' : `${e.latencyMs} ms` };
    const el = graph.getElementById(id);
    if (el.nonempty()) el.data('label', data.label);
    else graph.add({ group: 'edges', data });
  }
  graph.elements().filter((el) => !want.has(el.id())).remove();
  const shape = [...want].sort().join(',');
  if (shape !== graphShape) {
    graphShape = shape;
    graph.layout({ name: 'cose', animate: false, randomize: false, nodeRepulsion: () => 40000, idealEdgeLength: () => 90, padding: 30 }).run();
  }
}

function renderTree(s) {
  if (s.blocks.length === 0) return;
  const low = s.blocks[0].height;
  const byHash = new Map(s.blocks.map((b) => [b.hash, b]));
  const lane = new Map();
  const taken = new Set();
  let lanes = 0;
  for (const b of s.blocks) {
    if (b.main) lane.set(b.hash, 0);
    else if (lane.has(b.prev) && lane.get(b.prev) > 0 && !taken.has(b.prev)) lane.set(b.hash, lane.get(b.prev));
    else lane.set(b.hash, ++lanes);
    taken.add(b.prev);
  }
  const els = [];
  for (const b of s.blocks) {
    // Heights every 5 blocks, on side branches and at tips; under a tip, the nodes sitting on it.
    const tips = b.tips.length ? '\n' + b.tips.map((i) => 'n' + i).join(' ') : '';
    const label = b.height % 5 === 0 || !b.main || tips ? `${b.height}${tips}` : '';
    els.push({ group: 'nodes', data: { id: b.hash, label, main: b.main, tip: b.tips.length > 0, height: b.height }, position: { x: (b.height - low) * 46, y: lane.get(b.hash) * 56 } });
    if (byHash.has(b.prev)) els.push({ group: 'edges', data: { id: 'p' + b.hash, source: b.prev, target: b.hash } });
  }
  tree.batch(() => {
    tree.elements().remove();
    tree.add(els);
  });
  // Follow the newest 25 heights unless the user panned or zoomed in the last 15 s.
  if (Date.now() - treeTouched > 15_000) {
    const top = s.blocks[s.blocks.length - 1].height;
    tree.fit(tree.nodes().filter((n) => n.data('height') > top - 25), 24);
  }
}
let treeTouched = 0;
for (const ev of ['wheel', 'mousedown', 'touchstart']) $('#tree').addEventListener(ev, () => (treeTouched = Date.now()), { passive: true });

function renderNodes(s) {
  const rows = s.nodes.map((n) => {
    const btn = s.controls ? (n.state === 'dead' ? `<button data-act="start" data-i="${n.index}">start</button>` : `<button data-act="stop" data-i="${n.index}">stop</button>`) : '';
    const name = `node${n.index}${n.seed ? ' ◆' : ''}${n.miner ? ' (miner)' : ''}`;
    const side = sideOf(s, n.index);
    const sideCell = side < 0 ? '<td class="side"></td>' : `<td class="side" style="color:${SIDES[side % SIDES.length]}">${'ABCDEFGH'[side] ?? side}</td>`;
    return `<tr class="${n.state}" data-index="${n.index}" data-state="${n.state}" data-side="${side}">${sideCell}<td>${name}</td><td class="state-${n.state}">${n.state}</td><td class="height">${esc(n.height ?? '-')}</td><td class="mono">${short(n.tip)}</td><td>${esc(n.peers ?? '-')}</td><td>${esc(n.mempool ?? '-')}</td><td>${n.syncing === null ? '-' : n.syncing ? 'syncing' : 'ok'}</td><td>${esc(n.bans ?? '-')}</td><td>${btn}</td></tr>`;
  });
  $('#nodes tbody').innerHTML = rows.join('');
  $('#spread thead').innerHTML = `<tr><th>block</th>${s.nodes.map((n) => `<th>n${n.index}</th>`).join('')}</tr>`;
  $('#spread tbody').innerHTML = s.spread
    .slice()
    .reverse()
    .map((b) => `<tr><td class="mono">${esc(b.height)} ${esc(b.hash.slice(0, 6))}</td>${b.delays.map((d) => `<td>${d === null ? '…' : esc(d)}</td>`).join('')}</tr>`)
    .join('');
  $('#events').innerHTML = s.events.map((e) => `<li class="${e.kind}">${new Date(e.at).toLocaleTimeString()} ${esc(e.text)}</li>`).join('');
  const alive = s.nodes.filter((n) => n.state === 'alive').length;
  const best = Math.max(-1, ...s.nodes.map((n) => n.height ?? -1));
  $('#summary').textContent = `${alive}/${s.nodes.length} nodes alive · ${s.edges.length} connections · best height ${best < 0 ? '-' : best}`;
}

// ---- split / heal: the sides as "1,2 | 3,4"; POST /api/split or /api/heal (each node's setPeerFilter) ----
function sideOf(s, index) {
  return s.partition ? s.partition.findIndex((g) => g.includes(index)) : -1;
}
const parseGroups = (text) => text.split('|').map((g) => g.split(/[\s,]+/).filter(Boolean).map(Number));
const formatGroups = (groups) => groups.map((g) => g.join(',')).join(' | ');
let groupsTouched = false;
function renderPartition(s) {
  $('#partition-bar').hidden = !s.controls;
  const input = $('#groups');
  // Default: first half | second half, until the user edits the sides.
  if (!groupsTouched && document.activeElement !== input) {
    const ids = s.nodes.map((n) => n.index);
    const half = Math.ceil(ids.length / 2);
    input.value = s.partition ? formatGroups(s.partition) : formatGroups([ids.slice(0, half), ids.slice(half)]);
  }
  const st = $('#partition-state');
  st.textContent = s.partition ? `split: ${formatGroups(s.partition)}` : 'network whole';
  st.className = s.partition ? 'split' : '';
}
$('#groups').addEventListener('input', () => (groupsTouched = true));
graph.on('tap', 'node', (ev) => {
  // Moves the tapped node to the next side (with two sides: to the other one).
  const i = ev.target.data('index');
  const groups = parseGroups($('#groups').value);
  if (groups.length < 2) return;
  const from = groups.findIndex((g) => g.includes(i));
  if (from >= 0) groups[from] = groups[from].filter((x) => x !== i);
  groups[(from + 1) % groups.length].push(i);
  for (const g of groups) g.sort((a, b) => a - b);
  $('#groups').value = formatGroups(groups);
  groupsTouched = true;
});
function post(path, body) {
  const init = body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  return fetch(path, init)
    .then((r) => r.json())
    .then((r) => { $('#notice').textContent = r.message; })
    .catch((e) => { $('#notice').textContent = String(e); });
}
$('#split').addEventListener('click', () => {
  const groups = parseGroups($('#groups').value).filter((g) => g.length > 0);
  groupsTouched = false;
  void post('/api/split', { groups });
});
$('#heal').addEventListener('click', () => void post('/api/heal'));

$('#nodes').addEventListener('click', (ev) => {
  const b = ev.target.closest('button[data-act]');
  if (!b) return;
  b.disabled = true;
  fetch(`/api/nodes/${b.dataset.i}/${b.dataset.act}`, { method: 'POST' })
    .then((r) => r.json())
    .then((r) => { $('#notice').textContent = r.message; })
    .catch((e) => { $('#notice').textContent = String(e); });
});

const dashboard = { snapshot: null, updates: 0, graph, tree };
window.dashboard = dashboard;

function render(s) {
  dashboard.snapshot = s;
  dashboard.updates++;
  renderGraph(s);
  renderTree(s);
  renderNodes(s);
  renderPartition(s);
  renderChart(s.series);
  const st = $('#status');
  st.textContent = `live · ${new Date(s.at).toLocaleTimeString()}`;
  st.className = 'status live';
}

const events = new EventSource('/events');
events.onmessage = (m) => render(JSON.parse(m.data));
events.onerror = () => {
  const st = $('#status');
  st.textContent = 'reconnecting…';
  st.className = 'status';
};
