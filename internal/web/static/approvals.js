// «На согласовании у меня»: a head sets the organization's rule here.
'use strict';
(() => {
  const { api, problem, pageData: page } = window.Orders;
  const box = document.getElementById('approval-required');
  if (!box) return;
  const msg = document.getElementById('rule-msg');
  box.addEventListener('change', async () => {
    msg.textContent = '';
    const r = await api('PUT', `/api/v1/organizations/${encodeURIComponent(page.orgID)}/approval`, { required: box.checked });
    if (r.ok) { msg.textContent = box.checked ? 'Сохранено: регистрируются только согласованные проекты.' : 'Сохранено: согласование не обязательно.'; return; }
    box.checked = !box.checked;
    msg.textContent = 'Не сохранено: ' + (await problem(r)).detail;
  });
})();
