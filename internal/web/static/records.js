// Control of execution and case files: the forms call the JSON API, which owns every rule
// (who may mark, what a case index is), and the page reloads to show the registry's state.
'use strict';
(() => {
  const { api, problem } = window.Orders;

  async function send(method, path, body, errorEl) {
    const r = await api(method, path, body);
    if (r.ok) return r;
    const p = await problem(r);
    const where = (p.errors || []).map((e) => `${e.path}: ${e.message}`).join('; ');
    if (errorEl) errorEl.textContent = where || p.detail || 'Не удалось выполнить действие.';
    else alert(where || p.detail);
    return null;
  }

  for (const form of document.querySelectorAll('.mark-form')) {
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const note = form.elements.note.value.trim();
      if (await send('POST', `/api/v1/control/${form.dataset.id}/done`, { note })) location.reload();
    });
  }

  const feed = document.getElementById('feed-new');
  if (feed) {
    feed.addEventListener('click', async () => {
      const out = document.getElementById('feed-out');
      const r = await send('POST', '/api/v1/control/feed', {}, out);
      if (!r) return;
      const { path } = await r.json();
      out.textContent = 'Адрес календаря (добавьте его в календарь как подписку; прежний адрес больше не действует): ' + location.origin + path;
    });
  }

  const caseForm = document.getElementById('case-form');
  if (caseForm) {
    caseForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = caseForm.elements;
      const body = { title: f.title.value.trim(), retention: f.retention.value.trim(), journal: f.journal.value };
      if (await send('PUT', '/api/v1/cases/' + encodeURIComponent(f.index.value.trim()), body, document.getElementById('case-error'))) location.reload();
    });
  }

  const fileForm = document.getElementById('file-form');
  if (fileForm) {
    fileForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = fileForm.elements;
      if (await send('POST', `/api/v1/orders/${f.order.value}/file`, { case: f.case.value }, document.getElementById('file-error'))) location.reload();
    });
  }
})();
