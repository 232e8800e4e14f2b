// The patent page's similar patents, from /api/patents/{number}/similar (each with the shared terms).
(function () {
  const box = document.getElementById("similar");
  if (!box) return;
  const list = document.getElementById("similar-list");
  fetch("/api/patents/" + encodeURIComponent(box.dataset.number) + "/similar?limit=10")
    .then((r) => (r.ok ? r.json() : { hits: [] }))
    .then((data) => {
      for (const h of data.hits) {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = "/patents/" + encodeURIComponent(h.application_number);
        a.textContent = h.title || h.application_number;
        const why = document.createElement("small");
        why.textContent = " " + h.application_number + " · " + box.dataset.shared + ": " + h.shared_terms.join("、");
        li.append(a, why);
        list.append(li);
      }
    });
})();
