// Confman's live view (http/LIVEVIEW.md). The Live tab reads every member's /v1/events
// stream and draws the cluster's Raft state as it changes; the Replay tab steps through a
// simulator trace forwards and backwards. Both tabs draw members with the same functions
// (drawCards, drawLogStrip, drawProgress), so what a trace shows reads like what a running
// cluster shows. Plain ES2020, no libraries, nothing fetched from elsewhere.
'use strict';

(() => {

// ---------------------------------------------------------------------------------------
// Limits and constants

const RETRY_MS = 2000;           // a failed stream is reopened after this long (LIVEVIEW.md §1)
const SILENT_MS = 6000;          // an open stream with no frame for this long is drawn as down (states come every 2 s)
const DEV_POLL_MS = 2000;        // how often the dev controller's process states are read
const MEMBERS_REFRESH_MS = 10000; // how often a hello is asked for again while a member's URL is unknown
const EVENTS_MAX = 200;          // entries kept in the live events feed
const MESSAGES_MAX = 60;         // entries kept in the live messages list
const DOTS_MAX = 60;             // message dots in flight in the live diagram
const DOT_MS = 800;              // how long one message dot takes to cross
const LOG_COLUMNS_MAX = 40;      // indexes drawn in the log strip
const REPLAY_ROWS_MAX = 300;     // lines listed per replay step and panel
const TIMELINE_BUCKETS_MAX = 600;
const TOKEN_KEY = 'confman.adminToken';

const ROLE = {
  LEADER: { label: 'Leader', letter: 'L' },
  CANDIDATE: { label: 'Candidate', letter: 'C' },
  PRE_CANDIDATE: { label: 'Pre-candidate', letter: 'P' },
  FOLLOWER: { label: 'Follower', letter: 'F' },
  DOWN: { label: 'Down', letter: '×' },
  CONNECTING: { label: 'Connecting', letter: '…' },
  UNKNOWN: { label: 'No state yet', letter: '?' },
};
const TRACE_ROLE_LETTER = { F: 'FOLLOWER', P: 'PRE_CANDIDATE', C: 'CANDIDATE', L: 'LEADER' };

// Message types (raft/PROTOCOL.md, "Messages") grouped into the families the drawings colour.
const MESSAGE_FAMILY = {
  PreVote: 'vote', PreVoteResponse: 'vote', RequestVote: 'vote', RequestVoteResponse: 'vote',
  AppendEntries: 'append', AppendEntriesResponse: 'append',
  Heartbeat: 'heartbeat', HeartbeatResponse: 'heartbeat',
  InstallSnapshot: 'snapshot', InstallSnapshotResponse: 'snapshot',
  TimeoutNow: 'transfer',
};
const FAMILY_LABEL = {
  vote: 'votes and pre-votes', append: 'AppendEntries', heartbeat: 'heartbeats',
  snapshot: 'snapshots', transfer: 'TimeoutNow', other: 'other',
};

const DEV_ACTIONS = [
  { name: 'stop', label: 'stop', title: 'SIGKILL the process: a crash', appliesTo: ['running', 'paused', 'isolated'] },
  { name: 'restart', label: 'restart', title: 'start a stopped node again with the same data directory', appliesTo: ['stopped'] },
  { name: 'pause', label: 'pause', title: 'SIGSTOP: the process freezes, its connections stay open', appliesTo: ['running', 'isolated'] },
  { name: 'resume', label: 'resume', title: 'SIGCONT: a paused process runs again', appliesTo: ['paused'] },
  { name: 'isolate', label: 'isolate', title: 'cut every peer link to and from the node (its HTTP port stays reachable)', appliesTo: ['running', 'paused'] },
  { name: 'heal', label: 'heal', title: 'restore the node\'s peer links', appliesTo: ['isolated'] },
];

// ---------------------------------------------------------------------------------------
// Small helpers

const SVG_NS = 'http://www.w3.org/2000/svg';

function setAttributes(element, attributes) {
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2), value);
    } else {
      element.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

function appendChildren(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

/** Creates an HTML element: h('div', {class: 'x'}, 'text', otherElement). */
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  appendChildren(element, children);
  return element;
}

/** Creates an SVG element, like h. */
function svg(tag, attributes, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  setAttributes(element, attributes);
  appendChildren(element, children);
  return element;
}

const $ = (id) => document.getElementById(id);

/** Replaces an element's children; null and false children are left out. */
function fill(element, ...children) {
  element.replaceChildren();
  appendChildren(element, children);
}

function byId(a, b) {
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

function known(value) {
  return value !== undefined && value !== null && value !== '';
}

function show(value) {
  return known(value) ? String(value) : '–';
}

function toNumber(value) {
  if (value === undefined || value === null || value === '') return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

function formatMs(ms) {
  if (!known(ms)) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Number((ms / 1000).toFixed(ms < 10000 ? 2 : 1))} s`;
}

function formatClock(t) {
  const date = known(t) ? new Date(Number(t)) : new Date();
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function roleClass(role) {
  return 'role-' + String(role || 'unknown').toLowerCase().replace(/_/g, '-');
}

function roleLabel(role) {
  return (ROLE[role] && ROLE[role].label) || String(role);
}

function messageFamily(type) {
  return MESSAGE_FAMILY[type] || 'other';
}

/** A colour per term: hues spread by the golden angle, so neighbouring terms differ clearly. */
function termHue(term) {
  return (Number(term) * 137.508 + 205) % 360;
}

function termColour(term, committed) {
  const hue = termHue(term);
  return committed ? `hsl(${hue} 62% 70%)` : `hsl(${hue} 60% 88%)`;
}

function termBorder(term) {
  return `hsl(${termHue(term)} 45% 42%)`;
}

/** Rebuilds a container only when what it shows changed, so hovering is not disturbed. */
function unchanged(container, signature) {
  if (container._signature === signature) return true;
  container._signature = signature;
  return false;
}

// ---------------------------------------------------------------------------------------
// Views: what the shared drawing functions take
//
// A view is { ids, nodes, leaderId, maxTerm, range, dev, noStateRole }, where nodes maps a
// member id to { state, down, note, proc }. `state` has the fields of the live `state`
// event (LIVEVIEW.md §2). Live builds a view from the streams, Replay from a trace step.

function completeView(view) {
  let maxTerm = null;
  for (const id of view.ids) {
    const node = view.nodes.get(id);
    const term = node && node.state && !node.down ? toNumber(node.state.term) : null;
    if (term !== null && (maxTerm === null || term > maxTerm)) maxTerm = term;
  }
  // The leader drawn is the one of the highest term: a leader cut off from the others can
  // still believe it leads an older term until it hears of the new one (§3.6, §6.2).
  let leaderId = null;
  let leaderTerm = -1;
  for (const id of view.ids) {
    const node = view.nodes.get(id);
    if (!node || node.down || !node.state || node.state.role !== 'LEADER') continue;
    const term = toNumber(node.state.term) ?? 0;
    if (term > leaderTerm) {
      leaderTerm = term;
      leaderId = id;
    }
  }
  let low = null;
  let high = 0;
  for (const id of view.ids) {
    const state = view.nodes.get(id) && view.nodes.get(id).state;
    if (!state) continue;
    const snapshotIndex = toNumber(state.snapshot_index) ?? 0;
    const lastIndex = toNumber(state.last_index);
    if (low === null || snapshotIndex < low) low = snapshotIndex;
    if (lastIndex !== null && lastIndex > high) high = lastIndex;
  }
  low = low ?? 0;
  view.maxTerm = maxTerm;
  view.leaderId = leaderId;
  view.range = [low, Math.max(high, low + 1)];
  return view;
}

// ---------------------------------------------------------------------------------------
// Shared drawing: member cards

function drawCards(container, view, options) {
  const cards = container._cards || (container._cards = new Map());
  for (const [id, card] of cards) {
    if (!view.ids.includes(id)) {
      card.remove();
      cards.delete(id);
    }
  }
  view.ids.forEach((id, position) => {
    let card = cards.get(id);
    if (!card) {
      card = createCard(id, options);
      cards.set(id, card);
    }
    if (container.children[position] !== card) {
      container.insertBefore(card, container.children[position] || null);
    }
    updateCard(card, id, view);
  });
}

function createCard(id, options) {
  const card = h('article', { class: 'member', 'data-node': id });
  card._main = h('div', { class: 'm-main' });
  card.append(card._main);
  if (options && options.onAction) {
    card._controls = h('div', { class: 'm-controls', hidden: true },
      DEV_ACTIONS.map((action) => h('button', {
        type: 'button', class: 'dev-button', 'data-action': action.name, 'data-node': id,
        title: action.title, onclick: () => options.onAction(id, action.name),
      }, action.label)));
    card.append(card._controls);
  }
  return card;
}

function updateCard(card, id, view) {
  const node = view.nodes.get(id) || {};
  const state = node.state || null;
  const role = node.down ? 'DOWN' : (state ? state.role : (node.noStateRole || view.noStateRole || 'UNKNOWN'));
  const isLeader = id === view.leaderId;
  const staleLeader = !node.down && state && state.role === 'LEADER' && !isLeader;

  card.dataset.role = role;
  card.dataset.term = state && known(state.term) ? state.term : '';
  card.dataset.commit = state && known(state.commit) ? state.commit : '';
  card.dataset.lastIndex = state && known(state.last_index) ? state.last_index : '';
  card.className = ['member', roleClass(role), isLeader ? 'is-leader' : '',
    node.down ? 'is-down' : '', node.proc ? `proc-${node.proc}` : ''].filter(Boolean).join(' ');

  const signature = JSON.stringify([role, state, node.note, node.proc, isLeader, staleLeader, view.range]);
  if (card._signature !== signature) {
    card._signature = signature;
    fill(card._main, ...cardContent(id, node, state, role, { isLeader, staleLeader, range: view.range }));
  }
  if (card._controls) {
    card._controls.hidden = !view.dev;
    for (const button of card._controls.children) {
      const action = DEV_ACTIONS.find((a) => a.name === button.dataset.action);
      const applies = !node.proc || action.appliesTo.includes(node.proc);
      button.classList.toggle('not-applicable', !applies);
    }
  }
}

function cardContent(id, node, state, role, marks) {
  const head = h('header', { class: 'm-head' },
    h('span', { class: 'm-id' }, id),
    h('span', { class: 'm-role', title: roleTitle(role) }, roleLabel(role)),
    marks.isLeader ? h('span', { class: 'chip chip-leader', title: 'the leader of the highest term' }, '★ leader') : null,
    marks.staleLeader ? h('span', { class: 'chip chip-stale', title: 'it still believes it leads, in an older term: it has not heard of the newer one yet' }, 'stale leader') : null,
    node.proc ? h('span', { class: `chip chip-proc proc-${node.proc}`, title: 'process state, from the dev controller' }, node.proc) : null);
  if (!state) {
    return [head, h('p', { class: 'm-none' }, node.note || 'no state yet')];
  }
  const kv = (key, value, title, extra) => h('div', { class: 'kv', title },
    h('span', { class: 'k' }, key), h('span', { class: 'v' }, value, extra ? h('small', null, extra) : null));
  const grid = h('div', { class: 'm-grid' },
    kv('term', show(state.term), 'currentTerm: the latest term this member has seen (Figure 2)'),
    kv('vote', show(state.vote), 'votedFor: whom it voted for in its current term (Figure 2)'),
    kv('leader', show(state.leader), 'the leader it knows for its current term'),
    kv('last', show(state.last_index), 'the index and term of its last log entry (lastLogIndex, lastLogTerm)', known(state.last_term) ? ` t${state.last_term}` : null),
    kv('commit', show(state.commit), 'commitIndex: the highest entry it knows to be committed'),
    kv('applied', show(state.applied), 'lastApplied: the highest entry applied to its state machine'),
    kv('snapshot', show(state.snapshot_index), 'the last index (and its term) its snapshot covers; the log before it is compacted (§5.1)', known(state.snapshot_term) ? ` t${state.snapshot_term}` : null),
    kv('elections', show(state.elections), 'elections it started, and leader changes it saw', known(state.leader_changes) ? ` · ${state.leader_changes} changes` : null));
  return [head, grid, indexBar(state, marks.range),
    node.note ? h('div', { class: 'm-foot' }, node.note) : null];
}

function roleTitle(role) {
  switch (role) {
    case 'LEADER': return 'Leader: accepts proposals, replicates its log, sends heartbeats (§3.4, §3.5)';
    case 'CANDIDATE': return 'Candidate: started an election in a new term and asks for votes (§3.4)';
    case 'PRE_CANDIDATE': return 'Pre-candidate: asks whether it could win before raising its term (§9.6)';
    case 'FOLLOWER': return 'Follower: answers the leader and candidates, starts nothing on its own (§3.4)';
    case 'DOWN': return 'Not reachable, or not running';
    default: return roleLabel(role);
  }
}

/** The bar under a card: snapshot ≤ applied ≤ commit ≤ last, on the cluster's common scale. */
function indexBar(state, range) {
  const [low, high] = range;
  const span = Math.max(1, high - low);
  const x = (value) => Math.max(0, Math.min(100, ((value - low) / span) * 100));
  const snapshot = toNumber(state.snapshot_index) ?? low;
  const applied = Math.max(snapshot, toNumber(state.applied) ?? snapshot);
  const commit = Math.max(applied, toNumber(state.commit) ?? applied);
  const last = Math.max(commit, toNumber(state.last_index) ?? commit);
  const segment = (name, from, to) => h('div', {
    class: `seg seg-${name}`, style: `left:${x(from)}%;width:${Math.max(0, x(to) - x(from))}%`,
  });
  return h('div', {
    class: 'm-bar',
    title: `snapshot ${show(state.snapshot_index)} ≤ applied ${show(state.applied)} ≤ commit ${show(state.commit)} ≤ last ${show(state.last_index)}  (scale ${low}…${high})`,
  },
  h('div', { class: 'bar-track' },
    segment('compacted', low, snapshot), segment('applied', snapshot, applied),
    segment('committed', applied, commit), segment('appended', commit, last)),
  h('div', { class: 'bar-scale' }, h('span', null, String(low)), h('span', null, String(high))));
}

// ---------------------------------------------------------------------------------------
// Shared drawing: the log strip

function drawLogStrip(container, view) {
  const rows = view.ids.map((id) => ({ id, node: view.nodes.get(id) || {} }))
    .filter((row) => row.node.state);
  const signature = JSON.stringify(rows.map((row) => [row.id, row.node.down, row.node.state.log,
    row.node.state.last_index, row.node.state.commit, row.node.state.snapshot_index,
    row.node.state.snapshot_term, row.node.state.role]).concat([view.leaderId]));
  if (unchanged(container, signature)) return;

  const high = Math.max(0, ...rows.map((row) => toNumber(row.node.state.last_index) ?? 0));
  const empty = !rows.length ? 'No member state yet.'
    : !rows.some((row) => Array.isArray(row.node.state.log))
      ? 'The states carry no log entries (a trace written without state events draws its cards from its tick lines: role, term, applied index).'
      : high === 0 ? 'Every log is empty: no entry has been appended yet.' : null;
  if (empty) {
    fill(container, h('p', { class: 'empty' }, empty));
    return;
  }
  const logs = rows.map(logOfRow);
  // Start one column before the lowest snapshot boundary: what the snapshots cover is drawn
  // as a short hatched block, not as a row of columns.
  const lowestSnapshot = Math.min(high, ...logs.map((log) => log.snapshotIndex));
  const low = Math.max(1, high - LOG_COLUMNS_MAX + 1, lowestSnapshot - 1);
  const conflicts = findConflicts(logs, low, high, view.leaderId);

  const grid = h('div', { class: 'ls-grid', style: `grid-template-columns: 5.4rem repeat(${high - low + 1}, minmax(0, 2.6rem))` });
  grid.append(h('div', { class: 'ls-corner' }, 'index'));
  for (let index = low; index <= high; index++) {
    const labelled = index === low || index === high || index % 5 === 0;
    grid.append(h('div', {
      class: 'ls-index' + (conflicts.has(index) ? ' ls-conflict-head' : ''),
      title: conflicts.has(index) ? `index ${index}: the members hold entries of different terms here` : `index ${index}`,
    }, conflicts.has(index) ? '≠' : (labelled ? String(index) : '')));
  }
  for (const log of logs) {
    grid.append(logRowLabel(log, view, low));
    for (let index = low; index <= high; index++) {
      const term = termAt(log, index);
      const winner = conflicts.get(index);
      const differs = conflicts.has(index) && term !== null && (winner === null || String(term) !== winner);
      grid.append(logCell(log, index, differs));
    }
  }
  fill(container, grid, logStripLegend());
}

/** A member's log as the strip reads it: its entries by index, and its boundaries. */
function logOfRow(row) {
  const state = row.node.state;
  const entries = new Map();
  for (const entry of state.log || []) {
    if (Array.isArray(entry)) entries.set(Number(entry[0]), { term: entry[1], type: entry[2] });
    else if (entry && known(entry.index)) entries.set(Number(entry.index), { term: entry.term, type: entry.type });
  }
  return {
    ...row, state, entries,
    snapshotIndex: toNumber(state.snapshot_index) ?? 0,
    lastIndex: toNumber(state.last_index) ?? 0,
    commit: toNumber(state.commit) ?? 0,
  };
}

/** The term of a log's entry at an index, if the page knows it (the snapshot's last entry included). */
function termAt(log, index) {
  const entry = log.entries.get(index);
  if (entry) return entry.term;
  if (index === log.snapshotIndex && known(log.state.snapshot_term)) return log.state.snapshot_term;
  return null;
}

/**
 * Log Matching (§3.5): two logs holding the same index with different terms disagree from
 * there on, and the leader's AppendEntries will overwrite the follower's entry. Answers, for
 * each index where the terms differ, the leader's term there (the one that wins), or null
 * when no leader holds that index; the cells marked are those that differ from the winner,
 * or all of the column's cells when there is none.
 */
function findConflicts(logs, low, high, leaderId) {
  const leaderLog = logs.find((log) => log.id === leaderId && !log.node.down);
  const conflicts = new Map();
  for (let index = low; index <= high; index++) {
    const terms = new Set();
    for (const log of logs) {
      const term = termAt(log, index);
      if (term !== null) terms.add(String(term));
    }
    if (terms.size > 1) {
      const leaderTerm = leaderLog ? termAt(leaderLog, index) : null;
      conflicts.set(index, leaderTerm === null ? null : String(leaderTerm));
    }
  }
  return conflicts;
}

function logRowLabel(log, view, low) {
  const role = log.node.down ? 'DOWN' : log.state.role;
  return h('div', {
    class: `ls-label ${roleClass(role)}` + (log.id === view.leaderId ? ' is-leader' : '') + (log.node.down ? ' is-down' : ''),
    title: `${log.id}: ${roleLabel(role)}, snapshot ${show(log.state.snapshot_index)}, commit ${show(log.state.commit)}, last ${show(log.state.last_index)}`,
  },
  h('span', { class: 'ls-role' }, (ROLE[role] && ROLE[role].letter) || '?'), log.id,
  log.snapshotIndex > 0 && log.snapshotIndex < low - 1
    ? h('small', { class: 'ls-snap-note', title: `its snapshot covers up to index ${log.snapshotIndex}, left of what is drawn` }, `snap ${log.snapshotIndex}`)
    : null);
}

function logStripLegend() {
  return h('div', { class: 'ls-legend' },
    h('span', null, h('i', { class: 'sw sw-committed' }), 'committed'),
    h('span', null, h('i', { class: 'sw sw-uncommitted' }), 'not yet committed'),
    h('span', null, h('i', { class: 'sw sw-compacted' }), 'in the snapshot'),
    h('span', null, h('i', { class: 'sw sw-edge' }), 'snapshot boundary'),
    h('span', null, h('b', { class: 'glyph' }, '∅'), 'no-op'),
    h('span', null, h('b', { class: 'glyph' }, '◆'), 'config'),
    h('span', null, h('b', { class: 'glyph glyph-conflict' }, '≠'), 'terms differ: the leader will overwrite (§3.5)'));
}

function logCell(log, index, conflict) {
  const classes = ['ls-cell'];
  let text = '';
  let style = null;
  let title = `${log.id} index ${index}: `;
  const entry = log.entries.get(index);
  if (index < log.snapshotIndex || (index === log.snapshotIndex && !entry)) {
    classes.push('c-compacted');
    text = index === log.snapshotIndex && known(log.state.snapshot_term) ? String(log.state.snapshot_term) : '';
    title += `in the snapshot (compacted; the snapshot covers up to ${log.snapshotIndex}${known(log.state.snapshot_term) ? `, term ${log.state.snapshot_term}` : ''})`;
  } else if (index > log.lastIndex) {
    classes.push('c-empty');
    title += 'no entry';
  } else if (entry) {
    const committed = index <= log.commit;
    classes.push('c-entry', committed ? 'c-committed' : 'c-uncommitted');
    if (entry.type === 'noop') classes.push('c-noop');
    if (entry.type === 'config') classes.push('c-config');
    text = String(entry.term);
    style = `--fill:${termColour(entry.term, committed)};--edge:${termBorder(entry.term)}`;
    title += `term ${entry.term}, ${entry.type || 'normal'}, ${committed ? 'committed' : 'not yet committed'}`;
  } else {
    classes.push('c-unknown');
    text = '·';
    title += 'held, but older than the entries the stream sends';
  }
  if (index === log.snapshotIndex) classes.push('c-snap-edge');
  if (index === log.commit && index <= log.lastIndex) classes.push('c-commit-edge');
  if (conflict) {
    classes.push('c-conflict');
    title += ' — differs from the leader\'s entry at this index (or, without a leader, from another member\'s)';
  }
  if (log.node.down) classes.push('c-down');
  return h('div', { class: classes.join(' '), style, title }, text);
}

// ---------------------------------------------------------------------------------------
// Shared drawing: the leader's progress table

function drawProgress(container, view) {
  const leader = view.leaderId ? view.nodes.get(view.leaderId).state : null;
  const signature = JSON.stringify([view.leaderId, leader && leader.progress, leader && leader.last_index, leader && leader.term]);
  if (unchanged(container, signature)) return;
  if (!leader) {
    fill(container, h('p', { class: 'empty' },
      'No leader, so nobody replicates. A follower that hears from no leader for an election timeout becomes a pre-candidate, then a candidate (§3.4, §9.6).'));
    return;
  }
  const progress = leader.progress || {};
  const ids = Object.keys(progress).sort(byId);
  if (!ids.length) {
    fill(container, h('p', { class: 'empty' }, `${view.leaderId} leads term ${show(leader.term)}; its state carries no progress.`));
    return;
  }
  const lastIndex = toNumber(leader.last_index) ?? 0;
  const table = h('table', { class: 'progress-table' },
    h('thead', null, h('tr', null,
      h('th', null, 'member'),
      h('th', { title: 'matchIndex: the highest index the leader knows the member holds (Figure 2)' }, 'match'),
      h('th', { title: 'nextIndex: the next index the leader sends it (Figure 2)' }, 'next'),
      h('th', { title: 'probe: one AppendEntries at a time until the logs match; replicate: pipelined; snapshot: an InstallSnapshot is under way' }, 'state'),
      h('th', { title: 'messages sent and not yet acknowledged' }, 'in flight'),
      h('th', { title: 'the leader\'s last index minus match' }, 'behind'))),
    h('tbody', null, ids.map((id) => {
      const p = progress[id] || {};
      const match = toNumber(p.match);
      const behind = match === null ? null : Math.max(0, lastIndex - match);
      const fill = lastIndex > 0 && match !== null ? Math.min(100, (match / lastIndex) * 100) : 0;
      return h('tr', { class: id === view.leaderId ? 'is-self' : '' },
        h('td', { class: 'p-id' }, id, id === view.leaderId ? h('small', null, ' (itself)') : null),
        h('td', { class: 'num' }, show(p.match)),
        h('td', { class: 'num' }, show(p.next)),
        h('td', null, known(p.state) ? h('span', { class: `chip chip-progress p-${p.state}` }, p.state) : '–'),
        h('td', { class: 'num' }, show(p.inflight)),
        h('td', { class: 'num behind' },
          h('span', { class: 'behind-bar' }, h('span', { style: `width:${fill}%` })),
          behind === null ? '–' : String(behind)));
    })));
  fill(container,
    h('p', { class: 'p-caption' }, `${view.leaderId} leads term ${show(leader.term)}; its last index is ${show(leader.last_index)}, commit ${show(leader.commit)}.`),
    table);
}

// ---------------------------------------------------------------------------------------
// Shared drawing: members on a ring, for message arrows and dots

const RING_WIDTH = 300;
const RING_HEIGHT = 210;
const RING_NODE_RADIUS = 17;

function ringPositions(ids) {
  const positions = new Map();
  const cx = RING_WIDTH / 2;
  const cy = RING_HEIGHT / 2 + 4;
  const radius = Math.min(RING_WIDTH, RING_HEIGHT) / 2 - RING_NODE_RADIUS - 12;
  ids.forEach((id, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, ids.length);
    positions.set(id, ids.length === 1 ? { x: cx, y: cy } : { x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle) });
  });
  return positions;
}

/** The point at fraction p along the lane from a to b; lanes bend right, so a→b and b→a do not overlap. */
function lanePoint(a, b, p, bend) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = Math.hypot(dx, dy) || 1;
  const nx = -dy / length;
  const ny = dx / length;
  const offset = Math.sin(Math.PI * p) * bend;
  return { x: a.x + dx * p + nx * offset, y: a.y + dy * p + ny * offset };
}

function ringNodes(view, positions) {
  return view.ids.map((id) => {
    const node = view.nodes.get(id) || {};
    const role = node.down ? 'DOWN' : (node.state ? node.state.role : 'UNKNOWN');
    const at = positions.get(id);
    return svg('g', { class: `ring-node ${roleClass(role)}` + (id === view.leaderId ? ' is-leader' : '') },
      svg('circle', { cx: at.x, cy: at.y, r: RING_NODE_RADIUS }),
      svg('text', { x: at.x, y: at.y + 4, 'text-anchor': 'middle' }, id),
      svg('title', null, `${id}: ${roleLabel(role)}`));
  });
}

// ---------------------------------------------------------------------------------------
// Live: streams, members, dev controls

const live = {
  members: new Map(),        // id -> { id, url, stream, state, hello, proc }
  originStream: null,        // this origin's /v1/events, until its hello names the node
  selfId: null,
  devControl: null,          // the dev controller's URL, if any
  servedByController: false,
  devTimer: null,
  limits: null,
  renderPending: false,
  ring: null,
};

function member(id) {
  let entry = live.members.get(id);
  if (!entry) {
    entry = { id, url: null, stream: null, state: null, hello: null, proc: null };
    live.members.set(id, entry);
  }
  return entry;
}

function trimUrl(url) {
  return String(url).replace(/\/+$/, '');
}

/** One EventSource, reopened every RETRY_MS after it fails, its status drawn on the card. */
class LiveStream {
  constructor(url, id) {
    this.url = url;
    this.id = id;
    this.status = 'connecting';
    this.downSince = null;
    this.source = null;
    this.retryTimer = null;
    this.open();
  }

  open() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    let source;
    try {
      source = new EventSource(this.url);
    } catch (error) {
      this.fail();
      return;
    }
    this.source = source;
    source.onopen = () => this.setStatus('up');
    source.onerror = () => {
      if (this.source !== source) return;
      // EventSource would retry on its own, at its own pace; closing and reopening keeps
      // the two-second rhythm and lets the card say what is going on.
      source.close();
      this.source = null;
      this.fail();
    };
    for (const name of ['hello', 'state', 'event']) {
      source.addEventListener(name, (event) => this.receive(name, event));
    }
    // Unnamed events, and events named "message", arrive here.
    source.onmessage = (event) => this.receive(null, event);
  }

  receive(name, event) {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (!data || typeof data !== 'object') return;
    if (this.status !== 'up') this.setStatus('up');
    onLiveData(this, name || inferKind(data), data);
  }

  close() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.source) this.source.close();
    this.source = null;
  }

  fail() {
    this.setStatus('down');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), RETRY_MS);
  }

  setStatus(status) {
    if (status === this.status) return;
    const previous = this.status;
    this.status = status;
    if (status === 'down') this.downSince = Date.now();
    onStreamStatus(this, previous, status);
  }
}

function inferKind(data) {
  if (['hello', 'state', 'event', 'message'].includes(data.event)) return data.event;
  if (['hello', 'state', 'event'].includes(data.type)) return data.type;
  if ('members' in data) return 'hello';
  if ('kind' in data) return 'event';
  if ('from' in data && 'to' in data) return 'message';
  if ('last_index' in data || 'role' in data) return 'state';
  return 'unknown';
}

function openMemberStream(id, url) {
  const entry = member(id);
  if (entry.stream || id === live.selfId) return;
  entry.url = trimUrl(url);
  entry.stream = new LiveStream(`${entry.url}/v1/events`, id);
}

function onLiveData(stream, kind, data) {
  const id = known(data.node) ? String(data.node) : stream.id;
  if (id) member(id).lastFrameAt = Date.now();
  if (kind === 'hello') onHello(stream, id, data);
  else if (kind === 'state' && id) {
    member(id).state = data;
  } else if (kind === 'event') {
    pushLiveEvent(data, id);
  } else if (kind === 'message') {
    pushLiveMessage(data, id);
  }
  scheduleLiveRender();
}

function onHello(stream, id, hello) {
  if (!id) return;
  if (stream === live.originStream && !live.selfId) {
    live.selfId = id;
    stream.id = id;
    const entry = member(id);
    if (entry.stream && entry.stream !== stream) entry.stream.close();
    entry.stream = stream;
  }
  const entry = member(id);
  entry.hello = hello;
  if (hello.limits) live.limits = hello.limits;
  for (const [memberId, url] of Object.entries(hello.members || {})) {
    const other = member(memberId);
    if (url) {
      if (memberId === live.selfId) other.url = other.url || trimUrl(url);
      else openMemberStream(memberId, url);
    }
  }
  // Only the node that served this page names the controller: the page sends the admin
  // token there, and other members' URLs come from peers, not from this page's origin.
  if (stream === live.originStream && hello.dev_control && !live.devControl) {
    live.devControl = trimUrl(hello.dev_control);
    startDevPolling();
  }
}

function onStreamStatus(stream, previous, status) {
  const node = stream.id || 'page';
  if (status === 'down' && previous === 'up') {
    pushFeed({ node, kind: 'stream', text: `stream down; retrying every ${RETRY_MS / 1000} s`, tone: 'bad' });
  } else if (status === 'down' && previous === 'connecting') {
    pushFeed({ node, kind: 'stream', text: `cannot open ${stream.url}; retrying every ${RETRY_MS / 1000} s`, tone: 'bad' });
  } else if (status === 'up' && previous === 'down') {
    pushFeed({ node, kind: 'stream', text: 'stream back', tone: 'good' });
  }
  scheduleLiveRender();
}

function liveView() {
  const ids = [...live.members.keys()].sort(byId);
  const nodes = new Map();
  for (const id of ids) {
    const entry = live.members.get(id);
    const stream = entry.stream;
    let down;
    let note;
    let noStateRole = null;
    if (!stream) {
      // Not known to be down: the page cannot reach it yet.
      down = false;
      noStateRole = 'UNKNOWN';
      note = entry.url ? 'no stream opened yet' : 'its client URL is not known yet';
    } else if (stream.status === 'down') {
      down = true;
      note = `stream down since ${formatClock(stream.downSince).slice(0, 8)}; retrying every ${RETRY_MS / 1000} s`;
    } else if (stream.status === 'up' && entry.lastFrameAt && Date.now() - entry.lastFrameAt > SILENT_MS) {
      // A watched node sends its state at least every 2 s: silence means paused, stuck or cut off.
      down = true;
      note = `silent for ${Math.round((Date.now() - entry.lastFrameAt) / 1000)} s (paused or stuck?)`;
    } else if (stream.status === 'connecting') {
      down = false;
      note = 'connecting…';
    } else {
      down = false;
      note = null;
    }
    nodes.set(id, { state: entry.state, down, note, proc: entry.proc, noStateRole });
  }
  const view = completeView({ ids, nodes, dev: !!live.devControl, noStateRole: 'CONNECTING' });
  view.config = liveConfig();
  return view;
}

function liveConfig() {
  const self = live.selfId && live.members.get(live.selfId);
  if (self && self.hello) return self.hello;
  for (const entry of live.members.values()) if (entry.hello) return entry.hello;
  return null;
}

function scheduleLiveRender() {
  if (live.renderPending) return;
  live.renderPending = true;
  requestAnimationFrame(() => {
    live.renderPending = false;
    renderLive();
  });
}

function renderLive() {
  const view = liveView();
  drawCards($('live-cards'), view, { onAction: devAction });
  $('live-empty').hidden = view.ids.length > 0;
  drawLogStrip($('live-log'), view);
  drawProgress($('live-progress'), view);
  drawTiming($('timing'), view);
  drawLiveRing(view);
  drawStatusLine(view);
  $('dev-bar').hidden = !live.devControl;
  $('dev-url').textContent = live.devControl ? `controller ${live.devControl}` : '';
  if (live.limits && known(live.limits.messages_per_s)) {
    $('messages-note').textContent = `a sample: at most ${live.limits.messages_per_s} a second from each member`;
  }
}

function drawStatusLine(view) {
  const line = $('status-line');
  if (!view.ids.length) {
    const origin = live.originStream;
    line.textContent = live.servedByController ? 'dev controller: waiting for the members…'
      : origin && origin.status === 'down' ? 'cannot reach this node\'s /v1/events; retrying…' : 'connecting to /v1/events…';
    line.className = 'status-line';
    return;
  }
  const count = view.ids.length;
  const down = view.ids.filter((id) => view.nodes.get(id).down).length;
  const leader = view.leaderId;
  const term = leader ? view.nodes.get(leader).state.term : view.maxTerm;
  let text = `${count} member${count === 1 ? '' : 's'}, ${leader ? `leader ${leader}` : 'no leader'}, term ${show(term)}`;
  if (down) text += `, ${down} down`;
  line.textContent = text;
  line.className = 'status-line' + (leader ? ' has-leader' : ' no-leader');
}

// Live: events feed -----------------------------------------------------------------------

function pushFeed(item) {
  const list = $('events');
  const li = h('li', { class: `feed-item tone-${item.tone || 'plain'}` },
    h('time', null, formatClock(item.t)),
    h('span', { class: 'f-node' }, item.node || ''),
    h('span', { class: `f-kind k-${item.kind}` }, item.kind),
    h('span', { class: 'f-text' }, item.text));
  list.prepend(li);
  while (list.children.length > EVENTS_MAX) list.lastElementChild.remove();
}

function pushLiveEvent(data, id) {
  const term = known(data.term) ? ` in term ${data.term}` : '';
  let text;
  let tone = 'plain';
  switch (data.kind) {
    case 'election':
      text = `starts an election${term}${known(data.role) ? ` as ${roleLabel(data.role).toLowerCase()}` : ''}`;
      tone = 'warn';
      break;
    case 'leader-change':
      text = known(data.leader) ? `learns that ${data.leader} leads${term}` : `knows no leader${term}`;
      tone = known(data.leader) ? 'good' : 'warn';
      break;
    case 'role-change':
      text = `becomes ${roleLabel(data.role).toLowerCase()}${term}`;
      tone = data.role === 'LEADER' ? 'good' : data.role === 'FOLLOWER' ? 'plain' : 'warn';
      break;
    case 'snapshot-taken':
      text = `takes a snapshot up to index ${show(data.index)}${known(data.ms) ? `, in ${formatMs(Number(data.ms))}` : ''}`;
      break;
    case 'snapshot-installed':
      text = `installs the leader's snapshot up to index ${show(data.index)}${known(data.ms) ? `, in ${formatMs(Number(data.ms))}` : ''}`;
      break;
    default:
      text = genericText(data, ['node', 't', 'kind']);
  }
  pushFeed({ t: data.t, node: id, kind: data.kind || 'event', text, tone });
}

// Live: messages ---------------------------------------------------------------------------

function messageDetails(data) {
  const parts = [];
  if (known(data.term)) parts.push(`term ${data.term}`);
  if (known(data.index)) parts.push(`at ${data.index}${known(data.log_term) ? `/t${data.log_term}` : ''}`);
  if (known(data.entries) && Number(data.entries) > 0) parts.push(`${data.entries} entr${Number(data.entries) === 1 ? 'y' : 'ies'}`);
  if (known(data.commit)) parts.push(`commit ${data.commit}`);
  return parts.join(' · ');
}

function pushLiveMessage(data) {
  const list = $('messages');
  const family = messageFamily(data.type);
  const skipped = toNumber(data.skipped) ?? 0;
  const li = h('li', { class: `msg fam-${family}` + (data.reject ? ' is-reject' : '') },
    h('time', null, formatClock(data.t).slice(3)),
    h('span', { class: 'msg-route' }, `${show(data.from)} → ${show(data.to)}`),
    h('span', { class: 'msg-type' }, show(data.type)),
    h('span', { class: 'msg-detail' }, messageDetails(data)),
    data.reject ? h('span', { class: 'chip chip-reject' }, 'reject') : null,
    skipped > 0 ? h('span', { class: 'chip chip-skipped', title: 'messages sent since the previous sample and not shown' }, `+${skipped} skipped`) : null);
  list.prepend(li);
  while (list.children.length > MESSAGES_MAX) list.lastElementChild.remove();
  launchDot(String(data.from), String(data.to), family, !!data.reject);
}

function drawLiveRing(view) {
  const container = $('live-ring');
  if (!live.ring) {
    const root = svg('svg', { viewBox: `0 0 ${RING_WIDTH} ${RING_HEIGHT}`, class: 'ring-svg', role: 'img', 'aria-label': 'messages between members' });
    const lanes = svg('g', { class: 'ring-lanes' });
    const dots = svg('g', { class: 'ring-dots' });
    const nodes = svg('g', { class: 'ring-nodes' });
    root.append(lanes, dots, nodes);
    fill(container, root, familyLegend());
    live.ring = { root, lanes, dots, nodes, positions: new Map(), flying: [], frame: 0, signature: null };
  }
  const ring = live.ring;
  const signature = JSON.stringify(view.ids.map((id) => {
    const node = view.nodes.get(id);
    return [id, node.down, node.state && node.state.role, id === view.leaderId];
  }));
  if (signature === ring.signature) return;
  ring.signature = signature;
  ring.positions = ringPositions(view.ids);
  const lanes = [];
  for (const a of view.ids) {
    for (const b of view.ids) {
      if (byId(a, b) >= 0) continue;
      const pa = ring.positions.get(a);
      const pb = ring.positions.get(b);
      lanes.push(svg('line', { x1: pa.x, y1: pa.y, x2: pb.x, y2: pb.y }));
    }
  }
  fill(ring.lanes, ...lanes);
  fill(ring.nodes, ...ringNodes(view, ring.positions));
}

function familyLegend() {
  return h('div', { class: 'family-legend' }, Object.keys(FAMILY_LABEL).filter((f) => f !== 'other').map((family) =>
    h('span', null, h('i', { class: `sw fam-${family}` }), FAMILY_LABEL[family])));
}

function launchDot(from, to, family, reject) {
  const ring = live.ring;
  if (!ring || !ring.positions.has(from) || !ring.positions.has(to) || from === to) return;
  if (ring.flying.length >= DOTS_MAX) ring.flying.shift().element.remove();
  const element = svg('circle', { r: 5, class: `dot fam-${family}` + (reject ? ' is-reject' : '') });
  ring.dots.append(element);
  ring.flying.push({ element, from, to, start: performance.now() });
  if (!ring.frame) ring.frame = requestAnimationFrame(moveDots);
}

function moveDots(now) {
  const ring = live.ring;
  ring.frame = 0;
  ring.flying = ring.flying.filter((dot) => {
    const p = (now - dot.start) / DOT_MS;
    const a = ring.positions.get(dot.from);
    const b = ring.positions.get(dot.to);
    if (p >= 1 || !a || !b) {
      dot.element.remove();
      return false;
    }
    const at = lanePoint(a, b, Math.max(0, p), 14);
    dot.element.setAttribute('cx', at.x.toFixed(1));
    dot.element.setAttribute('cy', at.y.toFixed(1));
    dot.element.setAttribute('opacity', (p < 0.1 ? p / 0.1 : p > 0.85 ? (1 - p) / 0.15 : 1).toFixed(2));
    return true;
  });
  if (ring.flying.length) ring.frame = requestAnimationFrame(moveDots);
}

// Live: timing -----------------------------------------------------------------------------

function drawTiming(container, view) {
  const config = view.config;
  const rows = view.ids.map((id) => ({ id, state: view.nodes.get(id).state, down: view.nodes.get(id).down }))
    .filter((row) => row.state);
  const signature = JSON.stringify([config && [config.heartbeat_ms, config.election_timeout_ms, config.request_timeout_ms],
    rows.map((row) => [row.id, row.down, row.state.fsync_ms, row.state.snapshot_ms])]);
  if (unchanged(container, signature)) return;
  if (!config) {
    fill(container, h('p', { class: 'empty' }, 'Waiting for a hello, which carries the timeouts.'));
    return;
  }
  const heartbeat = toNumber(config.heartbeat_ms);
  const election = toNumber(config.election_timeout_ms);
  const request = toNumber(config.request_timeout_ms);

  let largest = Math.max(1000, (request ?? 0) * 2, (election ?? 0) * 4);
  for (const row of rows) {
    for (const window of [row.state.fsync_ms, row.state.snapshot_ms]) {
      if (window && known(window.max)) largest = Math.max(largest, Number(window.max) * 1.5);
    }
  }
  const low = 0.1;
  const high = Math.pow(10, Math.ceil(Math.log10(largest)));
  const markers = [
    { ms: heartbeat, name: 'heartbeat', cls: 'mk-heartbeat' },
    { ms: election, name: 'election timeout', cls: 'mk-election' },
    { ms: request, name: 'request timeout', cls: 'mk-request' },
  ].filter((marker) => marker.ms !== null);
  const width = 480;
  const left = 40;
  const right = 470;
  const x = (ms) => left + ((Math.log10(Math.max(low, Math.min(high, ms))) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * (right - left);
  const top = 14 + markers.length * 12 + 16;
  const rowHeight = 36;
  const height = top + Math.max(1, rows.length) * rowHeight + 4;

  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'timing-svg', role: 'img', 'aria-label': 'fsync and snapshot times against the timeouts, log scale' });
  drawTimingAxes(root, { x, low, high, right, top, height }, markers);
  rows.forEach((row, i) => {
    const y = top + i * rowHeight + 4;
    root.append(svg('text', { class: 'row-label' + (row.down ? ' is-down' : ''), x: 4, y: y + 17 }, row.id));
    timingBar(root, x, left, y, 'fsync', row.state.fsync_ms, election, 'bar-fsync');
    timingBar(root, x, left, y + 16, 'snapshot', row.state.snapshot_ms, election, 'bar-snapshot');
  });
  if (!rows.length) {
    root.append(svg('text', { class: 'axis', x: left, y: top + 22 }, 'no member state yet'));
  }
  fill(container, root, ...timingNotes());
}

function drawTimingAxes(root, scale, markers) {
  const { x, low, high, right, top, height } = scale;
  for (let decade = low; decade <= high * 1.0001; decade *= 10) {
    const at = x(decade);
    root.append(svg('line', { class: 'grid', x1: at, y1: top - 6, x2: at, y2: height - 2 }),
      svg('text', { class: 'axis', x: at, y: top - 9, 'text-anchor': at > right - 12 ? 'end' : 'middle' }, decadeLabel(decade)));
  }
  // One line of text per marker, so that close timeouts do not print over each other.
  markers.forEach((marker, i) => {
    const at = x(marker.ms);
    const label = `${marker.name} ${formatMs(marker.ms)}`;
    const anchor = at > right - 70 ? 'end' : at < 110 ? 'start' : 'middle';
    const labelY = 11 + i * 12;
    root.append(svg('line', { class: `marker-lead ${marker.cls}`, x1: at, y1: labelY + 2, x2: at, y2: top - 4 }),
      svg('line', { class: `marker ${marker.cls}`, x1: at, y1: top - 4, x2: at, y2: height - 2 }),
      svg('text', { class: `marker-label ${marker.cls}`, x: anchor === 'end' ? at - 3 : anchor === 'start' ? at + 3 : at, y: labelY, 'text-anchor': anchor }, label));
  });
}

function timingNotes() {
  return [
    h('div', { class: 'timing-legend' },
      h('span', null, h('i', { class: 'sw bar-fsync' }), 'fsync p99'),
      h('span', null, h('i', { class: 'sw bar-snapshot' }), 'snapshot p99'),
      h('span', null, h('i', { class: 'sw bar-late' }), 'at or past the election timeout'),
      h('span', { class: 'muted' }, '┊ p50 · ⊢ max')),
    h('p', { class: 'note' },
      'A snapshot must take less than an election timeout, and an election timeout less than a request timeout. ',
      'A node that stalls longer than the election timeout (a slow fsync, a long snapshot) looks dead to its peers, ',
      'and they elect another leader; a client that gives up before an election can finish sees errors instead of a new leader ',
      '(§3.4: broadcastTime ≪ electionTimeout ≪ MTBF).'),
  ];
}

function decadeLabel(ms) {
  return ms < 1000 ? `${Number(ms.toPrecision(1))} ms` : `${ms / 1000} s`;
}

function timingBar(root, x, left, y, name, window, election, cls) {
  const count = window ? toNumber(window.count) ?? 0 : 0;
  if (!window || count === 0 || !known(window.p99)) {
    root.append(svg('text', { class: 'bar-none', x: left + 4, y: y + 9 }, `${name}: none yet`));
    return;
  }
  const p99 = Number(window.p99);
  const late = election !== null && p99 >= election;
  const end = x(p99);
  root.append(svg('rect', { class: `bar ${cls}` + (late ? ' bar-late' : ''), x: left, y, width: Math.max(2, end - left), height: 11, rx: 2 },
    svg('title', null, `${name}: p50 ${formatMs(toNumber(window.p50))}, p99 ${formatMs(p99)}, max ${formatMs(toNumber(window.max))}, ${count} samples`)));
  if (known(window.p50)) {
    const at = x(Number(window.p50));
    root.append(svg('line', { class: 'p50', x1: at, y1: y - 1, x2: at, y2: y + 12 }));
  }
  if (known(window.max)) {
    const at = x(Number(window.max));
    root.append(svg('line', { class: 'whisker', x1: end, y1: y + 5.5, x2: at, y2: y + 5.5 }),
      svg('line', { class: 'whisker', x1: at, y1: y + 1, x2: at, y2: y + 10 }));
  }
  const labelAt = Math.max(end, known(window.max) ? x(Number(window.max)) : end) + 5;
  const anchor = labelAt > 400 ? 'end' : 'start';
  root.append(svg('text', { class: 'bar-label' + (late ? ' is-late' : ''), x: anchor === 'end' ? end - 5 : labelAt, y: y + 9.5, 'text-anchor': anchor },
    `${name} ${formatMs(p99)}`));
}

// Live: dev controls -----------------------------------------------------------------------

function startDevPolling() {
  if (live.devTimer) return;
  pollCluster();
  live.devTimer = setInterval(pollCluster, DEV_POLL_MS);
}

async function pollCluster() {
  if (!live.devControl) return;
  try {
    const response = await fetch(`${live.devControl}/dev/cluster`, { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    applyCluster(await response.json());
    $('dev-url').classList.remove('is-bad');
  } catch (error) {
    $('dev-url').classList.add('is-bad');
    $('dev-url').title = `the controller did not answer: ${error.message}`;
  }
}

function applyCluster(cluster) {
  for (const [id, info] of Object.entries((cluster && cluster.members) || {})) {
    const entry = member(id);
    entry.proc = info && info.state ? String(info.state) : null;
    if (info && info.url) openMemberStream(id, info.url);
  }
  scheduleLiveRender();
}

function token() {
  return $('token').value.trim();
}

function saveToken() {
  try {
    sessionStorage.setItem(TOKEN_KEY, token());
  } catch (error) {
    // Storage can be unavailable (a private window's policy); the field still holds the token.
  }
}

async function devAction(id, action) {
  if (!live.devControl) return;
  const answer = $('dev-answer');
  const button = document.querySelector(`button[data-action="${action}"][data-node="${CSS.escape(id)}"]`);
  if (button) button.classList.add('is-busy');
  const headers = {};
  if (token()) headers.Authorization = `Bearer ${token()}`;
  answer.className = 'dev-answer';
  answer.textContent = `${id} ${action}…`;
  try {
    const response = await fetch(`${live.devControl}/dev/nodes/${encodeURIComponent(id)}/${action}`, { method: 'POST', headers });
    const text = await response.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch (error) {
      body = null;
    }
    if (response.ok) {
      const state = body && body.state ? `, now ${body.state}` : '';
      answer.className = 'dev-answer is-ok';
      answer.textContent = `${id} ${action}: ok${state}`;
      pushFeed({ node: id, kind: 'dev', text: `${action}: ok${state}`, tone: 'good' });
    } else {
      let reason = errorText(body) || text.trim() || response.statusText;
      if (response.status === 401 && !/token/i.test(reason)) reason += ' (enter the admin token above)';
      if (response.status === 403 && !/token/i.test(reason)) reason += ' (the admin token is wrong)';
      answer.className = 'dev-answer is-bad';
      answer.textContent = `${id} ${action}: ${response.status} ${reason}`;
      pushFeed({ node: id, kind: 'dev', text: `${action}: ${response.status} ${reason}`, tone: 'bad' });
      if (response.status === 401) $('token').focus();
    }
  } catch (error) {
    answer.className = 'dev-answer is-bad';
    answer.textContent = `${id} ${action}: the controller did not answer (${error.message})`;
  } finally {
    if (button) button.classList.remove('is-busy');
    pollCluster();
  }
}

function errorText(body) {
  if (!body || typeof body !== 'object') return null;
  const error = body.error;
  if (error && typeof error === 'object') return [error.code, error.message].filter(known).join(': ') || JSON.stringify(error);
  return [typeof error === 'string' ? error : null, body.message].filter(known).join(': ') || null;
}

async function startLive() {
  let cluster = null;
  if (location.protocol === 'http:' || location.protocol === 'https:') {
    try {
      const response = await fetch('/dev/cluster', { cache: 'no-store' });
      if (response.ok) cluster = await response.json();
    } catch (error) {
      cluster = null;
    }
  }
  if (cluster && cluster.members && typeof cluster.members === 'object') {
    // Served by the dev controller: it knows every member's URL, and takes the actions.
    live.servedByController = true;
    live.devControl = location.origin;
    applyCluster(cluster);
    startDevPolling();
  } else {
    live.originStream = new LiveStream('/v1/events', null);
    setInterval(relearnMembers, MEMBERS_REFRESH_MS);
  }
  setInterval(scheduleLiveRender, 1000); // Silence shows even when no frame arrives.
  scheduleLiveRender();
}

/**
 * A hello names a member's URL as null until the node knows it, and a stream sends its
 * hello once; while some member's URL is still unknown, this node's stream is reopened
 * now and then for a fresh hello.
 */
function relearnMembers() {
  const origin = live.originStream;
  const unknownUrl = [...live.members.values()].some((entry) => !entry.stream && !entry.url);
  if (unknownUrl && origin && origin.status === 'up') {
    origin.close();
    origin.open();
  }
}

// ---------------------------------------------------------------------------------------
// Replay

const replay = {
  bySeed: new Map(),
  seed: null,
  steps: [],          // [{ tick, records }]
  states: [],         // states[k]: Map id -> latest state at or before step k
  ids: [],
  derived: false,     // true when the trace has no state events
  k: 0,
  playing: false,
  timer: null,
  lineCount: 0,
  unreadable: 0,
};

function loadTrace(text) {
  stopPlaying();
  const records = [];
  let unreadable = 0;
  for (const line of String(text).split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    try {
      const record = JSON.parse(trimmed);
      if (record && typeof record === 'object' && !Array.isArray(record)) records.push(record);
      else unreadable++;
    } catch (error) {
      unreadable++;
    }
  }
  const bySeed = new Map();
  for (const record of records) {
    const seed = known(record.seed) ? String(record.seed) : '';
    if (!bySeed.has(seed)) bySeed.set(seed, []);
    bySeed.get(seed).push(record);
  }
  replay.bySeed = bySeed;
  replay.lineCount = records.length;
  replay.unreadable = unreadable;
  const select = $('replay-seed');
  fill(select, ...[...bySeed.keys()].map((seed) => h('option', { value: seed }, seed || '(none)')));
  $('replay-seed-label').hidden = bySeed.size <= 1;
  showTab('replay');
  selectSeed(bySeed.size ? [...bySeed.keys()][0] : null);
  return { seeds: [...bySeed.keys()], steps: replay.steps.length, records: records.length, unreadable };
}

function selectSeed(seed) {
  stopPlaying();
  replay.seed = seed;
  buildReplay(seed === null ? [] : replay.bySeed.get(seed) || []);
  if (seed !== null) $('replay-seed').value = seed;
  drawTimeline();
  goTo(0);
}

/** Groups the records into steps, one per distinct tick, and computes the states at every step. */
function buildReplay(records) {
  const stepByTick = new Map();
  const steps = [];
  for (const record of records) {
    const tick = known(record.tick) ? String(record.tick) : '';
    let step = stepByTick.get(tick);
    if (!step) {
      step = { tick, records: [] };
      stepByTick.set(tick, step);
      steps.push(step);
    }
    step.records.push(record);
  }
  const derived = !records.some((record) => record.event === 'state');
  const ids = new Set();
  for (const record of records) {
    for (const field of ['node', 'from', 'to']) {
      if (known(record[field]) && typeof record[field] !== 'object') ids.add(String(record[field]));
    }
    if (record.event === 'tick' && typeof record.nodes === 'string') {
      for (const part of record.nodes.split(/\s+/)) {
        const at = part.indexOf('=');
        if (at > 0) ids.add(part.slice(0, at));
      }
    }
  }
  // Stepping backwards must draw exactly what stepping forwards drew, so the state at each
  // step is computed once, from the records up to it, and kept.
  const states = [];
  let current = new Map();
  for (const step of steps) {
    current = new Map(current);
    for (const record of step.records) {
      if (derived) applyDerived(current, record);
      else if (record.event === 'state' && known(record.node)) current.set(String(record.node), record);
    }
    states.push(current);
  }
  replay.steps = steps;
  replay.states = states;
  replay.ids = [...ids].sort(byId);
  replay.derived = derived;
  replay.k = 0;

  const ticks = steps.map((step) => step.tick);
  const summary = [];
  if (replay.seed) summary.push(`seed ${replay.seed}`);
  if (steps.length) summary.push(`ticks ${ticks[0]}–${ticks[ticks.length - 1]}`);
  summary.push(`${steps.length} steps`, `${replay.ids.length} members`, `${records.length} events`);
  if (replay.unreadable) summary.push(`${replay.unreadable} unreadable lines skipped`);
  $('trace-summary').textContent = summary.join(' · ');
  $('replay-note').textContent = derived && steps.length
    ? 'This trace has no state events: the cards show what its tick, elected, commit, crash and snapshot lines tell (commit and last are at least what is drawn).' : '';
}

/**
 * Sets fields of a node's derived state. Lines about a node arrive at different times, so
 * the fields are kept consistent with what a state always satisfies, snapshot ≤ applied ≤
 * commit ≤ last: commit and last are lower bounds where no line states them.
 */
function patchDerived(states, id, fields) {
  const next = { ...(states.get(id) || { node: id, up: true, role: 'FOLLOWER' }), ...fields };
  if (known(next.snapshot_index) && known(next.applied)) next.applied = Math.max(next.applied, next.snapshot_index);
  const floor = Math.max(next.applied ?? 0, next.snapshot_index ?? 0);
  if (floor > 0 || known(next.commit)) next.commit = Math.max(next.commit ?? 0, floor);
  if (known(next.commit)) next.last_index = Math.max(next.last_index ?? 0, next.commit);
  states.set(id, next);
}

/** "3/120", a snapshot's or a proposal's term and index as the trace writes them. */
function parseTermIndex(text) {
  const match = /^(\d+)\/(\d+)$/.exec(String(text || ''));
  return match ? { term: Number(match[1]), index: Number(match[2]) } : null;
}

/** For traces without state events: a partial state from the lines that say something about a node. */
function applyDerived(states, record) {
  const id = known(record.node) ? String(record.node) : null;
  switch (record.event) {
    case 'tick':
      derivedFromTick(states, String(record.nodes || ''));
      break;
    case 'crash':
      patchDerived(states, id, { up: false });
      break;
    case 'restart':
      patchDerived(states, id, derivedFromDurable(String(record.durable || '')));
      break;
    case 'elected':
      patchDerived(states, id, { up: true, role: 'LEADER', term: toNumber(record.term), leader: id, vote: id, last_index: toNumber(record.last) });
      break;
    case 'commit': {
      const match = /(\d+)$/.exec(String(record.index || ''));
      if (match) patchDerived(states, id, { commit: Number(match[1]) });
      break;
    }
    case 'propose': {
      const at = parseTermIndex(record.at);
      if (at) patchDerived(states, id, { last_index: at.index, last_term: at.term });
      break;
    }
    case 'snapshot':
    case 'install': {
      const at = parseTermIndex(record.event === 'snapshot' ? record.at : record.snapshot);
      if (at) patchDerived(states, id, { snapshot_index: at.index, snapshot_term: at.term });
      break;
    }
    default:
      break;
  }
}

/** A tick line: "n1=F2@14 n2=L2@15 n3=down", each node's role letter, term and applied index. */
function derivedFromTick(states, nodes) {
  for (const part of nodes.split(/\s+/)) {
    const match = /^([^=]+)=(?:([FPCL])(\d+)@(\d+)|(down))$/.exec(part);
    if (!match) continue;
    const id = match[1];
    if (match[5]) {
      patchDerived(states, id, { up: false });
      continue;
    }
    const role = TRACE_ROLE_LETTER[match[2]];
    const fields = { up: true, role, term: Number(match[3]), applied: Number(match[4]) };
    const previous = states.get(id);
    if (role !== 'LEADER' && previous && previous.leader === id) fields.leader = null;
    patchDerived(states, id, fields);
  }
}

/** What a restarted node starts from: "HardState[term=1, votedFor=n3, commitIndex=0] log=1..20". */
function derivedFromDurable(durable) {
  const term = /term=(\d+)/.exec(durable);
  const vote = /votedFor=([^,\]]+)/.exec(durable);
  const commit = /commitIndex=(\d+)/.exec(durable);
  const log = /log=(\d+)\.\.(\d+)/.exec(durable);
  // Applied is unknown until the next tick line; what the node knew before the crash is gone.
  const fields = { up: true, role: 'FOLLOWER', leader: null, applied: null, commit: null, last_index: null };
  if (term) fields.term = Number(term[1]);
  if (vote) fields.vote = vote[1] === 'null' ? null : vote[1];
  if (commit) fields.commit = Number(commit[1]);
  if (log) fields.last_index = Math.max(Number(log[2]), Number(log[1]) - 1);
  return fields;
}

function replayView(k) {
  const states = replay.states[k] || new Map();
  const nodes = new Map();
  for (const id of replay.ids) {
    const state = states.get(id) || null;
    const down = !!state && state.up === false;
    nodes.set(id, { state, down, note: down ? 'down: crashed, or not yet restarted' : null });
  }
  return completeView({ ids: replay.ids, nodes, dev: false, noStateRole: 'UNKNOWN' });
}

function goTo(k) {
  const count = replay.steps.length;
  replay.k = Math.max(0, Math.min(Math.max(0, count - 1), k));
  renderReplay();
}

function renderReplay() {
  const count = replay.steps.length;
  const k = replay.k;
  const step = replay.steps[k];
  const slider = $('step-slider');
  slider.max = String(Math.max(1, count));
  slider.value = String(count ? k + 1 : 1);
  slider.disabled = count === 0;
  $('replay-tick').textContent = step ? String(step.tick) : '–';
  $('replay-step').textContent = `step ${count ? k + 1 : 0} of ${count}`;
  for (const id of ['step-start', 'step-back']) $(id).disabled = k <= 0;
  for (const id of ['step-end', 'step-forward']) $(id).disabled = k >= count - 1;
  $('play').disabled = count <= 1;
  moveTimelineCursor();

  $('replay-intro').hidden = count > 0;
  $('replay-body').hidden = count === 0;
  const view = replayView(k);
  drawCards($('replay-cards'), view, {});
  drawLogStrip($('replay-log'), view);
  drawProgress($('replay-progress'), view);
  drawStepDetails(step ? step.records : [], view);
}

function messageType(record) {
  if (known(record.type)) return String(record.type);
  const first = String(record.message || '').split(/\s+/)[0];
  return first || '?';
}

function drawStepDetails(records, view) {
  const messages = records.filter((r) => r.event === 'deliver' || r.event === 'drop' || r.event === 'duplicate');
  const checks = records.filter((r) => r.event === 'checks' || r.event === 'check' || r.event === 'violation');
  const others = records.filter((r) => !messages.includes(r) && !checks.includes(r));

  const delivered = messages.filter((r) => r.event === 'deliver').length;
  const dropped = messages.filter((r) => r.event === 'drop').length;
  const duplicated = messages.length - delivered - dropped;
  $('replay-messages-note').textContent = messages.length
    ? `${delivered} delivered, ${dropped} dropped${duplicated ? `, ${duplicated} duplicated` : ''}` : '';
  drawReplayRing(view, messages);
  fill($('replay-messages'), ...(messages.length ? messages.slice(0, REPLAY_ROWS_MAX).map((r) => {
    const type = messageType(r);
    return h('li', { class: `msg fate-${r.event} fam-${messageFamily(type)}` },
      h('span', { class: `chip chip-fate fate-${r.event}` }, r.event === 'deliver' ? 'delivered' : r.event === 'drop' ? 'dropped' : 'duplicated'),
      h('span', { class: 'msg-route' }, `${show(r.from)} → ${show(r.to)}`),
      h('span', { class: 'msg-type' }, type),
      h('span', { class: 'msg-detail' }, known(r.message) ? String(r.message).replace(type, '').trim() : messageDetails(r)),
      r.event !== 'deliver' && known(r.reason) ? h('span', { class: 'msg-reason' }, String(r.reason)) : null);
  }) : [h('li', { class: 'empty' }, 'No message delivered or dropped at this step.')]),
  messages.length > REPLAY_ROWS_MAX ? h('li', { class: 'empty' }, `and ${messages.length - REPLAY_ROWS_MAX} more`) : null);

  fill($('replay-checks'), ...(checks.length ? checks.map(checkBlock)
    : [h('p', { class: 'empty' }, lastCheckNote())]));

  const stateIds = others.filter((r) => r.event === 'state').map((r) => String(r.node));
  const listed = others.filter((r) => r.event !== 'state');
  fill($('replay-other'),
    ...listed.slice(0, REPLAY_ROWS_MAX).map((r) => h('li', { class: `feed-item k-${r.event}` },
      h('span', { class: 'f-node' }, known(r.node) ? String(r.node) : ''),
      h('span', { class: `f-kind k-${r.event}` }, show(r.event)),
      h('span', { class: 'f-text' }, traceEventText(r)))),
    stateIds.length ? h('li', { class: 'feed-item muted' }, h('span', { class: 'f-node' }), h('span', { class: 'f-kind k-state' }, 'state'),
      h('span', { class: 'f-text' }, `new state written for ${stateIds.join(', ')}`)) : null,
    !listed.length && !stateIds.length ? h('li', { class: 'empty' }, 'Nothing else happened at this step.') : null);
}

function lastCheckNote() {
  for (let k = replay.k - 1; k >= 0; k--) {
    const record = replay.steps[k].records.find((r) => r.event === 'checks' || r.event === 'check' || r.event === 'violation');
    if (record) return `No checks at this step. The last ran at tick ${replay.steps[k].tick}${record.event === 'violation' ? ' and found a violation' : record.ok === false ? ' and failed' : ' and held'}.`;
  }
  return 'No checks at this step.';
}

function checkBlock(record) {
  if (record.event === 'violation') {
    return h('div', { class: 'check check-violation' },
      h('div', { class: 'check-title' }, '✗ ', show(record.property), ' violated'),
      h('pre', { class: 'evidence' }, typeof record.evidence === 'object' ? JSON.stringify(record.evidence, null, 2) : show(record.evidence)));
  }
  if (record.event === 'check') {
    return h('div', { class: 'check check-ok' },
      h('div', { class: 'check-title' }, '✓ ', show(record.property)),
      known(record.result) ? h('p', null, String(record.result)) : null);
  }
  const ok = record.ok !== false && record.ok !== 'false';
  const properties = Array.isArray(record.properties) ? record.properties : [];
  return h('div', { class: 'check ' + (ok ? 'check-ok' : 'check-violation') },
    h('div', { class: 'check-title' }, ok ? `✓ ${properties.length} properties held` : '✗ a property failed'),
    h('ul', { class: 'check-list' }, properties.map((property) => {
      const name = typeof property === 'object' && property ? (property.name ?? property.property ?? JSON.stringify(property)) : String(property);
      const held = typeof property === 'object' && property && 'ok' in property ? property.ok !== false : ok;
      return h('li', { class: held ? 'held' : 'failed' }, held ? '✓ ' : '✗ ', name);
    })));
}

function traceEventText(r) {
  const v = show;
  switch (r.event) {
    case 'elected': return `is elected leader of term ${v(r.term)} (its last index ${v(r.last)})`;
    case 'commit': return `commits ${v(r.index)} (term ${v(r.term)})`;
    case 'crash': return `crashes; restarts at tick ${v(r.restart)}. Its disk holds ${v(r.durable)}`;
    case 'restart': return `starts with ${v(r.durable)}`;
    case 'snapshot': return `takes a snapshot at ${v(r.at)} (term/index)${known(r.bytes) ? `, ${r.bytes} bytes` : ''}`;
    case 'install': return `installs the leader's snapshot ${v(r.snapshot)} (term/index)`;
    case 'links': return v(r.detail);
    case 'heal': return `${v(r.detail)}`;
    case 'propose': return `proposes ${v(r.command)}${known(r.at) ? `, accepted at ${r.at} (term/index)` : ''}`;
    case 'read': return `asks for a linearizable read ${v(r.context)}${known(r.committed) ? ` (its commit ${r.committed})` : ''}`;
    case 'read-ok': return `answers read ${v(r.context)} at index ${v(r.index)} (applied ${v(r.applied)})`;
    case 'read-fail': return v(r.read);
    case 'transfer': return `transfers leadership to ${v(r.to)}`;
    case 'tick': return typeof r.nodes === 'string' ? r.nodes : genericText(r, ['seed', 'tick', 'event']);
    case 'options': return typeof r.options === 'string' ? r.options : genericText(r, ['seed', 'tick', 'event']);
    default: return genericText(r, ['seed', 'tick', 'event', 'node']);
  }
}

function genericText(record, skip) {
  return Object.entries(record).filter(([key]) => !skip.includes(key))
    .map(([key, value]) => `${key}=${value !== null && typeof value === 'object' ? JSON.stringify(value) : value}`).join(' ');
}

function drawReplayRing(view, messages) {
  const container = $('replay-ring');
  const positions = ringPositions(view.ids);
  const root = svg('svg', { viewBox: `0 0 ${RING_WIDTH} ${RING_HEIGHT}`, class: 'ring-svg', role: 'img', 'aria-label': 'this step\'s messages' },
    svg('defs', null, ['deliver', 'drop', 'duplicate'].map((fate) => svg('marker', {
      id: `arrow-${fate}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse',
    }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrowhead fate-${fate}` })))));
  const lanes = svg('g', { class: 'ring-lanes' });
  for (const a of view.ids) {
    for (const b of view.ids) {
      if (byId(a, b) >= 0) continue;
      const pa = positions.get(a);
      const pb = positions.get(b);
      lanes.append(svg('line', { x1: pa.x, y1: pa.y, x2: pb.x, y2: pb.y }));
    }
  }
  root.append(lanes);
  // One arrow per sender, receiver and fate; its width grows with how many it stands for.
  const groups = new Map();
  for (const r of messages) {
    const key = `${r.from}\u0000${r.to}\u0000${r.event}`;
    if (!groups.has(key)) groups.set(key, { from: String(r.from), to: String(r.to), fate: r.event, records: [] });
    groups.get(key).records.push(r);
  }
  const arrows = svg('g', { class: 'ring-arrows' });
  for (const group of groups.values()) {
    const a = positions.get(group.from);
    const b = positions.get(group.to);
    if (!a || !b || a === b) continue;
    const bend = group.fate === 'deliver' ? 16 : group.fate === 'drop' ? 30 : 42;
    const trim = (RING_NODE_RADIUS + 3) / Math.max(1, Math.hypot(b.x - a.x, b.y - a.y));
    const start = lanePoint(a, b, trim, bend);
    const end = lanePoint(a, b, 1 - trim, bend);
    const middle = lanePoint(a, b, 0.5, bend);
    const control = { x: 2 * middle.x - (start.x + end.x) / 2, y: 2 * middle.y - (start.y + end.y) / 2 };
    const width = Math.min(4, 1.4 + 0.6 * (group.records.length - 1));
    const title = group.records.map((r) => `${r.from} → ${r.to} ${r.event}: ${show(r.message || messageType(r))}${known(r.reason) && r.event !== 'deliver' ? ` (${r.reason})` : ''}`).join('\n');
    arrows.append(svg('path', {
      class: `arrow fate-${group.fate}`, d: `M${start.x.toFixed(1)},${start.y.toFixed(1)} Q${control.x.toFixed(1)},${control.y.toFixed(1)} ${end.x.toFixed(1)},${end.y.toFixed(1)}`,
      'stroke-width': width, 'marker-end': `url(#arrow-${group.fate})`,
    }, svg('title', null, title)));
    if (group.fate === 'drop') {
      arrows.append(svg('text', { class: 'drop-cross', x: middle.x, y: middle.y + 4, 'text-anchor': 'middle' }, '✕', svg('title', null, title)));
    }
    if (group.records.length > 1) {
      arrows.append(svg('text', { class: 'arrow-count', x: middle.x, y: middle.y - 5, 'text-anchor': 'middle' }, `×${group.records.length}`));
    }
  }
  root.append(arrows, svg('g', { class: 'ring-nodes' }, ringNodes(view, positions)));
  fill(container, root,
    h('div', { class: 'family-legend' },
      h('span', null, h('i', { class: 'sw fate-deliver' }), 'delivered'),
      h('span', null, h('i', { class: 'sw fate-drop' }), 'dropped ✕'),
      h('span', null, h('i', { class: 'sw fate-duplicate' }), 'duplicated')));
}

// Replay: the timeline under the slider ------------------------------------------------------

const MARK_PRIORITY = { violation: 4, elected: 3, crash: 2, restart: 2, links: 1 };

function drawTimeline() {
  const container = $('replay-timeline');
  const count = replay.steps.length;
  const width = 1000;
  const root = svg('svg', { viewBox: `0 0 ${width} 16`, preserveAspectRatio: 'none', class: 'timeline-svg' });
  root.append(svg('rect', { class: 'tl-track', x: 0, y: 3, width, height: 10, rx: 2 }));
  if (count > 0) {
    const buckets = Math.min(TIMELINE_BUCKETS_MAX, count);
    const marks = new Array(buckets).fill(null);
    replay.steps.forEach((step, k) => {
      const bucket = Math.min(buckets - 1, Math.floor((k / count) * buckets));
      for (const record of step.records) {
        let kind = record.event;
        if (kind === 'checks' && record.ok === false) kind = 'violation';
        if (kind === 'heal') kind = 'links';
        const priority = MARK_PRIORITY[kind];
        if (priority && (!marks[bucket] || MARK_PRIORITY[marks[bucket]] < priority)) marks[bucket] = kind;
      }
    });
    marks.forEach((kind, bucket) => {
      if (!kind) return;
      root.append(svg('rect', {
        class: `tl-mark mark-${kind === 'restart' ? 'crash' : kind}`,
        x: (bucket / buckets) * width, y: 3, width: Math.max(2, width / buckets), height: 10,
      }));
    });
  }
  const cursor = svg('rect', { class: 'tl-cursor', x: 0, y: 0, width: 3, height: 16 });
  root.append(cursor);
  container._cursor = cursor;
  fill(container, root);
}

function moveTimelineCursor() {
  const cursor = $('replay-timeline')._cursor;
  const count = replay.steps.length;
  if (!cursor) return;
  cursor.setAttribute('x', String(count > 1 ? (replay.k / (count - 1)) * 997 : 0));
}

// Replay: playing ----------------------------------------------------------------------------

function startPlaying() {
  if (replay.steps.length <= 1) return;
  if (replay.k >= replay.steps.length - 1) goTo(0);
  replay.playing = true;
  $('play').textContent = '⏸ Pause';
  $('play').classList.add('is-playing');
  const rate = Number($('play-speed').value) || 5;
  clearInterval(replay.timer);
  replay.timer = setInterval(() => {
    if (replay.k >= replay.steps.length - 1) {
      stopPlaying();
      return;
    }
    goTo(replay.k + 1);
  }, 1000 / rate);
}

function stopPlaying() {
  replay.playing = false;
  clearInterval(replay.timer);
  replay.timer = null;
  const button = $('play');
  if (button) {
    button.textContent = '▶ Play';
    button.classList.remove('is-playing');
  }
}

function togglePlaying() {
  if (replay.playing) stopPlaying();
  else startPlaying();
}

// ---------------------------------------------------------------------------------------
// Tabs and wiring

function showTab(name) {
  for (const tab of ['live', 'replay']) {
    const active = tab === name;
    $(tab).hidden = !active;
    $(`tab-${tab}`).setAttribute('aria-selected', String(active));
    $(`tab-${tab}`).classList.toggle('is-active', active);
  }
  if (name !== 'replay') stopPlaying();
  const hash = name === 'replay' ? '#replay' : '';
  if (location.hash !== hash) history.replaceState(null, '', hash || location.pathname + location.search);
}

function readFile(file) {
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => loadTrace(String(reader.result));
  reader.onerror = () => {
    $('trace-summary').textContent = `Could not read ${file.name}: ${reader.error && reader.error.message}`;
  };
  $('trace-summary').textContent = `Reading ${file.name}…`;
  reader.readAsText(file);
}

function wire() {
  $('tab-live').addEventListener('click', () => showTab('live'));
  $('tab-replay').addEventListener('click', () => showTab('replay'));

  try {
    $('token').value = sessionStorage.getItem(TOKEN_KEY) || '';
  } catch (error) {
    $('token').value = '';
  }
  $('token').addEventListener('change', saveToken);
  $('token-save').addEventListener('click', () => {
    saveToken();
    $('dev-answer').className = 'dev-answer is-ok';
    $('dev-answer').textContent = token() ? 'token kept for this tab' : 'token cleared';
  });

  $('trace-file').addEventListener('change', (event) => readFile(event.target.files && event.target.files[0]));
  $('replay-seed').addEventListener('change', (event) => selectSeed(event.target.value));
  $('step-start').addEventListener('click', () => goTo(0));
  $('step-back').addEventListener('click', () => goTo(replay.k - 1));
  $('step-forward').addEventListener('click', () => goTo(replay.k + 1));
  $('step-end').addEventListener('click', () => goTo(replay.steps.length - 1));
  $('play').addEventListener('click', togglePlaying);
  $('play-speed').addEventListener('change', () => {
    if (replay.playing) startPlaying();
  });
  $('step-slider').addEventListener('input', (event) => goTo(Number(event.target.value) - 1));
  $('replay-timeline').addEventListener('click', (event) => {
    const box = event.currentTarget.getBoundingClientRect();
    const count = replay.steps.length;
    if (!count || !box.width) return;
    goTo(Math.round(((event.clientX - box.left) / box.width) * (count - 1)));
  });

  document.addEventListener('keydown', (event) => {
    if ($('replay').hidden || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    const typing = target instanceof HTMLElement && (target.matches('input, select, textarea') || target.isContentEditable);
    if (typing) return;
    const actions = {
      ArrowLeft: () => goTo(replay.k - 1),
      ArrowRight: () => goTo(replay.k + 1),
      Home: () => goTo(0),
      End: () => goTo(replay.steps.length - 1),
      ' ': () => togglePlaying(),
    };
    if (event.key === ' ' && target instanceof HTMLButtonElement) return;
    if (actions[event.key]) {
      event.preventDefault();
      actions[event.key]();
    }
  });

  const replayPanel = $('replay');
  replayPanel.addEventListener('dragover', (event) => {
    event.preventDefault();
    replayPanel.classList.add('is-drop-target');
  });
  replayPanel.addEventListener('dragleave', () => replayPanel.classList.remove('is-drop-target'));
  replayPanel.addEventListener('drop', (event) => {
    event.preventDefault();
    replayPanel.classList.remove('is-drop-target');
    readFile(event.dataTransfer && event.dataTransfer.files[0]);
  });
}

// The automated browser tests load traces through this hook; the file input calls it too.
window.confmanLoadTrace = loadTrace;

function start() {
  wire();
  drawTimeline();
  renderReplay();
  showTab(location.hash === '#replay' ? 'replay' : 'live');
  startLive();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();

})();
