// failmodes serve: small enhancements over server-rendered pages. Everything works without it,
// except validation as you type in the profile editor.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function showProblems(box, result) {
  box.replaceChildren();
  const head = document.createElement("p");
  if (result.ok) {
    head.className = "ok";
    head.textContent = "The profile is valid.";
    box.append(head);
    return;
  }
  head.className = "problem";
  head.textContent = result.problems.length + " problem(s):";
  const list = document.createElement("ul");
  for (const problem of result.problems) {
    const item = document.createElement("li");
    let where = problem.line ? "line " + problem.line + ": " : "";
    item.append(where);
    if (problem.path) {
      const code = document.createElement("code");
      code.textContent = problem.path;
      item.append(code, ": ");
    }
    item.append(problem.message);  // text nodes only: nothing typed becomes markup
    list.append(item);
  }
  box.append(head, list);
}

function validateAsYouType(area) {
  const box = document.getElementById(area.getAttribute("aria-describedby"));
  let timer = null;
  let sent = 0;
  const check = async () => {
    const mine = ++sent;
    const response = await fetch(area.dataset.validate, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ text: area.value }),
      credentials: "same-origin",
    });
    if (mine !== sent || !response.ok) return;  // a newer check is on its way
    showProblems(box, await response.json());
    box.dataset.checked = String(mine);
  };
  area.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
}

function fillFromFile(input) {
  const target = document.getElementById(input.dataset.fills);
  input.addEventListener("change", async () => {
    if (input.files.length) target.value = await input.files[0].text();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[type=file][data-fills]")) {
    fillFromFile(input);
  }
  for (const area of document.querySelectorAll("textarea[data-validate]:not([readonly])")) {
    validateAsYouType(area);
  }
});
