/** A system Chrome/Chromium (never a downloaded one) driven by playwright-core, headless in a container (no sandbox, GPU or background networking). */
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"];
const PLACES = ["/opt/google/chrome/chrome", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome", "/Applications/Chromium.app/Contents/MacOS/Chromium"];

/**
 * The browser the tests drive: $CHROME_PATH when set (and then only it), else the first of
 * chromium, chromium-browser, google-chrome(-stable), chrome on the PATH, then the usual install places.
 */
function findChrome(): { path: string } | { missing: string } {
  const override = process.env.CHROME_PATH;
  if (override !== undefined) {
    return executable(override) ? { path: override } : { missing: `CHROME_PATH=${override} is not an executable file` };
  }
  const onPath = (process.env.PATH ?? "").split(delimiter).filter(Boolean).flatMap((dir) => NAMES.map((name) => join(dir, name)));
  const found = [...onPath, ...PLACES].find(executable);
  return found ? { path: found } : { missing: `no Chrome or Chromium found (looked for ${NAMES.join(", ")} on the PATH, and ${PLACES.join(", ")})` };
}

/**
 * findChrome for a suite that needs it: when there is none, says loudly (on stderr, above the results) that
 * `suite`'s tests are skipped, why, and how to run them. The suite then skips itself (`describe.skipIf`).
 */
export function chromeFor(suite: string): { path: string } | { missing: string } {
  const chrome = findChrome();
  if ("missing" in chrome) {
    const line = "!".repeat(100);
    console.warn(
      `${line}\n!! SKIPPED: ${suite}. ${chrome.missing}.\n` +
        `!! To run them, install Chrome or Chromium (Debian: apt-get install chromium) or set CHROME_PATH to its executable.\n${line}`,
    );
  }
  return chrome;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function launchChromium(executablePath: string): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  // A fresh profile per run (Playwright takes the profile dir as an argument, not as --user-data-dir).
  const profile = mkdtempSync(join(tmpdir(), "durable-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 1000 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
