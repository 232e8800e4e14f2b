// Messages after an action (issue 11 §2), for every form of the site (no inline script: the CSP
// allows our own files only).
// - A form's error: the server sends the browser back to the form's page with the message, the
//   field it concerns and what was typed (#flash-data); here the message goes beside that field
//   (or at the top of the form) and the typed values back into the form.
// - A button or form with data-confirm asks before it is sent (removing a patent from custody).
document.addEventListener('DOMContentLoaded', () => {
  const data = document.getElementById('flash-data');
  const flash = data ? JSON.parse(data.textContent) : null;
  if (flash && flash.kind === 'error' && flash.form) showFormError(flash);
});

document.addEventListener('submit', (event) => {
  const button = event.submitter;
  const question = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

function showFormError(flash) {
  const values = flash.values || {};
  const forms = [...document.querySelectorAll('form')].filter(
    (f) => new URL(f.action, location.href).pathname === flash.form);
  // the form that holds the field named in the error, else the one that holds most of the values
  const score = (f) => (flash.field && f.elements[flash.field] ? 100 : 0) +
    Object.keys(values).filter((k) => f.elements[k]).length;
  const form = forms.sort((a, b) => score(b) - score(a))[0];
  if (!form) return;  // the page has no such form: the message at the top of the page says it
  for (const [name, value] of Object.entries(values)) restore(form, name, value);
  const note = document.createElement('span');
  note.className = 'field-error';
  note.id = 'field-error';
  note.setAttribute('role', 'alert');
  note.textContent = document.getElementById('flash-message').textContent;
  const field = flash.field && form.elements[flash.field];
  const target = field && (field.length && !field.tagName ? field[0] : field);
  if (target) {
    target.setAttribute('aria-invalid', 'true');
    target.classList.add('invalid');
    (target.closest('label') || target).after(note);
    target.focus();
  } else {
    form.prepend(note);
  }
  document.getElementById('flash-message').hidden = true;  // said once, where it happened
}

function restore(form, name, value) {
  const field = form.elements[name];
  if (!field) return;
  const items = field.tagName ? [field] : [...field];
  const wanted = Array.isArray(value) ? value : [value];
  for (const item of items) {
    if (item.type === 'hidden' || item.type === 'password' || item.type === 'file') continue;
    if (item.type === 'checkbox' || item.type === 'radio') item.checked = wanted.includes(item.value);
    else if (item.tagName === 'SELECT' && item.multiple) {
      for (const option of item.options) option.selected = wanted.includes(option.value);
    } else item.value = wanted[0] ?? '';
  }
}
