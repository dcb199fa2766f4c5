// The desk works without JavaScript; with it, GOV.UK Frontend's components are enhanced.
import { initAll } from "/assets/govuk-frontend.min.js";
document.body.classList.add("govuk-frontend-supported");
initAll();
