// Stateful SDK web console. One module, no library: it reads the scheduler's own REST API
// (same origin) and follows one Server-Sent Events stream, GET /v1/events, read with fetch() so
// that the API token can travel as a header (EventSource cannot send one). Views are redrawn when
// an event says something changed; nothing polls.

const $ = (sel, root = document) => root.querySelector(sel);
const TOKEN_KEY = 'sdk-console-token';

// ---- DOM helper: h('li', {class: 'x', onclick: f}, child, 'text', [more]) ----------------------
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === undefined || kid === null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}
const badge = (status) => h('span', {class: `st st-${status}`, 'data-status': status}, status);

// ---- API access: token in sessionStorage, sent as a header; no cookies -------------------------
let tokenWaiters = null;
function askToken() {
  if (!tokenWaiters) {
    tokenWaiters = [];
    const dlg = $('#token');
    $('#token-input').value = '';
    dlg.showModal();
    dlg.addEventListener('close', () => {
      const t = $('#token-input').value.trim();
      if (t) sessionStorage.setItem(TOKEN_KEY, t);
      const ws = tokenWaiters;
      tokenWaiters = null;
      ws.forEach((w) => w());
    }, {once: true});
  }
  return new Promise((resolve) => tokenWaiters.push(resolve));
}
function headers(json) {
  const hd = {};
  const t = sessionStorage.getItem(TOKEN_KEY);
  if (t) hd.Authorization = `Bearer ${t}`;
  if (json) hd['Content-Type'] = 'application/json';
  return hd;
}
// fetch() with the token; a 401 asks for the token and tries again.
async function call(method, path, body, signal) {
  for (;;) {
    const init = {method, headers: headers(body !== undefined), signal, credentials: 'omit'};
    if (body !== undefined) init.body = JSON.stringify(body);
    const r = await fetch(path, init);
    if (r.status !== 401) return r;
    await askToken();
  }
}
// JSON of a GET, whatever its 2xx/4xx code (plan routes answer 202/417/503 with a plan body).
async function getJSON(path) {
  const r = await call('GET', path);
  const text = await r.text();
  try { return JSON.parse(text); } catch { throw new Error(`${path}: HTTP ${r.status}: ${text.slice(0, 200)}`); }
}
// A short sentence for an answer: its "message", a pod operation's tasks, or the text.
async function messageOf(r) {
  const text = await r.text();
  try {
    const j = JSON.parse(text);
    if (j.message) return j.message;
    if (j.pod && Array.isArray(j.tasks)) return `accepted for ${j.pod} (tasks ${j.tasks.join(', ')})`;
    return text;
  } catch { return text; }
}
// The answer to the operator's last action, until dismissed or replaced.
function banner(msg) {
  const b = $('#banner');
  b.replaceChildren(h('span', {}, msg || ''), ' ',
    h('button', {type: 'button', class: 'small', 'aria-label': 'Dismiss the message', onclick: () => banner('')}, 'Dismiss'));
  b.hidden = !msg;
}

// ---- confirmation dialog ----------------------------------------------------------------------
function confirmOp(text, danger) {
  const dlg = $('#confirm');
  $('#confirm-text').textContent = text;
  $('#confirm-yes').className = danger ? 'danger' : 'primary';
  dlg.returnValue = '';
  dlg.showModal();
  $('#confirm-no').focus();
  return new Promise((resolve) => dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), {once: true}));
}
async function operate(question, method, path, body, danger) {
  if (!(await confirmOp(question, danger))) return;
  const r = await call(method, path, body);
  if (r.ok || r.status === 208) banner(`${path}: ${await messageOf(r) || 'done'}`);
  else banner(`${path} failed (HTTP ${r.status}): ${await messageOf(r)}`);
  schedule('plans'); schedule('pods');
}

// ---- tabs (WAI-ARIA tabs pattern: arrow keys move between tabs) -------------------------------
const tabs = [...document.querySelectorAll('[role=tab]')];
function selectTab(tab, focus) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', on);
    t.tabIndex = on ? 0 : -1;
    document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (focus) tab.focus();
  const view = tab.id.slice(4);
  if (stale.delete(view)) schedule(view);
  history.replaceState(null, '', `#${view}`);
  if (view === 'config' && !configLoaded) loadConfig();
}
tabs.forEach((t, i) => {
  t.addEventListener('click', () => selectTab(t));
  t.addEventListener('keydown', (e) => {
    const d = {ArrowRight: 1, ArrowLeft: -1}[e.key];
    if (d) selectTab(tabs[(i + d + tabs.length) % tabs.length], true);
    if (e.key === 'Home') selectTab(tabs[0], true);
    if (e.key === 'End') selectTab(tabs[tabs.length - 1], true);
  });
});

// ---- redraws, coalesced: many events in a burst give one fetch per view ------------------------
const pending = new Map();
const drawers = {overview: drawOverview, plans: drawPlans, pods: drawPods, events: drawEvents};
// The pod view costs a request per pod instance: while hidden it is only marked stale, and drawn
// when its tab is selected.
const stale = new Set();
function schedule(what) {
  if (what === 'pods' && $('#view-pods').hidden) { stale.add(what); return; }
  if (pending.has(what)) return;
  pending.set(what, setTimeout(async () => {
    pending.delete(what);
    try { await drawers[what](); } catch (e) { banner(`Cannot show ${what}: ${e.message}`); }
  }, 120));
}

// ---- overview ---------------------------------------------------------------------------------
// /v1/health answers with its code (dcos-commons: 200 healthy, 202 deploying or recovering,
// 417 errors); the word shown says it, the colour repeats it.
const HEALTH = {200: 'HEALTHY', 202: 'DEPLOYING', 417: 'UNHEALTHY'};
async function drawOverview() {
  const [o, healthR] = await Promise.all([getJSON('/v1/console/overview'), call('GET', '/v1/health?verbose=true')]);
  let reasons = [];
  try {
    const hj = JSON.parse(await healthR.text());
    reasons = (Array.isArray(hj.reasons) ? hj.reasons : []).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
  } catch { /* the code alone */ }
  const health = h('span', {}, badge(HEALTH[healthR.status] || 'ERROR'), ` HTTP ${healthR.status}`,
    reasons.length ? h('ul', {class: 'plain'}, reasons.map((r) => h('li', {}, r))) : null);
  $('#svc-name').textContent = o.service;
  document.title = `${o.service} - Stateful SDK console`;
  const rows = [
    ['Service', o.service], ['Framework ID', o.framework_id || 'not registered yet'],
    ['Mesos master', o.master || 'unknown'], ['State backend', o.state || 'unknown'],
    ['Health', health],
    ['Plugin', o.plugin ? `${o.plugin.name} ${o.plugin.version} (built for ABI ${o.plugin.abi})` : 'none (--spec)'],
    ['SDK plugin ABI', o.abi],
  ];
  $('#overview').replaceChildren(...rows.flatMap(([k, v]) =>
    [h('dt', {}, k), h('dd', {'data-fact': k}, v)]));
  $('#overview-plans').replaceChildren(...plans.map((p) =>
    h('li', {}, h('a', {href: '#plans', onclick: () => selectTab($('#tab-plans'))}, p.name), ' ', badge(p.status))));
}

// ---- plans ------------------------------------------------------------------------------------
let plans = []; // [{name, status, body}]
async function drawPlans() {
  const names = await getJSON('/v1/plans');
  plans = await Promise.all(names.map(async (name) => ({name, body: await getJSON(`/v1/plans/${encodeURIComponent(name)}`)})));
  plans.forEach((p) => { p.status = p.body.status || 'UNKNOWN'; });
  const open = new Set([...document.querySelectorAll('#plans details[open]')].map((d) => d.dataset.plan));
  const first = !$('#plans').childElementCount;
  $('#plans').replaceChildren(...plans.map((p) => planTree(p, first ? p.name === 'deploy' || p.status === 'IN_PROGRESS' : open.has(p.name))));
  const dep = plans.find((p) => p.name === 'deploy');
  if (dep && !$('#config-progress').hidden) $('#progress-plan').replaceChildren(planTree(dep, true, true));
  schedule('overview');
}
function planOp(plan, op, label, q, danger) {
  const path = `/v1/plans/${encodeURIComponent(plan)}/${op}${q ? `?${new URLSearchParams(q)}` : ''}`;
  const what = q && q.step ? `step ${q.step} of plan ${plan}` : q && q.phase ? `phase ${q.phase} of plan ${plan}` : `plan ${plan}`;
  return h('button', {type: 'button', class: 'small', 'data-op': op,
    onclick: () => operate(`${label} ${what}?`, 'POST', path, undefined, danger)}, label);
}
function planTree(p, open, readOnly) {
  const b = p.body;
  const ops = readOnly ? null : h('div', {class: 'ops', role: 'group', 'aria-label': `Plan ${p.name} controls`},
    planOp(p.name, 'start', 'Start'), planOp(p.name, 'stop', 'Stop', null, true),
    planOp(p.name, 'interrupt', 'Interrupt'), planOp(p.name, 'continue', 'Continue'),
    planOp(p.name, 'restart', 'Force restart', null, true));
  return h('details', {class: 'plan', open, 'data-plan': p.name},
    h('summary', {}, h('h3', {}, p.name), badge(p.status),
      h('span', {class: 'muted'}, `${(b.phases || []).length} phase(s)`)),
    ops,
    (b.errors || []).length ? h('ul', {class: 'errors'}, b.errors.map((e) => h('li', {}, e))) : null,
    (b.phases || []).map((ph) => h('div', {class: 'phase', 'data-phase': ph.name},
      h('div', {class: 'phase-head'}, h('span', {}, `Phase ${ph.name}`), badge(ph.status),
        h('span', {class: 'muted'}, ph.strategy || ''),
        readOnly ? null : h('span', {class: 'ops'}, planOp(p.name, 'interrupt', 'Interrupt', {phase: ph.name}),
          planOp(p.name, 'continue', 'Continue', {phase: ph.name}))),
      h('ul', {class: 'steps'}, (ph.steps || []).map((s) => h('li', {'data-step': s.name, 'data-status': s.status},
        h('span', {class: 'name'}, s.name), badge(s.status),
        readOnly ? null : h('span', {class: 'ops'},
          planOp(p.name, 'restart', 'Force restart', {phase: ph.name, step: s.name}, true),
          planOp(p.name, 'forceComplete', 'Force complete', {phase: ph.name, step: s.name}, true))))))));
}

// ---- pods -------------------------------------------------------------------------------------
const field = (o, ...names) => { for (const n of names) if (o && o[n] !== undefined) return o[n]; return undefined; };
function volumesOf(info) {
  const out = [];
  for (const r of field(info, 'resources') || []) {
    const vol = r.disk && r.disk.volume;
    if (vol) out.push(`${field(vol, 'containerPath', 'container_path')} (${r.scalar ? r.scalar.value : '?'} MB)`);
  }
  for (const ex of [field(info, 'executor')].filter(Boolean)) {
    for (const r of field(ex, 'resources') || []) {
      const vol = r.disk && r.disk.volume;
      if (vol) out.push(`${field(vol, 'containerPath', 'container_path')} (${r.scalar ? r.scalar.value : '?'} MB)`);
    }
  }
  return [...new Set(out)];
}
async function endpointsByInstance() {
  const by = new Map();
  let names = [];
  try { names = await getJSON('/v1/endpoints'); } catch { return by; }
  await Promise.all((Array.isArray(names) ? names : []).map(async (n) => {
    const e = await getJSON(`/v1/endpoints/${encodeURIComponent(n)}`).catch(() => ({}));
    (e.dns || []).forEach((dns, i) => {
      const inst = dns.split('.')[0].replace(/-[^-]+$/, '');
      if (!by.has(inst)) by.set(inst, []);
      by.get(inst).push(`${n}: ${(e.address || [])[i] || dns}`);
    });
  }));
  return by;
}
async function drawPods() {
  const [st, eps] = await Promise.all([getJSON('/v1/pod/status'), endpointsByInstance()]);
  const instances = (st.pods || []).flatMap((p) => (p.instances || []).map((i) => ({type: p.name, ...i})));
  const infos = await Promise.all(instances.map((i) => getJSON(`/v1/pod/${encodeURIComponent(i.name)}/info`).catch(() => [])));
  const rows = instances.map((inst, k) => {
    const info = Array.isArray(infos[k]) ? infos[k] : [];
    const agents = new Set(), vols = new Set();
    for (const t of info) {
      const ti = t.info || {};
      const a = field(ti, 'slaveId', 'agentId', 'slave_id', 'agent_id');
      if (a && a.value) agents.add(a.value);
      volumesOf(ti).forEach((v) => vols.add(v));
    }
    const op = (name, label, q, danger) => h('button', {type: 'button', class: 'small', 'data-op': name,
      onclick: () => operate(q, 'POST', `/v1/pod/${encodeURIComponent(inst.name)}/${name}`, undefined, danger)}, label);
    return h('tr', {'data-pod': inst.name},
      h('td', {'data-label': 'Pod'}, h('strong', {}, inst.name)),
      h('td', {'data-label': 'Tasks'}, h('ul', {class: 'plain'}, (inst.tasks || []).map((t) =>
        h('li', {'data-task': t.name}, h('span', {class: 'mono'}, t.name), ' ', badge(t.status), ' ',
          h('button', {type: 'button', class: 'small', 'aria-label': `stdout of ${t.name}`, onclick: () => showLog(t.name, 'stdout')}, 'stdout'), ' ',
          h('button', {type: 'button', class: 'small', 'aria-label': `stderr of ${t.name}`, onclick: () => showLog(t.name, 'stderr')}, 'stderr'))))),
      h('td', {'data-label': 'Agent', class: 'mono'}, [...agents].join(', ') || '-'),
      h('td', {'data-label': 'Volumes', class: 'mono'}, [...vols].join(', ') || '-'),
      h('td', {'data-label': 'Endpoints', class: 'mono'}, (eps.get(inst.name) || []).join(', ') || '-'),
      h('td', {'data-label': 'Actions'}, h('div', {class: 'ops', role: 'group', 'aria-label': `Pod ${inst.name} actions`},
        op('restart', 'Restart', `Restart pod ${inst.name}? Its tasks are killed and relaunched in place, on the same volumes.`),
        op('pause', 'Pause', `Pause pod ${inst.name}? Its tasks are relaunched with an idle command, so you can inspect the sandbox and volumes.`),
        op('resume', 'Resume', `Resume pod ${inst.name}? Its tasks are relaunched with their own commands.`),
        op('replace', 'Replace', `Replace pod ${inst.name}? Its tasks move to new resources and THE DATA IN ITS PERSISTENT VOLUMES WILL BE DESTROYED. This cannot be undone.`, true))));
  });
  $('#pods').replaceChildren(h('div', {class: 'table-wrap'}, h('table', {class: 'pods'},
    h('thead', {}, h('tr', {}, ['Pod', 'Tasks and status', 'Agent', 'Volumes', 'Endpoints', 'Actions'].map((c) => h('th', {scope: 'col'}, c)))),
    h('tbody', {}, rows))));
}
let logShown = null;
async function showLog(task, file) {
  logShown = {task, file};
  $('#log').hidden = false;
  $('#log-title').textContent = `${file} of ${task} (last 200 lines, read from its agent)`;
  $('#log-text').textContent = 'loading…';
  const r = await call('GET', `/v1/debug/tasks/${encodeURIComponent(task)}/log?file=${file}&lines=200`);
  const text = r.ok ? await r.text() : `HTTP ${r.status}: ${await messageOf(r)}`;
  $('#log-text').textContent = text || '(empty)';
  $('#log-text').focus();
}
$('#log-refresh').addEventListener('click', () => logShown && showLog(logShown.task, logShown.file));
$('#log-close').addEventListener('click', () => { $('#log').hidden = true; logShown = null; });

// ---- configuration: a form generated from the options schema ----------------------------------
let configLoaded = false;
let described = null;     // POST /cosmos/service/describe answer
let leaves = [];          // [{path: 'world.count', schema, input}]
let plainVars = null;     // no schema: the variables now in force (GET /v1/console/variables)
const getPath = (o, path) => path.split('.').reduce((a, k) => (a && typeof a === 'object' ? a[k] : undefined), o);
function setPath(o, path, v) {
  const ks = path.split('.');
  let a = o;
  ks.slice(0, -1).forEach((k) => { if (typeof a[k] !== 'object' || !a[k]) a[k] = {}; a = a[k]; });
  a[ks[ks.length - 1]] = v;
}
async function loadConfig() {
  configLoaded = true;
  const r = await call('POST', '/cosmos/service/describe', {});
  if (!r.ok) { $('#config-fields').replaceChildren(h('p', {class: 'errors'}, `describe: HTTP ${r.status}: ${await messageOf(r)}`)); return; }
  described = await r.json();
  leaves = [];
  plainVars = null;
  const schema = described.package && described.package.config;
  const resolved = described.resolvedOptions || {};
  const props = schema && schema.properties && Object.keys(schema.properties).length ? schema.properties : null;
  const boxes = [];
  if (props) {
    for (const [group, gs] of Object.entries(props)) {
      if (gs.type === 'object' && gs.properties) {
        boxes.push(h('fieldset', {}, h('legend', {}, group),
          Object.entries(gs.properties).map(([k, s]) => fieldRow(`${group}.${k}`, s, getPath(resolved, `${group}.${k}`)))));
      } else {
        boxes.push(fieldRow(group, gs, resolved[group]));
      }
    }
  } else {
    // No schema: the rendering variables as they are, each a string; changes go to /v1/update.
    const v = await getJSON('/v1/console/variables');
    plainVars = v.variables || {};
    boxes.push(h('p', {class: 'muted'}, 'This service has no options schema: its template variables are listed as they are.'));
    boxes.push(h('fieldset', {}, h('legend', {}, 'Variables'),
      Object.entries(plainVars).map(([k, val]) => fieldRow(k, {type: 'string'}, val))));
  }
  $('#config-fields').replaceChildren(...boxes);
}
function fieldRow(path, s, value) {
  const id = `opt-${path.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const type = s.type || 'string';
  const input = type === 'boolean'
    ? h('input', {type: 'checkbox', id, checked: value === true || value === 'true'})
    : h('input', {type: type === 'integer' || type === 'number' ? 'number' : 'text', id, name: path,
      step: type === 'integer' ? '1' : type === 'number' ? 'any' : null,
      min: s.minimum !== undefined ? s.minimum : null, max: s.maximum !== undefined ? s.maximum : null,
      'aria-describedby': `${id}-hint ${id}-err`});
  if (type !== 'boolean') input.value = value === undefined || value === null ? '' : String(value);
  const leaf = {path, schema: s, input, original: value, row: null, err: h('div', {class: 'err', id: `${id}-err`, role: 'alert', hidden: true})};
  const hint = [s.description, s.default !== undefined ? `default ${JSON.stringify(s.default)}` : null, type,
    s['x-env'] ? `variable ${s['x-env']}` : null].filter(Boolean).join(' · ');
  leaf.row = h('div', {class: 'field', 'data-option': path}, h('label', {for: id}, path), input,
    h('div', {class: 'hint', id: `${id}-hint`}, hint), leaf.err);
  input.addEventListener('input', () => leaf.row.classList.toggle('changed', valueOf(leaf) !== leaf.original));
  leaves.push(leaf);
  return leaf.row;
}
function valueOf(leaf) {
  const t = leaf.schema.type;
  if (t === 'boolean') return leaf.input.checked;
  const raw = leaf.input.value;
  if ((t === 'integer' || t === 'number') && raw.trim() !== '' && !Number.isNaN(Number(raw))) return Number(raw);
  return raw; // a bad number goes as text: the scheduler's validation names it
}
function editedOptions() {
  // The user-provided options plus every field edited here (unedited resolved values stay
  // defaults, so a later change of a default still reaches them).
  const opts = structuredClone((described && described.userProvidedOptions) || {});
  let n = 0;
  for (const l of leaves) {
    const v = valueOf(l);
    if (v !== l.original) { setPath(opts, l.path, v); n++; }
  }
  return {opts, n};
}
function showErrors(errors) {
  for (const l of leaves) { l.err.hidden = true; l.input.removeAttribute('aria-invalid'); }
  const loose = [];
  for (const e of errors) {
    const l = leaves.find((x) => e.startsWith(`${x.path}:`) || (x.schema['x-env'] && e.includes(x.schema['x-env'])));
    if (l) { l.err.textContent = e; l.err.hidden = false; l.input.setAttribute('aria-invalid', 'true'); } else loose.push(e);
  }
  const first = leaves.find((l) => !l.err.hidden);
  if (first) first.input.focus();
  return loose;
}
async function review(e) {
  e.preventDefault();
  const {opts, n} = editedOptions();
  const body = $('#diff-body');
  $('#config-diff').hidden = false;
  if (!n) { showErrors([]); body.replaceChildren(h('p', {}, 'Nothing edited.')); $('#config-apply').disabled = true; return; }
  if (plainVars) { // no dry run without a schema: the diff is the edited variables
    showErrors([]);
    body.replaceChildren(diffTable(leaves.filter((l) => valueOf(l) !== l.original)
      .map((l) => ({option: l.path, from: l.original, to: valueOf(l)}))),
    h('p', {class: 'muted'}, 'Which pods restart is known once the scheduler has the new configuration.'));
    $('#config-apply').disabled = false;
    return;
  }
  const r = await call('POST', '/cosmos/service/update?dryRun=true', {options: opts});
  const j = await r.json().catch(() => ({message: `HTTP ${r.status}`}));
  const errors = (j.data && j.data.errors) || j.errors || [];
  const loose = showErrors(errors);
  if (!r.ok || j.valid === false) {
    $('#config-apply').disabled = true;
    const rest = loose.length ? loose : errors.length ? [] : [j.message || `HTTP ${r.status}`];
    body.replaceChildren(h('p', {class: 'errors', role: 'alert'}, 'The scheduler refuses this configuration; the problems are shown next to the fields.'),
      h('ul', {class: 'errors'}, rest.map((x) => h('li', {}, x))));
    return;
  }
  const list = (label, xs) => h('p', {}, `${label}: `, xs && xs.length ? h('strong', {}, xs.join(', ')) : 'none');
  body.replaceChildren(diffTable(j.optionsDiff || []),
    list('Pods to restart', j.podsToRestart), list('Pods to launch', j.podsToLaunch),
    list('Pods to decommission', j.podsToDecommission));
  $('#config-apply').disabled = false;
  $('#config-apply').focus();
}
function diffTable(rows) {
  const shown = (x) => (x === null || x === undefined ? '(unset)' : String(x));
  return h('div', {class: 'table-wrap'}, h('table', {class: 'diff'},
    h('thead', {}, h('tr', {}, ['Option', 'Target now', 'After the update'].map((c) => h('th', {scope: 'col'}, c)))),
    h('tbody', {}, rows.map((d) => h('tr', {'data-diff': d.option},
      h('td', {class: 'mono'}, d.option, d.variable ? h('span', {class: 'muted'}, ` (${d.variable})`) : null),
      h('td', {'aria-label': 'from'}, shown(d.from)), h('td', {'aria-label': 'to'}, shown(d.to)))))));
}
async function apply() {
  const {opts} = editedOptions();
  $('#config-apply').disabled = true;
  const flat = {};
  if (plainVars) leaves.forEach((l) => { if (valueOf(l) !== l.original) flat[l.path] = valueOf(l); });
  const r = plainVars ? await call('POST', '/v1/update', flat) : await call('POST', '/cosmos/service/update', {options: opts});
  const j = await r.json().catch(() => ({message: `HTTP ${r.status}`}));
  if (!r.ok) {
    const loose = showErrors((j.data && j.data.errors) || j.errors || []);
    $('#diff-body').append(h('p', {class: 'errors', role: 'alert'}, `Refused: ${j.message || ''}`, loose.length ? ` ${loose.join('; ')}` : ''));
    return;
  }
  banner('Update accepted: the deploy plan now carries it.');
  $('#config-diff').hidden = true;
  $('#config-progress').hidden = false;
  configLoaded = false;
  await loadConfig();
  schedule('plans');
}
$('#config-form').addEventListener('submit', review);
$('#config-apply').addEventListener('click', apply);
$('#config-cancel').addEventListener('click', () => { $('#config-diff').hidden = true; });
$('#config-reset').addEventListener('click', () => { configLoaded = false; $('#config-diff').hidden = true; showErrors([]); loadConfig(); });

// ---- events: the operator's lines, as the terminal prints them --------------------------------
let lastEventShown = 0;
async function drawEvents() {
  const j = await getJSON(`/v1/console/events?after=${lastEventShown}`);
  const list = $('#events');
  if (j.gap && lastEventShown) list.prepend(h('li', {class: 'muted'}, 'some events were missed (the scheduler keeps the most recent ones)'));
  for (const e of j.events || []) {
    list.prepend(h('li', {'data-type': e.type}, h('time', {datetime: e.time}, e.time.slice(11, 19)), e.text));
    lastEventShown = Math.max(lastEventShown, e.id);
  }
  while (list.childElementCount > 500) list.lastElementChild.remove();
}

// ---- the one event stream: GET /v1/events read with fetch() -----------------------------------
let lastEventId = null;
function setLive(on, text) {
  $('#live').className = `live ${on ? 'on' : 'off'}`;
  $('#live-text').textContent = text;
}
const REDRAW = {
  step: ['plans', 'pods'], plan: ['plans'], waiting: ['plans'], 'task-failed': ['pods'], recovery: ['plans', 'pods'],
  restart: ['pods', 'plans'], replace: ['pods', 'plans'], pause: ['pods', 'plans'], resume: ['pods', 'plans'],
  decommission: ['pods', 'plans'], 'volume-destroyed': ['pods'], leader: ['overview'], dropped: ['plans', 'pods'],
};
async function follow() {
  for (let delay = 1000; ; delay = Math.min(delay * 2, 15000)) {
    try {
      const hd = headers(false);
      hd.Accept = 'text/event-stream';
      if (lastEventId !== null) hd['Last-Event-ID'] = lastEventId;
      const r = await fetch('/v1/events', {headers: hd, credentials: 'omit', cache: 'no-store'});
      if (r.status === 401) { setLive(false, 'needs a token'); await askToken(); continue; }
      if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}`);
      setLive(true, 'live');
      delay = 1000;
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buf += value;
        let cut;
        while ((cut = buf.search(/\r?\n\r?\n/)) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut).replace(/^\r?\n\r?\n/, '');
          dispatch(block);
        }
      }
      throw new Error('stream ended');
    } catch (e) {
      setLive(false, `disconnected (${e.message}); reconnecting`);
      await new Promise((res) => setTimeout(res, delay));
      // What happened meanwhile: redraw everything once the stream is back.
      Object.keys(drawers).forEach(schedule);
    }
  }
}
function dispatch(block) {
  let type = 'message', id = null;
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const k = i < 0 ? line : line.slice(0, i);
    const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (k === 'event') type = v;
    else if (k === 'id') id = v;
  }
  if (id !== null) lastEventId = id;
  if (type === 'message') return;
  (REDRAW[type] || []).forEach(schedule);
  schedule('events');
}

// ---- start ------------------------------------------------------------------------------------
const initial = tabs.find((t) => `#${t.id.slice(4)}` === location.hash) || tabs[0];
selectTab(initial);
Object.keys(drawers).forEach(schedule);
follow();
