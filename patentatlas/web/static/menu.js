// The header's menu on a phone: the button opens and closes it (no inline handler: the CSP allows
// our own scripts only). On a wide screen the menu is always shown and the button is hidden.
document.addEventListener('DOMContentLoaded', () => {
  const button = document.getElementById('menu-toggle');
  const header = button && button.closest('header');
  if (!header) return;
  button.addEventListener('click', () => {
    const open = header.classList.toggle('menu-open');
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
  });
});
