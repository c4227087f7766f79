/**
 * Galata on Debian's chromium: Playwright cannot download its own browsers here.
 *
 * One demo (JupyterLab + its own emulator) per kind of account, so that what one test does
 * to the account (apply a fix, stop the emulator) cannot change what another one sees.
 */
const { execSync } = require('child_process');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

function chromiumPath() {
  if (process.env.CHROMIUM_PATH) {
    return process.env.CHROMIUM_PATH;
  }
  return execSync('command -v chromium', { shell: '/bin/bash' })
    .toString()
    .trim();
}

const token = process.env.JUPYTER_TOKEN || 'galata-token';

// name: [JupyterLab port, emulator port, scenario, tests, Studio's Docker]
// Only 'local' has Studio's Docker: the others build on CodeBuild, as a domain without it does.
const DEMOS = {
  'self-service': [8888, 45688, 'self-service', /(sidebar|flow)\.spec\.ts/],
  managed: [8889, 45689, 'managed', /handoff\.spec\.ts/],
  notebook: [8890, 45690, 'self-service', /notebook\.spec\.ts/],
  outage: [8891, 45691, 'self-service', /outage\.spec\.ts/],
  local: [8892, 45692, 'self-service', /local\.spec\.ts/, 'enabled']
};

module.exports = {
  ...baseConfig,
  retries: 0,
  workers: 1,
  timeout: 120 * 1000,
  use: {
    ...baseConfig.use,
    // Video and trace need Playwright's own ffmpeg download.
    video: 'off',
    screenshot: 'only-on-failure',
    trace: 'off',
    extraHTTPHeaders: { Authorization: `token ${token}` },
    launchOptions: {
      executablePath: chromiumPath(),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run'
      ]
    }
  },
  projects: Object.entries(DEMOS).map(
    ([name, [port, emulatorPort, , match]]) => ({
      name,
      testMatch: match,
      use: {
        baseURL: `http://localhost:${port}`,
        emulatorURL: `http://127.0.0.1:${emulatorPort}`
      }
    })
  ),
  webServer: Object.values(DEMOS).map(
    ([port, emulatorPort, scenario, , docker = 'disabled']) => ({
      command: `bash ./start-demo.sh ${port} ${emulatorPort} ${scenario} ${docker}`,
      url: `http://localhost:${port}/api/status?token=${token}`,
      timeout: 180 * 1000,
      // Each run starts from freshly seeded accounts: a reused demo would hold the last run's fix.
      reuseExistingServer: false,
      env: { ...process.env, JUPYTER_TOKEN: token }
    })
  )
};
