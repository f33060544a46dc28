import { defineConfig } from '@playwright/test';

// End-to-end tests in Debian's Chromium (Playwright's own browser download does not work on these
// machines). The server runs on the database that scripts/with-database.ts provides.
const PORT = Number(process.env.E2E_PORT ?? 3217);
export const E2E_DATABASE = 'livelog_e2e';

/**
 * Ports for the servers a test starts itself, derived from E2E_PORT so that runs side by side
 * (each with its own E2E_PORT) never collide.
 */
/** Budget for a test that starts a process of its own (a server, the export CLI): each is a fresh tsx start, seconds on a loaded machine. */
export const OWN_PROCESS_TIMEOUT_MS = 90_000;

export const OWN_SERVER_PORTS = { restart: PORT + 14, outage: PORT + 15, viewerLimits: PORT + 16 } as const;

export default defineConfig({
  testDir: 'e2e',
  // A budget, not a promise about speed (each test's own expectations say how fast things must
  // be): the suite shares two cores with servers, databases and other suites.
  timeout: 60_000,
  expect: { timeout: 5_000 },
  // One at a time unless E2E_WORKERS says more. A file runs whole in one worker, so the ports a file
  // takes (OWN_SERVER_PORTS, the embed host, the review instance, nginx) are never in use twice, and
  // every file seeds its own streams and users; but two workers are not yet shown free of flakes.
  workers: Number(process.env.E2E_WORKERS ?? 1),
  retries: 0,
  forbidOnly: true,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'off',
    // The live badge pulses forever; in a headless browser that is a page repainting 60 times a
    // second, and pages a test leaves open kept the two cores busy (the suite took 7 min, not 4).
    // design.spec.ts turns motion back on where it checks the pulse.
    reducedMotion: 'reduce',
  },
  webServer: {
    command: 'node --import tsx server/main.ts',
    url: `http://127.0.0.1:${PORT}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LIVELOG_DB: E2E_DATABASE,
      LOG_LEVEL: 'warn',
      MONGODB_URL: process.env.MONGODB_URL ?? '',
      LIVELOG_CHANGES_PER_MINUTE: '100000', // tests publish far faster than any author
      LIVELOG_PRESENCE_MS: '500',
      LIVELOG_MAX_EVENT_LOOP_DELAY_MS: '0', // shedding under a busy machine has its own tests
    },
  },
});
