// The single-page app of the sandboxed portals whose stack is `Spa`: every page after the login
// is rendered here from the JSON API under /api/, and a step loads no new document. What it
// looks like and which widgets it uses come from the portal's config (the JSON in the page).
(() => {
  'use strict';
  const C = JSON.parse(document.getElementById('portal-config').textContent);
  const T = C.texts;
  const app = document.getElementById('app');
  const toasts = document.getElementById('toasts');
  const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  let flash = null;
  let pendingErrors = [];

  // Busy while the API answers: aria-busy on the app and a progress bar over the page.
  let busyCount = 0;
  let spinner = null;
  const busy = on => {
    busyCount += on ? 1 : -1;
    if (busyCount > 0 && !spinner) {
      spinner = document.createElement('div');
      spinner.className = 'spinner';
      spinner.setAttribute('role', 'progressbar');
      spinner.setAttribute('aria-label', 'Chargement en cours');
      spinner.textContent = 'Chargement…';
      document.body.appendChild(spinner);
    }
    if (busyCount <= 0) {
      busyCount = 0;
      if (spinner) { spinner.remove(); spinner = null; }
    }
    app.setAttribute('aria-busy', String(busyCount > 0));
  };

  const toast = text => {
    const t = document.createElement('div');
    t.className = 'toast';
    t.setAttribute('role', 'alert');
    t.textContent = text;
    toasts.appendChild(t);
  };
  const clearToasts = () => { toasts.innerHTML = ''; };

  // One call of the API. A 401 sends the whole page to the login; a 422 is returned to the
  // caller; any other error is a toast.
  const api = async (method, path, body) => {
    busy(true);
    try {
      const r = await fetch('/api' + path, { method, body, credentials: 'same-origin' });
      let j = {};
      try { j = await r.json(); } catch (e) { j = {}; }
      if (r.status === 401) {
        location.assign(j.login || (C.login + '?motif=expiree'));
        return new Promise(() => {});
      }
      if (r.status === 422) return { invalid: j };
      if (!r.ok) {
        toast((j.error || T.errorTitle) + ' — ' + (j.message || ('erreur ' + r.status)));
        throw new Error('API ' + r.status);
      }
      return j;
    } finally {
      busy(false);
    }
  };

  // Routes: '' (the list), '/4/etape/2', '/4/recapitulatif', '/4/accord' (the summary with
  // the dialog of the action after the agreement open); in the path (history routing) or
  // in the fragment (#/demandes/4/etape/2).
  const restOf = url => {
    const u = new URL(url, location.href);
    if (C.routing === 'hash') {
      if (u.hash.startsWith('#/demandes')) return u.hash.slice('#/demandes'.length);
      return u.pathname.startsWith(C.home) ? u.pathname.slice(C.home.length) : '';
    }
    return u.pathname.startsWith(C.home) ? u.pathname.slice(C.home.length) : '';
  };
  const go = rest => {
    if (C.routing === 'hash') {
      const want = '#/demandes' + rest;
      if (location.pathname !== C.home) { history.pushState({}, '', C.home + want); render(); return; }
      if (location.hash === want) { render(); return; }
      location.hash = want;
      return;
    }
    history.pushState({}, '', C.home + rest);
    render();
  };
  // A change of fragment fires both events: one route, one render.
  if (C.routing === 'hash') window.addEventListener('hashchange', () => render());
  else window.addEventListener('popstate', () => render());

  const render = () => {
    const rest = restOf(location.href);
    let m;
    closeOverlays();
    const shown = (m = /^\/(\d+)\/etape\/(\d+)\/?$/.exec(rest)) ? showStep(+m[1], +m[2])
      : (m = /^\/(\d+)\/recapitulatif\/?$/.exec(rest)) ? showRecap(+m[1])
      : (m = /^\/(\d+)\/accord\/?$/.exec(rest)) ? showRecap(+m[1], true)
      : showList();
    shown.catch(() => {});
  };

  const page = (title, html) => {
    document.title = title + ' — ' + C.space;
    clearToasts();
    app.innerHTML = html;
    for (const e of pendingErrors) toast(e);
    pendingErrors = [];
  };

  // --- The list of requests ---
  const listHtml = j => {
    const rows = j.rows.map(r => '<tr>' + r.cells.map(c => `<td>${esc(c)}</td>`).join('') +
      `<td><a href="${esc(r.href)}">${esc(r.link)}</a></td></tr>`).join('');
    return `<h1>${esc(T.listTitle)}</h1><p><button type="button" class="new">${esc(T.newButton)}</button></p>` +
      `<table class="demandes"><caption>${esc(T.listTitle)}</caption><thead><tr>${T.headers.map(h => `<th>${esc(h)}</th>`).join('')}<th>Actions</th></tr></thead><tbody>${rows}</tbody></table>`;
  };
  const showList = async () => {
    const j = await api('GET', '/demandes');
    const info = flash ? `<p class="info" role="status">${esc(flash)}</p>` : '';
    flash = null;
    page(T.listTitle, info + listHtml(j));
    app.querySelector('button.new').addEventListener('click', async () => {
      const n = await api('POST', '/demandes');
      go(`/${n.id}/etape/1`);
    });
    app.querySelectorAll('table a[href]').forEach(a => a.addEventListener('click', e => { e.preventDefault(); go(restOf(a.href)); }));
  };

  // --- Overlays (listboxes of comboboxes and autocompletes) at the end of <body> ---
  const closers = [];
  const closeOverlays = () => { while (closers.length) closers.pop()(); };
  const overlay = (anchor, id, labelledBy) => {
    closeOverlays();
    const back = document.createElement('div');
    back.className = 'overlay-backdrop';
    const pane = document.createElement('div');
    pane.className = 'overlay-pane';
    pane.setAttribute('role', 'listbox');
    pane.id = id;
    if (labelledBy) pane.setAttribute('aria-label', labelledBy);
    const r = anchor.getBoundingClientRect();
    pane.style.left = (r.left + scrollX) + 'px';
    pane.style.top = (r.bottom + scrollY + 2) + 'px';
    const close = () => { back.remove(); pane.remove(); anchor.setAttribute('aria-expanded', 'false'); };
    back.addEventListener('click', () => closeOverlays());
    document.body.appendChild(back);
    document.body.appendChild(pane);
    anchor.setAttribute('aria-expanded', 'true');
    closers.push(close);
    return pane;
  };
  document.addEventListener('keydown', e => { if (e.key === 'Escape') closeOverlays(); });

  // --- Controls ---
  // A custom combobox: no native <select>; the options open in an overlay.
  const combobox = (f, name, id, put) => {
    const el = document.createElement('div');
    el.className = 'combo';
    el.id = id;
    el.tabIndex = 0;
    el.setAttribute('role', 'combobox');
    el.setAttribute('aria-haspopup', 'listbox');
    el.setAttribute('aria-expanded', 'false');
    el.setAttribute('aria-controls', 'opts-' + id);
    const shown = document.createElement('span');
    shown.dataset.placeholder = '— Choisir —';
    el.appendChild(shown);
    let value = f.value;
    const options = f.options.slice();
    const text = v => (options.find(o => o[0] === v) || [null, ''])[1];
    shown.textContent = text(value);
    // Chosen by the app itself (an employee just created).
    el.choose = (v, t) => { if (!options.some(o => o[0] === v)) options.push([v, t]); value = v; shown.textContent = t; };
    put.push(fd => { if (value) fd.append(name, value); });
    if (C.lightning) {
      // Lightning: the listbox sits in the component, under the combobox, and closes as soon as
      // the focus leaves the combobox; pressing an option keeps the focus where it is.
      const lb = document.createElement('div');
      lb.className = 'slds-dropdown';
      lb.setAttribute('role', 'listbox');
      lb.id = 'opts-' + id;
      lb.hidden = true;
      const close = () => { lb.hidden = true; lb.innerHTML = ''; el.setAttribute('aria-expanded', 'false'); };
      el.addEventListener('focusout', () => close());
      lb.addEventListener('mousedown', e => e.preventDefault());
      el.addEventListener('click', () => {
        if (!lb.hidden) { close(); return; }
        lb.innerHTML = options.map(o => `<div role="option" aria-selected="${o[0] === value}" data-v="${esc(o[0])}">${esc(o[1])}</div>`).join('');
        lb.hidden = false;
        el.setAttribute('aria-expanded', 'true');
        lb.querySelectorAll('[role=option]').forEach(o => o.addEventListener('click', () => {
          value = o.dataset.v;
          shown.textContent = text(value);
          close();
        }));
      });
      el.listbox = lb;
      return el;
    }
    el.addEventListener('click', () => {
      if (el.getAttribute('aria-expanded') === 'true') { closeOverlays(); return; }
      const pane = overlay(el, 'opts-' + id, f.label);
      pane.innerHTML = options.map(o => `<div role="option" aria-selected="${o[0] === value}" data-v="${esc(o[0])}">${esc(o[1])}</div>`).join('');
      pane.querySelectorAll('[role=option]').forEach(o => o.addEventListener('click', () => {
        value = o.dataset.v;
        shown.textContent = text(value);
        closeOverlays();
        el.focus();
      }));
    });
    return el;
  };

  // A JJ/MM/AAAA text input that keeps only typed digits: a value set by a script is undone.
  const maskedDate = (f, input) => {
    input.type = 'text';
    input.placeholder = 'JJ/MM/AAAA';
    input.maxLength = 10;
    input.inputMode = 'numeric';
    let digits = (f.value || '').replace(/\D/g, '').slice(0, 8);
    const show = () => { input.value = [digits.slice(0, 2), digits.slice(2, 4), digits.slice(4)].filter(Boolean).join('/'); };
    input.addEventListener('input', e => {
      if (e.isTrusted) digits = input.value.replace(/\D/g, '').slice(0, 8);
      show();
    });
    show();
  };

  // The provider's SIRET, chosen among the API's suggestions for what is typed; text typed
  // without choosing a suggestion is not sent.
  const providerAutocomplete = (f, input, name, id, put) => {
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', 'sugg-' + id);
    input.autocomplete = 'off';
    let chosen = f.value;
    let timer = null;
    let asked = 0;
    input.addEventListener('input', e => {
      if (!e.isTrusted) return;
      chosen = '';
      clearTimeout(timer);
      closeOverlays();
      timer = setTimeout(async () => {
        const q = input.value;
        const mine = ++asked;
        input.setAttribute('aria-busy', 'true');
        let j;
        try { j = await api('GET', '/organismes?q=' + encodeURIComponent(q)); } finally { input.setAttribute('aria-busy', 'false'); }
        if (mine !== asked || !j.suggestions.length) return;
        const pane = overlay(input, 'sugg-' + id, f.label);
        const grouped = s => s.slice(0, 3) + ' ' + s.slice(3, 6) + ' ' + s.slice(6, 9) + ' ' + s.slice(9);
        pane.innerHTML = j.suggestions.map(s => `<div role="option" data-siret="${esc(s.siret)}">${esc(s.name)} — ${esc(grouped(s.siret))}</div>`).join('');
        pane.querySelectorAll('[role=option]').forEach(o => o.addEventListener('click', () => {
          chosen = o.dataset.siret;
          input.value = chosen;
          closeOverlays();
        }));
      }, 200);
    });
    put.push(fd => fd.append(name, chosen));
  };

  const control = (f, name, id, put) => {
    if (f.kind === 'employee') {
      const el = combobox(f, name, id, put);
      el.create = f.create;
      return el;
    }
    if (f.kind === 'select') {
      if (C.comboboxes) return combobox(f, name, id, put);
      const s = document.createElement('select');
      s.id = id;
      s.name = name;
      s.innerHTML = '<option value="">— Choisir —</option>' + f.options.map(o => `<option value="${esc(o[0])}"${o[0] === f.value ? ' selected' : ''}>${esc(o[1])}</option>`).join('');
      put.push(fd => fd.append(name, s.value));
      return s;
    }
    const i = document.createElement('input');
    i.id = id;
    i.name = name;
    if (f.kind === 'checkbox') {
      i.type = 'checkbox';
      i.value = 'oui';
      i.checked = f.value === 'oui';
      // A Lightning box ignores a script's click: only a person's (or a real mouse event) ticks it.
      if (C.lightning) i.addEventListener('click', e => { if (!e.isTrusted) e.preventDefault(); });
      put.push(fd => { if (i.checked) fd.append(name, 'oui'); });
      return i;
    }
    if (f.kind === 'file') {
      i.type = 'file';
      i.accept = 'application/pdf,.pdf';
      put.push(fd => { if (i.files && i.files[0]) fd.append(name, i.files[0], i.files[0].name); });
      return i;
    }
    i.type = f.kind === 'number' ? 'number' : f.kind === 'date' ? 'date' : 'text';
    if (f.kind === 'number') { i.min = '0'; i.step = '0.5'; }
    i.value = f.value;
    if (f.maxlength) { i.maxLength = f.maxlength; i.pattern = `.{0,${f.maxlength}}`; }
    if (f.kind === 'date_fr') {
      if (C.maskedDates) maskedDate(f, i);
      else i.placeholder = 'jj/mm/aaaa';
    }
    if (f.key === 'provider_siret' && C.providerAutocomplete) {
      providerAutocomplete(f, i, name, id, put);
      return i;
    }
    put.push(fd => fd.append(name, i.value));
    return i;
  };

  // One field in the portal's markup (or the changed one), in a web component when the portal
  // uses them: its label and control then sit in the component's open shadow root.
  const field = (f, n, changed, put) => {
    const markup = changed ? C.changedMarkup : C.markup;
    const name = (changed ? 'q9_' : '') + f.key;
    const id = changed ? 'ctl' + String(n).padStart(3, '0') + 'x' : C.opco + '-' + f.key.replace(/_/g, '-');
    const ctl = control(f, name, id, put);
    const isBox = f.kind === 'checkbox';
    const isCombo = ctl.getAttribute('role') === 'combobox' && ctl.tagName !== 'INPUT';
    const required = f.required && !(f.kind === 'file' && f.file);
    if (required) {
      if (markup === 'wrap' || isCombo) ctl.setAttribute('aria-required', 'true');
      else ctl.required = true;
    }
    const star = f.required ? (markup === 'wrap' ? ' <abbr title="obligatoire">*</abbr>' : ' *') : '';
    const note = f.file ? `<p class="hint">Fichier déposé : ${esc(f.file)}</p>` : '';
    const wrap = document.createElement('div');
    wrap.className = 'row';
    if (markup === 'for') {
      wrap.innerHTML = isBox ? `<label class="fr-label" for="${id}">${esc(f.label)}</label>` : `<label class="fr-label" for="${id}">${esc(f.label)}${star}</label>${note}`;
      if (isCombo) {
        const l = wrap.querySelector('label'); l.id = 'lb-l-' + id; ctl.setAttribute('aria-labelledby', l.id);
      }
      if (isBox) wrap.insertBefore(ctl, wrap.firstChild); else wrap.insertBefore(ctl, wrap.querySelector('p'));
    } else if (markup === 'wrap' && isCombo) {
      // A <label> names native controls only: a custom combobox is named by its text.
      wrap.innerHTML = `<div class="akto-field"><span id="lb-w-${id}">${esc(f.label)}${star}</span></div>`;
      ctl.setAttribute('aria-labelledby', 'lb-w-' + id);
      wrap.firstChild.appendChild(ctl);
    } else if (markup === 'wrap') {
      const l = document.createElement('label');
      l.className = isBox ? 'akto-check' : 'akto-field';
      if (isBox) { l.appendChild(ctl); l.appendChild(document.createTextNode(' ' + f.label)); }
      else { l.innerHTML = `<span>${esc(f.label)}${star}</span>`; l.appendChild(ctl); }
      wrap.appendChild(l);
      if (note) wrap.insertAdjacentHTML('beforeend', note);
    } else {
      const lb = 'lb-' + id;
      if (isBox) {
        ctl.setAttribute('aria-label', f.label);
        wrap.appendChild(ctl);
        wrap.insertAdjacentHTML('beforeend', `<span aria-hidden="true"> ${esc(f.label)}</span>`);
      } else {
        wrap.innerHTML = `<span id="${lb}" class="th">${esc(f.label)}${star} :</span> `;
        ctl.setAttribute('aria-labelledby', lb);
        wrap.appendChild(ctl);
        if (note) wrap.insertAdjacentHTML('beforeend', note);
      }
    }
    if (ctl.listbox) ctl.after(ctl.listbox);
    if (ctl.create) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn';
      b.textContent = ctl.create.button;
      b.addEventListener('click', () => employeeDialog(ctl.create, (v, t) => ctl.choose(v, t)));
      (ctl.listbox || ctl).after(b);
    }
    if (!C.webComponents && !C.lightning) return wrap;
    const tag = !C.lightning ? 'ep-champ'
      : isCombo ? 'lightning-combobox' : isBox ? 'lightning-input-checkbox' : f.kind === 'file' ? 'lightning-file-upload' : 'lightning-input';
    const host = document.createElement(tag);
    const root = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = C.css;
    root.appendChild(style);
    root.appendChild(wrap);
    return host;
  };
  for (const tag of ['ep-champ', 'lightning-combobox', 'lightning-input-checkbox', 'lightning-file-upload', 'lightning-input']) {
    if (!customElements.get(tag)) customElements.define(tag, class extends HTMLElement {});
  }

  // --- The dialog that creates an employee, then chosen in the combobox ---
  const employeeDialog = (c, done) => {
    const back = document.createElement('div');
    back.className = 'modal-backdrop';
    back.innerHTML = `<section class="modal wide" role="dialog" aria-modal="true" aria-labelledby="emp-title"><h2 id="emp-title">${esc(c.title)}</h2><form novalidate></form>` +
      `<p class="actions"><button type="button" class="btn" data-x="cancel">Annuler</button><button type="button" class="btn" data-x="save">${esc(c.save)}</button></p></section>`;
    document.body.appendChild(back);
    const put = [];
    const form = back.querySelector('form');
    c.fields.forEach((g, i) => form.appendChild(field(g, 100 + i, false, put)));
    back.querySelector('[data-x=cancel]').addEventListener('click', () => back.remove());
    back.querySelector('[data-x=save]').addEventListener('click', async () => {
      const fd = new FormData();
      put.forEach(p => p(fd));
      const r = await api('POST', '/salaries', fd);
      if (r.invalid) { clearToasts(); (r.invalid.errors || []).forEach(toast); return; }
      clearToasts();
      back.remove();
      done(r.id, r.text);
    });
  };

  // --- A step of the request form ---
  const showStep = async (id, n) => {
    const j = await api('GET', `/demandes/${id}/etapes/${n}`);
    if (j.filed) { go(`/${id}/recapitulatif`); return; }
    const changed = j.layout === 'changed-markup';
    const title = 'Demande de prise en charge — ' + j.title;
    const inner = `<p class="steps">Étape ${j.step} sur ${j.steps} : ${esc(j.title)}</p>` +
      `<form novalidate${changed ? ' class="grid"' : ''}></form><p class="actions">` +
      `<button type="button" class="btn" data-action="draft">${esc(T.draftButton)}</button>` +
      `<button type="button" class="btn" data-action="next">${esc(T.nextButton)}</button></p>`;
    if (C.firstStepDialog && n === 1) {
      // « Nouvelle demande » opens a pop-up over the list.
      const behind = listHtml(await api('GET', '/demandes'));
      page(C.firstStepDialog, behind + `<div class="modal-backdrop"><section class="modal wide" role="dialog" aria-modal="true" aria-labelledby="nd-title"><h2 id="nd-title">${esc(C.firstStepDialog)}</h2>${inner}</section></div>`);
    } else {
      page(title, `<h1>${esc(title)}</h1>${inner}`);
    }
    const form = app.querySelector('form');
    const put = [];
    const holder = changed ? document.createElement('section') : form;
    if (changed) { form.appendChild(holder); }
    j.fields.forEach((f, i) => holder.appendChild(field(f, i, changed, put)));
    app.querySelectorAll('button[data-action]').forEach(b => b.addEventListener('click', async () => {
      const fd = new FormData();
      fd.append('action', b.dataset.action);
      put.forEach(p => p(fd));
      const r = await api('POST', `/demandes/${id}/etapes/${n}`, fd);
      if (r.invalid) { clearToasts(); (r.invalid.errors || []).forEach(toast); return; }
      if (r.next === 'liste') { flash = r.flash; go(''); }
      else if (r.next === 'etape') go(`/${id}/etape/${r.step}`);
      else go(`/${id}/recapitulatif`);
    }));
    if (j.warning) sessionWarning();
  };

  // --- The summary, and the acknowledgement once filed; `open`: the action's dialog too ---
  const showRecap = async (id, open) => {
    const j = await api('GET', `/demandes/${id}/recapitulatif`);
    const message = j.message ? `<p class="info" role="status">${esc(j.message)}</p>` : '';
    const filed = j.dossier ? `<p class="dossier">${esc(T.submittedMessage)} <strong>${esc(j.dossier)}</strong></p><p>${esc(T.statusHeader)} : ${esc(j.status)}</p>` : '';
    const action = j.action ? `<p class="commentaire">${esc(j.action.comment)}</p><p class="actions"><button type="button" class="btn" data-action="agreement">${esc(j.action.button)}</button></p>` : '';
    const items = j.items.map(([l, v]) => `<dt>${esc(l)}</dt><dd>${esc(v)}</dd>`).join('');
    const buttons = j.dossier ? '' : `<p class="actions"><button type="button" class="btn" data-action="draft">${esc(T.draftButton)}</button><button type="button" class="btn" data-action="submit">${esc(T.submitButton)}</button></p>`;
    page(T.recapTitle, `<h1>${esc(T.recapTitle)}</h1>${message}${filed}${action}<dl class="recap">${items}</dl>${buttons}`);
    const agreement = app.querySelector('[data-action=agreement]');
    if (agreement) {
      agreement.addEventListener('click', () => agreementDialog(id, j.action));
      if (open) agreementDialog(id, j.action);
    }
    const draft = app.querySelector('[data-action=draft]');
    if (draft) draft.addEventListener('click', async () => {
      const r = await api('POST', `/demandes/${id}/brouillon`);
      flash = r.flash;
      go('');
    });
    const submit = app.querySelector('[data-action=submit]');
    if (submit) submit.addEventListener('click', async () => {
      const r = await api('POST', `/demandes/${id}/transmettre`);
      if (r.invalid) { pendingErrors = r.invalid.errors || []; go(`/${id}/etape/${r.invalid.step}`); return; }
      go(`/${id}/recapitulatif`);
    });
  };

  // --- The employer's action after the agreement: a dialog, its box, its validation ---
  const agreementDialog = (id, a) => {
    const back = document.createElement('div');
    back.className = 'modal-backdrop';
    back.innerHTML = `<section class="modal" role="dialog" aria-modal="true" aria-labelledby="agr-title"><h2 id="agr-title">${esc(a.dialogTitle)}</h2><p class="commentaire">${esc(a.comment)}</p><form novalidate></form>` +
      `<p class="actions"><button type="button" class="btn" data-x="cancel">Annuler</button><button type="button" class="btn" data-x="validate">${esc(a.validate)}</button></p></section>`;
    document.body.appendChild(back);
    const form = back.querySelector('form');
    let box;
    if (C.lightning) {
      // The form's own Lightning box (in its shadow root), which ignores a script's click.
      const host = field({ key: 'attestation', label: a.attestation, kind: 'checkbox', required: true, value: '' }, 200, false, []);
      form.appendChild(host);
      box = (host.shadowRoot || host).querySelector('input[type=checkbox]');
    } else {
      form.innerHTML = `<div class="row"><input type="checkbox" id="agr-attestation" name="attestation" required> <label for="agr-attestation">${esc(a.attestation)}</label></div>`;
      box = form.querySelector('input');
    }
    back.querySelector('[data-x=cancel]').addEventListener('click', () => { clearToasts(); back.remove(); });
    back.querySelector('[data-x=validate]').addEventListener('click', async () => {
      const fd = new FormData();
      if (box.checked) fd.append('attestation', 'on');
      const r = await api('POST', `/demandes/${id}/accord`, fd);
      if (r.invalid) { clearToasts(); (r.invalid.errors || []).forEach(toast); return; }
      clearToasts();
      back.remove();
      // Without a status, the portal says only that the request is being processed.
      if (r.status) go(`/${id}/recapitulatif`);
      else page(T.recapTitle, `<h1>${esc(T.recapTitle)}</h1><p class="info" role="status">${esc(r.message)}</p>`);
    });
  };

  // --- "Votre session va expirer": answered by its button, or the next call ends the session ---
  const sessionWarning = () => {
    const [text, button] = C.sessionWarning;
    const back = document.createElement('div');
    back.className = 'modal-backdrop';
    back.innerHTML = `<div class="modal" role="dialog" aria-modal="true" aria-labelledby="sw-title"><h2 id="sw-title">${esc(text)}</h2>` +
      `<p>Sans action de votre part, vous serez déconnecté dans quelques instants.</p><button type="button">${esc(button)}</button></div>`;
    document.body.appendChild(back);
    back.querySelector('button').addEventListener('click', async () => {
      await api('POST', '/session/prolonger');
      back.remove();
    });
  };

  render();
})();
