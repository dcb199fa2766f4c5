// The desk works without JavaScript; with it, GOV.UK Frontend's components are enhanced.
import { initAll } from "/assets/govuk-frontend.min.js";
document.body.classList.add("govuk-frontend-supported");
initAll();

// On a phone a table stacks (desk.css): each cell is labelled with its column's heading.
for (const table of document.querySelectorAll(".govuk-main-wrapper .govuk-table")) {
  const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const row of table.querySelectorAll("tbody tr")) {
    [...row.children].forEach((cell, i) => {
      if (!cell.hasAttribute("data-label") && heads[i] !== undefined) {
        cell.setAttribute("data-label", heads[i]);
      }
    });
  }
}
