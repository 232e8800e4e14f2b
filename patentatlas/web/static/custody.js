// The custody page: "check all" ticks every proposal (no inline handler: the CSP allows our own scripts only).
document.querySelectorAll('input[data-checks]').forEach((all) => {
  all.addEventListener('change', () => {
    for (const box of document.querySelectorAll(all.dataset.checks)) box.checked = all.checked;
  });
});
