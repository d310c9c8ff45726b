// Page-side helpers of the locators, prepended to every evaluation. They run in one frame's
// main world and only define functions: nothing here changes the page until an action calls it.
//
// A frame searches its own document, the open shadow roots below it at any depth, and the
// documents of the frames it can read (same origin). Frames it cannot read are searched by
// their own evaluation; SELF_ROOT tells whether this frame is such a search root.

const clean = s => (s || '').replace(/\s+/g, ' ').trim();
const norm = s => { let t = clean(s); for (;;) { const c = t.replace(/\s*[*:]$/, ''); if (c === t) break; t = c.trim(); } return t.toLowerCase(); };
const textOf = el => { const c = el.cloneNode(true); c.querySelectorAll('input,select,textarea,button').forEach(x => x.remove()); return c.textContent || ''; };
const SLOT = Symbol.for('monopco.fleet.slot');
const SELF_ROOT = (() => { try { return window.top === window || !window.frameElement; } catch (e) { return true; } })();

const viewOf = n => (n.ownerDocument && n.ownerDocument.defaultView) || window;
const boxOf = el => (el.tagName === 'INPUT' && el.type === 'file') ? (el.parentElement || (el.getRootNode().host) || el) : el;
const shown = el => { const t = boxOf(el); if (!t.getClientRects().length) return false; const s = viewOf(t).getComputedStyle(t); return s.visibility !== 'hidden' && s.display !== 'none'; };
const usable = el => !el.disabled && el.getAttribute('aria-disabled') !== 'true' && !el.closest('fieldset[disabled]');
// The parent in the flat sense: through shadow roots to their hosts (not out of frames).
const up = n => n.parentNode ? (n.parentNode.host && n.parentNode.nodeType === 11 ? n.parentNode.host : n.parentNode) : null;
const holds = (a, b) => { for (let n = b; n; n = up(n)) if (n === a) return true; return false; };

// Every root to search: the document, its open shadow roots, the documents of readable frames.
const scan = () => {
  const roots = [document]; let frames = 0, shadows = 0;
  for (let i = 0; i < roots.length; i++) {
    for (const el of roots[i].querySelectorAll('*')) {
      if (el.shadowRoot) { shadows++; roots.push(el.shadowRoot); }
      if (el.tagName === 'IFRAME' || el.tagName === 'FRAME') { let d = null; try { d = el.contentDocument; } catch (e) { d = null; } if (d && d.documentElement) { frames++; roots.push(d); } }
    }
  }
  return { roots, frames, shadows };
};
const deepAll = (S, sel) => S.roots.flatMap(r => [...r.querySelectorAll(sel)]);
// The roots below one element (its subtree, its shadow roots, nested), for searches within a component.
const within = el => { const roots = [el]; for (let i = 0; i < roots.length; i++) for (const x of roots[i].querySelectorAll('*')) if (x.shadowRoot) roots.push(x.shadowRoot); if (el.shadowRoot && !roots.includes(el.shadowRoot)) roots.push(el.shadowRoot); return roots; };
const allWithin = (el, sel) => { const out = []; for (const r of within(el)) { if (r.nodeType === 1 && r.matches(sel)) out.push(r); out.push(...r.querySelectorAll(sel)); } return [...new Set(out)]; };

// Text as rendered in the flat tree (shadow content and slotted nodes), skipping what is not displayed.
const BLOCK = new Set(['DIV', 'P', 'LI', 'TR', 'TD', 'TH', 'BR', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'SECTION', 'ARTICLE', 'HEADER', 'FOOTER', 'OPTION', 'DT', 'DD', 'UL', 'OL', 'TABLE', 'FORM', 'FIELDSET', 'LEGEND', 'LABEL']);
const deepText = (node, skip) => {
  let s = '';
  const walk = x => {
    if (x.nodeType === 3) { const p = x.parentElement; if (!p || viewOf(p).getComputedStyle(p).visibility !== 'hidden') s += x.data; return; }
    if (x.nodeType === 11) { for (const c of x.childNodes) walk(c); return; }
    if (x.nodeType !== 1) return;
    const t = x.tagName;
    if (t === 'SCRIPT' || t === 'STYLE' || t === 'TEMPLATE' || t === 'NOSCRIPT') return;
    if (viewOf(x).getComputedStyle(x).display === 'none' || (skip && skip(x))) return;
    const block = BLOCK.has(t); if (block) s += ' ';
    if (t === 'INPUT' || t === 'TEXTAREA') { if (x.type !== 'hidden' && x.type !== 'password' && x.type !== 'file') s += ' ' + (x.value || '') + ' '; return; }
    if (x.shadowRoot) walk(x.shadowRoot);
    else if (t === 'SLOT') { const a = x.assignedNodes(); (a.length ? a : [...x.childNodes]).forEach(walk); }
    else for (const c of x.childNodes) walk(c);
    if (block) s += ' ';
  };
  walk(node);
  return clean(s);
};

// Accessible names, resolved the way a browser does within one root.
const idIn = (el, id) => { const r = el.getRootNode(); return r.getElementById ? r.getElementById(id) : null; };
const byIdsIn = (el, ids) => ids.split(/\s+/).filter(Boolean).map(id => { const n = idIn(el, id); return n ? n.textContent : ''; }).join(' ');
const labelsFor = el => { if (el.labels) return [...el.labels]; if (!el.id) return []; const r = el.getRootNode(); return [...r.querySelectorAll('label[for]')].filter(l => l.htmlFor === el.id); };
const FIELD_SEL = 'input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]):not([type=image]), select, textarea, [role=combobox], [role=textbox], [role=searchbox], [role=spinbutton], [role=switch], [role=checkbox], [role=radiogroup], [role=slider]';
const isField = el => el.matches(FIELD_SEL) || (el.tagName === 'FIELDSET' && !!el.querySelector('input[type=radio], [role=radio]'));
const ownNames = el => {
  const out = [];
  const lb = el.getAttribute('aria-labelledby'); if (lb) out.push(byIdsIn(el, lb));
  const al = el.getAttribute('aria-label'); if (al) out.push(al);
  for (const l of labelsFor(el)) out.push(textOf(l));
  if (!el.labels) { const w = el.parentElement && el.parentElement.closest('label'); if (w && !w.htmlFor) out.push(textOf(w)); }
  if (el.tagName === 'FIELDSET') { const lg = [...el.children].find(c => c.tagName === 'LEGEND'); if (lg) out.push(textOf(lg)); }
  return out.map(norm).filter(Boolean);
};
// A custom component (`<lightning-input label=…>`, a host whose shadow root holds a <label> and one
// control) names the one control inside it.
const componentNames = el => {
  let cur = el;
  for (let depth = 0; depth < 4; depth++) {
    const root = cur.getRootNode(); if (!root.host) return [];
    const fields = [...root.querySelectorAll('*')].filter(x => x === cur || isField(x) || (x.shadowRoot && allWithin(x, FIELD_SEL).length));
    if (fields.length !== 1) return [];
    const out = []; const labels = root.querySelectorAll('label'); if (labels.length === 1) out.push(textOf(labels[0]));
    const h = root.host; out.push(...ownNames(h)); const la = h.getAttribute('label'); if (la) out.push(la);
    const got = out.map(norm).filter(Boolean); if (got.length) return got;
    cur = h;
  }
  return [];
};
const fieldNames = el => { const own = ownNames(el); if (own.length) return own; const comp = componentNames(el); if (comp.length) return comp; const ph = el.getAttribute('placeholder') || el.getAttribute('aria-placeholder'); return ph ? [norm(ph)] : []; };
// The label as a person reads it, without the trailing « * » and « : » forms put after it.
const fieldLabel = el => clean(labelAsWritten(el)).replace(/[\s*:]+$/, '');
const labelAsWritten = el => { const lb = el.getAttribute('aria-labelledby'); if (lb) { const t = clean(byIdsIn(el, lb)); if (t) return t; } const al = el.getAttribute('aria-label'); if (al) return al; const ls = labelsFor(el); if (ls.length) return textOf(ls[0]); const comp = componentNames(el); if (comp.length) { const root = el.getRootNode(); const l = root.querySelector && root.querySelector('label'); if (l) return textOf(l); return root.host.getAttribute('label') || root.host.getAttribute('aria-label') || comp[0]; } return el.getAttribute('placeholder') || ''; };

const ROLES = {
  button: 'button, input[type=submit], input[type=button], input[type=reset], [role=button]',
  link: 'a[href], [role=link]',
  checkbox: 'input[type=checkbox], [role=checkbox]',
  heading: 'h1, h2, h3, h4, h5, h6, [role=heading]',
  radio: 'input[type=radio], [role=radio]',
  switch: '[role=switch]',
  combobox: '[role=combobox], select:not([multiple]):not([size])',
  option: '[role=option]',
  tab: '[role=tab]',
  dialog: 'dialog, [role=dialog], [role=alertdialog]',
  region: 'section[aria-label], section[aria-labelledby], [role=region]',
  main: 'main, [role=main]',
  radiogroup: '[role=radiogroup]',
};
const FROM_CONTENT = new Set(['button', 'link', 'checkbox', 'heading', 'radio', 'switch', 'option', 'tab']);
const accName = (el, role) => {
  const lb = el.getAttribute('aria-labelledby'); if (lb) { const t = byIdsIn(el, lb); if (clean(t)) return t; }
  const al = el.getAttribute('aria-label'); if (al && clean(al)) return al;
  if (el.tagName === 'INPUT') { if (el.type === 'checkbox' || el.type === 'radio') { const ls = labelsFor(el); return ls.length ? textOf(ls[0]) : ''; } return el.value || el.getAttribute('title') || ''; }
  if (!FROM_CONTENT.has(role)) { const ls = labelsFor(el); if (ls.length) return textOf(ls[0]); const comp = componentNames(el); return comp.length ? comp[0] : (el.getAttribute('title') || ''); }
  const t = clean(el.textContent) ? el.textContent : deepText(el);
  return t || el.getAttribute('title') || '';
};
const roleOf = el => { const r = el.getAttribute('role'); if (r) return r; const t = el.tagName; if (t === 'SELECT') return 'combobox'; if (t === 'INPUT') return ({ checkbox: 'checkbox', radio: 'radio', submit: 'button', button: 'button', reset: 'button' })[el.type] || 'textbox'; if (t === 'BUTTON') return 'button'; if (t === 'A' && el.hasAttribute('href')) return 'link'; if (/^H[1-6]$/.test(t)) return 'heading'; if (t === 'DIALOG') return 'dialog'; if (t === 'TEXTAREA') return 'textbox'; return ''; };
// A few words saying what an element is, for errors: `<div role="dialog"> «Nous utilisons des cookies…»`.
const describe = el => {
  if (!el || el.nodeType !== 1) return 'nothing';
  const role = roleOf(el); const name = clean(role ? accName(el, role) : (el.getAttribute('aria-label') || ''));
  const cls = (el.getAttribute('class') || '').split(/\s+/).filter(Boolean).slice(0, 2).map(c => '.' + c).join('');
  const id = el.id ? '#' + el.id : '';
  let s = '<' + el.tagName.toLowerCase() + id + cls + (role ? ' role="' + role + '"' : '') + '>';
  const text = (name || deepText(el)).slice(0, 60);
  if (text) s += ' «' + text + (text.length >= 60 ? '…' : '') + '»';
  return s;
};

const resolveIn = (spec, S) => {
  const want = norm(spec.name);
  let els;
  if (spec.kind === 'label') els = deepAll(S, FIELD_SEL + ', fieldset').filter(isField).filter(el => fieldNames(el).includes(want));
  else els = deepAll(S, ROLES[spec.role]).filter(el => { const r = el.getAttribute('role'); return (!r || r === spec.role) && norm(accName(el, spec.role)) === want; });
  els = [...new Set(els)];
  // A container and the control inside it with the same name are one control: keep the inner one.
  return els.filter(a => !els.some(b => b !== a && holds(a, b)));
};
// Finds the locator's elements in this frame; the one visible match is kept in SLOT for the
// evaluation that follows.
const locateHere = spec => {
  if (!SELF_ROOT) return { skip: true };
  const S = scan();
  const els = resolveIn(spec, S);
  const vis = els.filter(shown);
  window[SLOT] = vis.length === 1 ? vis[0] : null;
  return { count: els.length, visible: vis.length, frames: S.frames, shadows: S.shadows, disabled: vis.length === 1 && !usable(vis[0]) };
};

// What a person sees in a control.
const kindOf = el => el.tagName === 'SELECT' ? 'select' : el.tagName === 'TEXTAREA' ? 'textarea' : el.tagName === 'INPUT' ? (el.type || 'text') : (el.getAttribute('role') || el.tagName.toLowerCase());
const readValue = el => {
  if (el.tagName === 'SELECT') { const o = el.options[el.selectedIndex]; return o ? o.text.trim() : ''; }
  if (el.type === 'checkbox' || el.type === 'radio') return el.checked ? 'true' : 'false';
  const role = el.getAttribute('role');
  if (role === 'checkbox' || role === 'switch' || role === 'radio') return el.getAttribute('aria-checked') === 'true' ? 'true' : 'false';
  if (role === 'radiogroup' || el.tagName === 'FIELDSET') { const r = radiosOf(el).find(isOn); return r ? clean(accName(r, 'radio')) : ''; }
  if ('value' in el && el.tagName !== 'BUTTON' && el.tagName !== 'LI') return el.value;
  const vt = el.getAttribute('aria-valuetext'); if (vt) return clean(vt);
  return clean(el.innerText || el.textContent) || deepText(el);
};
const setValue = (el, v) => { const proto = el.tagName === 'TEXTAREA' ? viewOf(el).HTMLTextAreaElement.prototype : viewOf(el).HTMLInputElement.prototype; const setter = Object.getOwnPropertyDescriptor(proto, 'value').set; el.focus(); setter.call(el, v); el.dispatchEvent(new Event('input', { bubbles: true, composed: true })); el.dispatchEvent(new Event('change', { bubbles: true, composed: true })); el.blur(); };
const isOn = el => (el.tagName === 'INPUT') ? el.checked : el.getAttribute('aria-checked') === 'true';
const radiosOf = group => allWithin(group, 'input[type=radio], [role=radio]').filter(shown);
// The combobox a control belongs to: itself, an ancestor with that role, or a text field that
// pops up a listbox.
const comboOf = el => {
  let n = el;
  for (let i = 0; n && n.nodeType === 1 && i < 4; i++, n = up(n)) { const r = n.getAttribute('role'); if (r === 'combobox' || r === 'listbox') return n; }
  const pop = el.getAttribute('aria-haspopup');
  if (pop === 'listbox' || pop === 'true' || el.hasAttribute('aria-autocomplete')) return el;
  return null;
};
// What a combobox shows as chosen: its text field's value, else its text without the listbox.
const comboShown = el => {
  const inp = el.tagName === 'INPUT' ? el : allWithin(el, 'input:not([type=hidden])')[0];
  if (inp) return inp.value;
  const vt = el.getAttribute('aria-valuetext'); if (vt) return clean(vt);
  return deepText(el, x => x.getAttribute('role') === 'listbox');
};

// The point a real click would hit (through shadow roots), and whether it reaches `el`: the
// element itself, something inside it, or one of its labels.
const deepHit = (doc, x, y) => { let hit = doc.elementFromPoint(x, y); while (hit && hit.shadowRoot) { const inner = hit.shadowRoot.elementFromPoint(x, y); if (!inner || inner === hit) break; hit = inner; } return hit; };
const reaches = (el, hit) => !!hit && (holds(el, hit) || labelsFor(el).some(l => holds(l, hit)));
const centre = el => { const r = el.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width, h: r.height }; };
// Where to click to toggle a box: the box when a click reaches it, else its first label.
const clickTarget = el => { const c = centre(el); if (c.w > 2 && c.h > 2 && reaches(el, deepHit(el.ownerDocument, c.x, c.y))) return el; const l = labelsFor(el).find(shown); return l || el; };

// The options a combobox or autocomplete shows: those of the listbox it controls (resolved in its
// own root, then in every root of the frame: overlays sit at the end of <body> or of a shadow
// root), else every visible option of the frame.
const listboxOf = el => {
  const ids = [el, ...allWithin(el, '[aria-controls], [aria-owns]')].flatMap(x => ((x.getAttribute('aria-controls') || '') + ' ' + (x.getAttribute('aria-owns') || '')).split(/\s+/)).filter(Boolean);
  if (!ids.length) return null;
  const S = scan();
  for (const id of ids) { const mine = idIn(el, id); if (mine) return mine; for (const r of S.roots) { const n = r.getElementById ? r.getElementById(id) : null; if (n) return n; } }
  return null;
};
const optionsOf = el => {
  const lb = listboxOf(el);
  const opts = lb ? allWithin(lb, '[role=option]') : deepAll(scan(), '[role=option]');
  return opts.filter(o => shown(o) && o.getAttribute('aria-disabled') !== 'true');
};
const optionText = o => clean(o.getAttribute('aria-label') || deepText(o));
// A token matches as a whole word; spaces between digits are ignored ("732 829 320 00074").
const squash = s => clean(s).replace(/(\d)\s+(?=\d)/g, '$1');
const hasToken = (text, token) => { const t = squash(token).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); return new RegExp('(^|[^\\p{L}\\p{N}])' + t + '($|[^\\p{L}\\p{N}])', 'iu').test(squash(text)); };

// A date format read from the field's placeholder (JJ/MM/AAAA, DD-MM-YYYY, AAAA-MM-JJ, …).
const dateFormat = el => {
  const hint = [el.getAttribute('placeholder'), el.getAttribute('aria-placeholder'), el.getAttribute('data-mask'), el.getAttribute('title')].filter(Boolean).join(' ');
  const m = /(JJ|DD|MM|AAAA|YYYY)([\/.\- ])(JJ|DD|MM|AAAA|YYYY)\2(JJ|DD|MM|AAAA|YYYY)/i.exec(hint);
  if (!m) return { order: ['d', 'm', 'y'], sep: '/' };
  const part = p => /^(jj|dd)$/i.test(p) ? 'd' : /^mm$/i.test(p) ? 'm' : 'y';
  return { order: [part(m[1]), part(m[3]), part(m[4])], sep: m[2] };
};

// Busy indicators of this frame: aria-busy, indeterminate or unfinished progress bars, and the
// caller's selectors.
const busyHere = extra => {
  if (!SELF_ROOT) return { skip: true };
  const S = scan(); const out = [];
  for (const el of deepAll(S, '[aria-busy=true]')) if (shown(el)) out.push('aria-busy ' + describe(el));
  for (const el of deepAll(S, '[role=progressbar], progress')) {
    if (!shown(el)) continue;
    const now = parseFloat(el.getAttribute('aria-valuenow') ?? (el.tagName === 'PROGRESS' && el.hasAttribute('value') ? el.value : NaN));
    const max = parseFloat(el.getAttribute('aria-valuemax') ?? (el.tagName === 'PROGRESS' ? el.max : 100));
    if (!(now >= max)) out.push('progress ' + describe(el));
  }
  for (const sel of extra) { let found = []; try { found = deepAll(S, sel); } catch (e) { out.push('invalid selector ' + sel); continue; } for (const el of found) if (shown(el)) out.push(sel + ' ' + describe(el)); }
  return { busy: out };
};
