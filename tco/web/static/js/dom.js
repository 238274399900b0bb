// Small DOM helpers shared by the dashboard's modules, and the data the server put in the page.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** The scenario form (every input with a data-path is part of the scenario). */
export const form = $("scenario-form");

/** A new element with a class and a text (both optional). */
export function make(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** <strong>text</strong> */
export const strong = (text) => make("strong", "", text);

let options = null;

/** The catalog's choices the server rendered into the page (#tco-options, a JSON block, not a script):
 *  rental rates by GPU and provider, the load shapes' peaks, ... */
export function pageOptions() {
  if (options === null) options = JSON.parse($("tco-options").textContent);
  return options;
}

/** The line beside the action buttons: "saved …", "downloaded …". */
export function status(text) { $("action-status").textContent = text; }
