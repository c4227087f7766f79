/**
 * The smoke test against JupyterLab 4.0.7 (.venv-jlab40), with the Galata release of that
 * JupyterLab (5.0.x: its page helpers talk to the in-page helpers the server ships), on
 * Debian's chromium as in ../ui-tests. Its own ports, so it can run beside that suite.
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
const port = 8898;
const emulatorPort = 45698;

module.exports = {
  ...baseConfig,
  retries: 0,
  workers: 1,
  timeout: 120 * 1000,
  use: {
    ...baseConfig.use,
    // Video and trace need Playwright's own ffmpeg download.
    video: 'off',
    trace: 'off',
    baseURL: `http://localhost:${port}`,
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
  webServer: {
    command: `bash ./start-demo.sh ${port} ${emulatorPort}`,
    url: `http://localhost:${port}/api/status?token=${token}`,
    timeout: 180 * 1000,
    reuseExistingServer: false,
    env: { ...process.env, JUPYTER_TOKEN: token }
  }
};
