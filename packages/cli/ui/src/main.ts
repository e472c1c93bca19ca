/** The inspector page: routes between the run list (/) and one run (/runs/<id>) without reloading. */
import "./style.css";
import type { ServerInfo } from "../../src/ui/api.js";
import { relative } from "./format.js";
import { getJson, startClock } from "./live.js";
import { showRun } from "./run-view.js";
import { showRuns } from "./runs-view.js";

const app = document.getElementById("app")!;
let leave = () => {};

function route(): void {
  leave();
  const run = /^\/runs\/([^/]+)$/.exec(location.pathname);
  leave = run ? showRun(app, decodeURIComponent(run[1]!)) : showRuns(app, navigate);
  window.scrollTo(0, 0);
}

function navigate(path: string): void {
  history.pushState(null, "", path);
  route();
}

// Same-page links (marked data-nav) change the view without a reload; modified clicks open tabs as usual.
document.addEventListener("click", (event) => {
  const link = (event.target as Element).closest?.("a[data-nav]") as HTMLAnchorElement | null;
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(link.getAttribute("href")!);
});
window.addEventListener("popstate", route);

getJson<ServerInfo>("/api/info").then(
  (info) => (document.getElementById("store")!.textContent = info.store),
  () => {},
);
startClock(relative);
route();
